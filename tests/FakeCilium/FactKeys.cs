namespace FakeCilium;

/// <summary>The per-cluster values the fake may change in a recording's output (see <see cref="FactSubstitution"/>).
/// Every other value must equal the recording's exactly.</summary>
internal static class FactKeys
{
    public const string ServiceHost = "k8sServiceHost";
    public const string ServicePort = "k8sServicePort";
    public const string Ipv4NativeRoutingCidr = "ipv4NativeRoutingCIDR";
    public const string ClusterName = "cluster.name";
    public const string Ipv6Enabled = "ipv6.enabled";
    public const string Ipv6NativeRoutingCidr = "ipv6NativeRoutingCIDR";

    /// <summary>Facts every recording that has them was rendered with; the value may differ, the key may not be dropped.</summary>
    public static readonly IReadOnlySet<string> Substitutable = new HashSet<string>(StringComparer.Ordinal)
    {
        ServiceHost, ServicePort, Ipv4NativeRoutingCidr,
    };

    /// <summary>Facts no recording sets; giving them is allowed and changes the output as the chart would.</summary>
    public static readonly IReadOnlySet<string> Addable = new HashSet<string>(StringComparer.Ordinal)
    {
        ClusterName, Ipv6Enabled, Ipv6NativeRoutingCidr,
    };

    /// <summary>The chart's own default for a fact no recording sets.</summary>
    public const string DefaultClusterName = "default";
}
