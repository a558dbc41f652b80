using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace CapiCiliumAddon.Rendering.Addons;

/// <summary>Which Cluster the objects are for, where they live, and the label our ClusterResourceSet selects.</summary>
public sealed record AddonIdentity(string Namespace, string ClusterName, KeyValuePair<string, string> SelectorLabel);

/// <param name="MaxConfigMapBytes">Largest serialised size of one ConfigMap or Secret part (Kubernetes caps objects near 1 MiB).</param>
/// <param name="MaxResources">Most resources one ClusterResourceSet may list (the v1beta2 schema's maxItems).</param>
public sealed record AddonLimits(int MaxConfigMapBytes = AddonLimits.DefaultMaxConfigMapBytes, int MaxResources = AddonLimits.DefaultMaxResources)
{
    public const int DefaultMaxConfigMapBytes = 900_000;
    public const int DefaultMaxResources = 100;

    public static AddonLimits Default { get; } = new();
}

/// <summary>The naming and labelling rules for the objects we create: one concept, one place.</summary>
public static partial class AddonNames
{
    public const string ManagedByLabel = AddonKeys.ManagedByLabel;
    public const string ManagedByValue = AddonKeys.ManagedByValue;
    public const string ClusterNameLabel = AddonKeys.ClusterNameLabel;
    public const string ResourceSetSecretType = "addons.cluster.x-k8s.io/resource-set";
    public const string ClusterResourceSetApiVersion = "addons.cluster.x-k8s.io/v1beta2";

    /// <summary>ConfigMap part <paramref name="part"/> (1-based): <c>&lt;cluster&gt;-cilium</c>, then <c>-cilium-2</c>, <c>-cilium-3</c>, ...</summary>
    public static string ConfigMap(string clusterName, int part = 1) =>
        part == 1 ? $"{clusterName}-cilium" : $"{clusterName}-cilium-{part.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Secret part (1-based) for Secrets found in the render: <c>&lt;cluster&gt;-cilium-secrets</c>, then <c>-secrets-2</c>, ...</summary>
    public static string Secret(string clusterName, int part = 1) =>
        part == 1 ? $"{clusterName}-cilium-secrets" : $"{clusterName}-cilium-secrets-{part.ToString(CultureInfo.InvariantCulture)}";

    public static string ClusterResourceSet(string clusterName) => $"{clusterName}-cilium";

    /// <summary>Labels on every object we create.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Labels(string clusterName) =>
    [
        new(ClusterNameLabel, clusterName),
        new(ManagedByLabel, ManagedByValue),
    ];

    /// <summary>
    /// The data key of the <paramref name="applyOrder"/>-th object (1-based, across all parts):
    /// <c>NNN-&lt;kind&gt;-&lt;name&gt;.yaml</c>. A ClusterResourceSet applies a resource's keys in sorted order,
    /// so the zero-padded number IS the apply order.
    /// </summary>
    public static string DataKey(int applyOrder, string kind, string name) =>
        $"{applyOrder.ToString("D3", CultureInfo.InvariantCulture)}-{Sanitise(kind.ToLowerInvariant())}-{Sanitise(name)}.yaml";

    /// <summary>Replaces every character a ConfigMap key may not hold (<c>[-._a-zA-Z0-9]</c>) with '-'.</summary>
    public static string Sanitise(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            sb.Append(c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '-' or '.' or '_' ? c : '-');
        }

        return sb.ToString();
    }

    public static bool IsValidDataKey(string key) => key.Length is > 0 and <= 253 && DataKeyPattern().IsMatch(key);

    [GeneratedRegex(@"^[-._a-zA-Z0-9]+\z")]
    private static partial Regex DataKeyPattern();
}
