using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using CapiCiliumAddon.Rendering.Clusters;

namespace CapiCiliumAddon.Rendering.Settings;

/// <summary>
/// Checks Helm values before the CLI runs. The Cilium CLI does not warn: a removed key is either a chart failure or
/// silently ignored, and several silently accepted values brick a cluster at bootstrap (DESIGN.md §3). Each rule
/// here names the value, why it breaks a cluster, and what to use instead.
/// </summary>
public static class ValuesLint
{
    /// <summary>Addresses of the API server's in-cluster service in common distributions' default service CIDRs.</summary>
    private static readonly IPAddress[] WellKnownServiceVips = [IPAddress.Parse("10.96.0.1"), IPAddress.Parse("10.43.0.1")];

    private sealed record RemovedKey(string Key, bool IsPrefix, CiliumVersion RemovedIn, string Replacement);

    private static readonly RemovedKey[] RemovedKeys =
    [
        new("tunnel", false, new CiliumVersion(1, 15, 0, null),
            "use routingMode=tunnel with tunnelProtocol=vxlan|geneve, or routingMode=native"),
        new("bgp.enabled", false, new CiliumVersion(1, 17, 0, null),
            "use bgpControlPlane.enabled=true and CiliumBGPClusterConfig/CiliumBGPPeerConfig/CiliumBGPAdvertisement resources"),
        new("bgp.announce", true, new CiliumVersion(1, 17, 0, null),
            "announce through a CiliumBGPAdvertisement resource with bgpControlPlane.enabled=true"),
    ];

    private static readonly string[] RemovedKubeProxyReplacementModes = ["partial", "strict", "probe", "disabled"];

    private static readonly CiliumVersion KubeProxyReplacementModesRemovedIn = new(1, 16, 0, null);

    /// <summary>One address family of Cilium's cluster-pool IPAM: its Helm keys and the per-node block the chart uses when unset.</summary>
    private sealed record ClusterPoolFamily(string Name, string ListKey, string MaskKey, int AddressBits, int? ChartDefaultMask, Func<ClusterFacts, IpCidr?> PodCidr);

    public const string ClusterPoolIpv4ListKey = "ipam.operator.clusterPoolIPv4PodCIDRList";
    public const string ClusterPoolIpv4MaskKey = "ipam.operator.clusterPoolIPv4MaskSize";
    public const string ClusterPoolIpv6ListKey = "ipam.operator.clusterPoolIPv6PodCIDRList";
    public const string ClusterPoolIpv6MaskKey = "ipam.operator.clusterPoolIPv6MaskSize";

    private static readonly ClusterPoolFamily[] ClusterPoolFamilies =
    [
        // 24 is what a render without the key writes into cilium-config (recorded run minimal-1.18).
        new("IPv4", ClusterPoolIpv4ListKey, ClusterPoolIpv4MaskKey, 32, 24, c => c.Ipv4PodCidr),
        new("IPv6", ClusterPoolIpv6ListKey, ClusterPoolIpv6MaskKey, 128, null, c => c.Ipv6PodCidr),
    ];

    /// <summary>
    /// Says where a value lives when the values did not come from Helm values at all (e.g. the lint reads them back
    /// from a rendered manifest's <c>cilium-config</c> and agent env): the Helm key in, the object and field out.
    /// </summary>
    public delegate (string Subject, string Field) ValueLocator(string key);

