namespace CapiCiliumAddon.Rendering;

/// <summary>
/// Every label and annotation key the add-on reads or writes. One prefix, documented in the README; a key with our
/// prefix that is not listed here is a typo, and typos in annotations are reported rather than ignored.
/// </summary>
public static class AddonKeys
{
    public const string Prefix = "addon.capi-cilium.io/";

    /// <summary>The label a Cluster must carry to be handled at all (value <see cref="CniLabelValue"/>).</summary>
    public const string CniLabel = "cni";
    public const string CniLabelValue = "cilium";

    /// <summary>
    /// The per-Cluster selector label. Cluster API puts no cluster-name label on the Cluster itself, and a
    /// ClusterResourceSet selecting only <c>cni=cilium</c> would bind every such Cluster of the namespace.
    /// </summary>
    public const string ClusterNameLabel = Prefix + "cluster-name";

    public const string ManagedByLabel = "app.kubernetes.io/managed-by";
    public const string ManagedByValue = "capi-cilium-addon";

    /// <summary>Field manager for server-side apply; also the Event reporting controller.</summary>
    public const string FieldManager = "capi-cilium-addon";

    // Cluster annotations: the per-cluster knobs (DESIGN.md §4 layer 4).
    public const string CiliumVersionAnnotation = Prefix + "cilium-version";
    public const string ProfileAnnotation = Prefix + "profile";
    public const string CniBinPathAnnotation = Prefix + "cni-bin-path";
    public const string ValuesConfigMapAnnotation = Prefix + "values-configmap";

    /// <summary>The topology variable holding a ClusterClass Cluster's {host, port} endpoint, read from files only.</summary>
    public const string EndpointVariableAnnotation = Prefix + "endpoint-variable";

    /// <summary>
    /// On a Cluster: the Helm release name the day-2 owner will use (default <c>cilium</c>). On our objects: the release
    /// the chart objects were rendered for.
    /// </summary>
    public const string HelmReleaseNameAnnotation = Prefix + "helm-release-name";

    // Output annotations: what produced an object, so a reviewer or the controller can tell whether it is current.
    public const string ChartVersionAnnotation = Prefix + "chart-version";
    public const string CiliumCliVersionAnnotation = Prefix + "cilium-cli-version";
    public const string ToolVersionAnnotation = Prefix + "tool-version";
    public const string InputHashAnnotation = Prefix + "input-hash";

    /// <summary>sha256 of the Helm values file: the values a day-2 owner must install with to change nothing.</summary>
    public const string HelmValuesHashAnnotation = Prefix + "helm-values-hash";

    /// <summary>The key a values ConfigMap holds its Helm values under.</summary>
    public const string ValuesConfigMapKey = "values.yaml";

    public static readonly IReadOnlySet<string> ClusterAnnotations = new HashSet<string>(StringComparer.Ordinal)
    {
        CiliumVersionAnnotation, ProfileAnnotation, CniBinPathAnnotation, ValuesConfigMapAnnotation, EndpointVariableAnnotation,
        HelmReleaseNameAnnotation,
    };

    public static KeyValuePair<string, string> SelectorLabelFor(string clusterName) => new(ClusterNameLabel, clusterName);
}
