using System.Net;

namespace CapiCiliumAddon.Rendering.Clusters;

/// <summary>What a Cluster object says, in either Cluster API version, once read and validated.</summary>
public sealed record ClusterFacts(
    string Namespace,
    string Name,
    string? Uid,
    string ApiVersion,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyDictionary<string, string> Annotations,
    ControlPlaneEndpoint? Endpoint,
    IReadOnlyList<IpCidr> PodCidrs,
    IReadOnlyList<IpCidr> ServiceCidrs,
    string? KubernetesVersion)
{
    /// <summary>How users and logs name a Cluster.</summary>
    public string Key => $"{Namespace}/{Name}";

    /// <summary>The endpoint field still unset (not ready yet), or null when the endpoint is usable or invalid.</summary>
    public string? PendingEndpointField { get; init; }

    public IpCidr? Ipv4PodCidr => PodCidrs.FirstOrDefault(c => !c.IsIpv6);

    public IpCidr? Ipv6PodCidr => PodCidrs.FirstOrDefault(c => c.IsIpv6);
}

/// <param name="Host">An IPv4 or bare IPv6 address, or a DNS name; never a scheme, port or path.</param>
public sealed record ControlPlaneEndpoint(string Host, int Port);

/// <summary>A CIDR block in canonical form (the network address, e.g. 10.244.0.0/16).</summary>
public sealed record IpCidr(IPAddress Network, int PrefixLength)
{
    public bool IsIpv6 => Network.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;

    public static bool TryParse(string text, out IpCidr? cidr)
    {
        cidr = null;
        if (!IPNetwork.TryParse(text, out var network))
        {
            return false;
        }

        cidr = new IpCidr(network.BaseAddress, network.PrefixLength);
        return true;
    }

    public bool Contains(IPAddress address) => new IPNetwork(Network, PrefixLength).Contains(address);

    /// <summary>True when every address of <paramref name="other"/> lies inside this block.</summary>
    public bool Covers(IpCidr other) =>
        other.IsIpv6 == IsIpv6 && other.PrefixLength >= PrefixLength && Contains(other.Network);

    public override string ToString() => $"{Network}/{PrefixLength}";
}