    /// <param name="subject">The object the values belong to, e.g. the Cluster's namespace/name.</param>
    /// <param name="cluster">When known, the Cluster's CIDRs let the lint check coverage and service VIPs.</param>
    /// <param name="endpointPending">The host will come from a Cluster endpoint that is not set yet: its absence is "wait", not an error.</param>
    /// <param name="locate">When given, names the object and field of each problem instead of <paramref name="subject"/> and the values key.</param>
    public static IReadOnlyList<Problem> Check(HelmValues values, CiliumVersion version, string subject, ClusterFacts? cluster = null, bool endpointPending = false,
        ValueLocator? locate = null)
    {
        var problems = new List<Problem>();
        ValueLocator where = locate ?? (key => (subject, Field(values, key)));
        void Error(string key, string message, string? fix = null)
        {
            var (at, field) = where(key);
            problems.Add(Problem.Error(at, field, message, fix));
        }

        foreach (var value in values.All)
        {
            if (KnownRemoval(value.Key, version) is { } removal)
            {
                Error(value.Key, removal.Message, removal.Fix);
            }
        }

        var kpr = values["kubeProxyReplacement"];
        var kprEnabled = false;
        if (kpr is not null)
        {
            var text = HelmValues.AsString(kpr.Value);
            if (RemovedKubeProxyReplacementModes.Contains(text))
            {
                // Older manifests (read back by the lint) legitimately carry these modes.
                if (version.CompareTo(KubeProxyReplacementModesRemovedIn) >= 0)
                {
                    Error(kpr.Key, $"'{text}' was removed in Cilium 1.16; the chart fails on it", "use kubeProxyReplacement=true (or false)");
                }
            }
            else if (text is not ("true" or "false"))
            {
                Error(kpr.Key, $"'{text}' is not true or false");
            }

            kprEnabled = text == "true";
        }

        var host = values["k8sServiceHost"];
        var hostText = HelmValues.AsString(host?.Value);
        if (kprEnabled && string.IsNullOrEmpty(hostText) && !endpointPending)
        {
            Error("k8sServiceHost", "kube-proxy replacement is on but no API server host is set: agents dial the service VIP only Cilium could route, and bootstrap deadlocks (pods stuck in Init)",
                "set spec.controlPlaneEndpoint on the Cluster");
        }
        else if (hostText == "auto")
        {
            Error("k8sServiceHost", "'auto' needs a live cluster lookup and cannot be rendered offline", "remove it; the host comes from spec.controlPlaneEndpoint.host");
        }
        else if (hostText is not null)
        {
            var hostProblems = new List<Problem>();
            var normalised = ClusterReader.NormaliseHost(hostText, subject, hostProblems);
            if (normalised != hostText)
            {
                Error("k8sServiceHost", $"'{ClusterReader.Truncate(hostText)}' is not a bare IP address or DNS name; Cilium would pass it through unchanged and agents could not connect");
            }
            else if (IPAddress.TryParse(hostText, out var address) && IsServiceVip(address, cluster))
            {
                Error("k8sServiceHost", $"{hostText} is a Kubernetes service VIP, which only kube-proxy or Cilium itself can route: agents deadlock at bootstrap",
                    "use the control plane endpoint (a VIP or load balancer in front of the API servers)");
            }
        }

        var port = values["k8sServicePort"];
        if (port is not null)
        {
            var text = HelmValues.AsString(port.Value);
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 65535)
            {
                Error(port.Key, $"'{text}' is not a TCP port (1-65535); the chart accepts it silently and agents cannot reach the API server");
            }
        }

        var routingMode = HelmValues.AsString(values["routingMode"]?.Value);
        if (routingMode is not null and not ("native" or "tunnel"))
        {
            Error("routingMode", $"'{routingMode}' is not native or tunnel; the chart accepts it silently");
        }

        if (HelmValues.AsString(values["autoDirectNodeRoutes"]?.Value) == "true" && routingMode == "tunnel")
        {
            Error("autoDirectNodeRoutes", "direct node routes only work with routingMode=native", "set autoDirectNodeRoutes=false or routingMode=native");
        }

        if (routingMode == "native" && cluster is not null)
        {
            CheckNativeRoutingCidr(values, "ipv4NativeRoutingCIDR", cluster.Ipv4PodCidr, where, problems);
            CheckNativeRoutingCidr(values, "ipv6NativeRoutingCIDR", cluster.Ipv6PodCidr, where, problems);
        }

        if (HelmValues.AsString(values["ipam.mode"]?.Value) == "cluster-pool" && cluster is not null)
        {
            CheckClusterPool(values, cluster, where, problems);
        }

        if (HelmValues.AsString(values["l2announcements.enabled"]?.Value) == "true" && !kprEnabled)
        {
            Error("l2announcements.enabled", "L2 announcements need kube-proxy replacement; without it no LoadBalancer IP is answered for",
                "set kubeProxyReplacement=true, or announce over BGP instead");
        }

        var clusterName = values["cluster.name"];
        if (clusterName is not null && !CiliumClusterName.IsValid(HelmValues.AsString(clusterName.Value) ?? ""))
        {
            Error(clusterName.Key, $"'{clusterName.Display}' breaks Cilium's rules (at most {CiliumClusterName.MaxLength} characters, lowercase alphanumerics and '-'); the chart fails on it");
        }

