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

    /// <summary>Where <see cref="Endpoint"/> was read: the Cluster's own field unless the input files said otherwise.</summary>
    public EndpointSource EndpointSource { get; init; } = EndpointSource.ClusterItself;

    /// <summary>
    /// Why there is no endpoint yet, when the input files tell more than <see cref="PendingEndpointField"/>: which
    /// objects and variables were looked at (e.g. the infrastructure cluster that is not among the files).
    /// </summary>
    public Problem? PendingEndpointReason { get; init; }

    public IpCidr? Ipv4PodCidr => PodCidrs.FirstOrDefault(c => !c.IsIpv6);

    public IpCidr? Ipv6PodCidr => PodCidrs.FirstOrDefault(c => c.IsIpv6);
}

/// <param name="Host">An IPv4 or bare IPv6 address, or a DNS name; never a scheme, port or path.</param>
public sealed record ControlPlaneEndpoint(string Host, int Port)
{
    /// <summary>host:port, with an IPv6 host in brackets.</summary>
    public override string ToString() => Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}

/// <summary>
/// Where a control plane endpoint <c>{host, port}</c> was read. In the files people keep in git it is rarely on the
/// Cluster: Cluster API copies it at run time from the infrastructure cluster or, for a ClusterClass Cluster, from a
/// topology variable, so the CLI reads it there and says so.
/// </summary>
/// <param name="Object">The object holding it, e.g. "Metal3Cluster metal3/site-a"; null for the Cluster itself.</param>
/// <param name="Field">The field holding the endpoint map, e.g. "spec.controlPlaneEndpoint".</param>
public sealed record EndpointSource(string? Object, string Field)
{
    public static readonly EndpointSource ClusterItself = new(null, "spec.controlPlaneEndpoint");

    public bool IsClusterItself => Object is null;

    /// <summary>"Cluster spec.controlPlaneEndpoint", "Metal3Cluster metal3/site-a spec.controlPlaneEndpoint", ...</summary>
    public override string ToString() => $"{Object ?? "Cluster"} {Field}";
}

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
