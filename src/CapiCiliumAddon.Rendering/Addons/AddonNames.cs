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
    /// The order in which Helm installs kinds (Helm 4's <c>releaseutil.InstallOrder</c>, which the Cilium CLI's own
    /// rendering follows): each kind comes after the kinds it may depend on. Kinds not listed come last.
    /// </summary>
    public static readonly IReadOnlyList<string> InstallOrder =
    [
        "PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy",
        "PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList", "ConfigMap", "StorageClass", "PersistentVolume",
        "PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole", "ClusterRoleList", "ClusterRoleBinding",
        "ClusterRoleBindingList", "Role", "RoleList", "RoleBinding", "RoleBindingList", "Service", "DaemonSet", "Pod",
        "ReplicationController", "ReplicaSet", "Deployment", "HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob",
        "IngressClass", "Ingress", "APIService", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
    ];

    /// <summary>The rank of kinds missing from <see cref="InstallOrder"/>: after all of them, then by kind name, as Helm does.</summary>
    public const int UnlistedKindRank = 99;

    /// <summary>
    /// The data key of an object: <c>RR-&lt;kind&gt;-[&lt;namespace&gt;.]&lt;name&gt;.yaml</c>, where RR is the kind's
    /// rank in <see cref="InstallOrder"/>. A ClusterResourceSet applies a resource's keys in sorted order, so sorted keys
    /// are a dependency-safe apply order; and since a key depends only on its own object, adding or removing an object
    /// renames no other key, so a version bump's diff shows just the objects that changed. Namespaces hold no '.', so
    /// the namespace prefix is unambiguous.
    /// </summary>
    public static string DataKey(string kind, string? @namespace, string name)
    {
        var rank = IndexOf(InstallOrder, kind) is var index and >= 0 ? index : UnlistedKindRank;
        var scope = string.IsNullOrEmpty(@namespace) ? "" : $"{Sanitise(@namespace)}.";
        return $"{rank.ToString("D2", CultureInfo.InvariantCulture)}-{Sanitise(kind.ToLowerInvariant())}-{scope}{Sanitise(name)}.yaml";
    }

    private static int IndexOf(IReadOnlyList<string> list, string item)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (string.Equals(list[i], item, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

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