        return problems;
    }

    /// <summary>
    /// What we know of <paramref name="key"/> being removed from Cilium by <paramref name="version"/>: why the chart
    /// ignores or rejects it, and what to use instead; null when we know of no such removal (the chart's values.yaml,
    /// when at hand, knows more: <see cref="ChartDefines"/>).
    /// </summary>
    public static (string Message, string Fix)? KnownRemoval(string key, CiliumVersion version)
    {
        foreach (var removed in RemovedKeys)
        {
            var matches = removed.IsPrefix
                ? key == removed.Key || key.StartsWith(removed.Key + ".", StringComparison.Ordinal)
                : key == removed.Key;
            if (matches && version.CompareTo(removed.RemovedIn) >= 0)
            {
                return ($"removed in Cilium {removed.RemovedIn.Major}.{removed.RemovedIn.Minor}; chart {version} ignores or rejects it", removed.Replacement);
            }
        }

        return null;
    }

    /// <summary>
    /// True when the chart whose values.yaml is <paramref name="chartDefaults"/> has the value <paramref name="key"/>
    /// (a dotted Helm key). Below an empty map or a null the chart's defaults are free-form (e.g. podAnnotations: {}),
    /// so any key there counts as defined.
    /// </summary>
    public static bool ChartDefines(JsonObject chartDefaults, string key)
    {
        JsonNode? node = chartDefaults;
        foreach (var segment in key.Split('.'))
        {
            if (node is not JsonObject { Count: > 0 } obj)
            {
                return true;
            }

            if (!obj.TryGetPropertyValue(segment, out node))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Keys the chart does not define are silently ignored by Helm, so a typo ("kubeProxyReplacment") quietly drops
    /// a setting. Only checkable when the chart's own values.yaml is at hand.
    /// </summary>
    public static IReadOnlyList<Problem> CheckKeysExist(HelmValues values, JsonObject chartDefaults, string subject)
    {
        var problems = new List<Problem>();
        foreach (var value in values.All.Where(v => v.Source.IsUserProvided && !ChartDefines(chartDefaults, v.Key)))
        {
            problems.Add(Problem.Error(subject, Field(values, value.Key), $"the chart defines no value '{value.Key}'; Helm would ignore it silently",
                "check the spelling against the chart's values.yaml"));
        }

        return problems;
    }

    private static void CheckNativeRoutingCidr(HelmValues values, string key, IpCidr? podCidr, ValueLocator where, List<Problem> problems)
    {
        if (podCidr is null)
        {
            return;
        }

        var configured = values[key];
        var text = HelmValues.AsString(configured?.Value);
        if (text is null || !IpCidr.TryParse(text, out var cidr) || !cidr!.Covers(podCidr))
        {
            var (at, field) = where(key);
            problems.Add(Problem.Error(at, field,
                $"'{text ?? "(unset)"}' does not cover the pod CIDR {podCidr}: traffic to pods outside it would be masqueraded or dropped",
                $"set {key} to {podCidr} or a block containing it"));
        }
    }

    /// <summary>
    /// The pool must be exactly the Cluster's pod CIDR: Cluster API gives that CIDR to the controller-manager as its
    /// cluster CIDR, and pods addressed from anywhere else get addresses nobody routes. Each node's block must be longer
    /// than the pool's prefix, or the pool holds one node's block at most.
    /// </summary>
    private static void CheckClusterPool(HelmValues values, ClusterFacts cluster, ValueLocator where, List<Problem> problems)
    {
        foreach (var family in ClusterPoolFamilies)
        {
            var enabled = family.Name == "IPv4"
                ? HelmValues.AsString(values["ipv4.enabled"]?.Value) != "false"
                : HelmValues.AsString(values["ipv6.enabled"]?.Value) == "true";
            if (family.PodCidr(cluster) is not { } podCidr || !enabled)
            {
                continue;
            }

            var list = values[family.ListKey]?.Value;
            var pool = PoolEntries(list);
            if (pool is not [var only] || !IpCidr.TryParse(only, out var poolCidr) || poolCidr != podCidr)
            {
                var shown = list is null ? "unset (the chart's default pool)" : $"'{ClusterReader.Truncate(HelmValues.AsString(list) ?? "")}'";
                var (at, field) = where(family.ListKey);
                problems.Add(Problem.Error(at, field,
                    $"{shown} is not the Cluster's {family.Name} pod CIDR {podCidr}: cluster-pool IPAM would give pods addresses from it, and the controller-manager's cluster CIDR is {podCidr}; addresses outside it are routed by nobody",
                    $"set {family.ListKey} to [{podCidr}] (the cluster-pool profile does)"));
                continue;
            }

            var maskValue = values[family.MaskKey]?.Value;
            int? mask = maskValue is null
                ? family.ChartDefaultMask
                : int.TryParse(HelmValues.AsString(maskValue), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : -1;
            if (mask is { } size && (size <= podCidr.PrefixLength || size > family.AddressBits))
            {
                var (at, field) = where(family.MaskKey);
                var shownMask = maskValue is null ? $"unset (the chart's /{size})" : $"'{ClusterReader.Truncate(HelmValues.AsString(maskValue) ?? "")}'";
                problems.Add(Problem.Error(at, field,
                    $"{shownMask} is not a per-node block inside the /{podCidr.PrefixLength} pool: it must be a prefix length longer than {podCidr.PrefixLength} and at most {family.AddressBits}, or the pool holds one node's addresses at most",
                    $"set {family.MaskKey} to {Math.Min(family.AddressBits, Math.Max(family.ChartDefaultMask ?? 120, podCidr.PrefixLength + 1))}"));
            }
        }
    }

    /// <summary>A Helm list of CIDRs, or the space-separated form cilium-config holds them in.</summary>
    private static IReadOnlyList<string>? PoolEntries(JsonNode? value) => value switch
    {
        null => null,
        JsonArray array => array.Select(HelmValues.AsString).Select(e => e ?? "").ToList(),
        _ => (HelmValues.AsString(value) ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries),
    };

    private static bool IsServiceVip(IPAddress address, ClusterFacts? cluster) =>
        WellKnownServiceVips.Contains(address) || (cluster?.ServiceCidrs.Any(c => c.Contains(address)) ?? false);

    /// <summary>Fields name the value and where it was set, so the user knows which file or annotation to fix.</summary>
    private static string Field(HelmValues values, string key) =>
        values[key] is { } value ? $"values.{key} (from {value.Source})" : $"values.{key}";

    internal static bool IsString(JsonNode? node) => node?.GetValueKind() == JsonValueKind.String;
}
