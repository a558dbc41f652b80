namespace CapiCiliumAddon.Rendering.Lint;

/// <summary>A lint rule: its stable id (in every finding and in the JSON output) and what it catches.</summary>
public sealed record LintRule(string Id, string Summary);

/// <summary>The rules, in the order <c>lint --help</c> lists them.</summary>
public static class LintRules
{
    public const string ApiServerEndpoint = "api-server-endpoint";
    public const string RemovedValue = "removed-value";
    public const string NativeRoutingCidr = "native-routing-cidr";
    public const string Routing = "routing";
    public const string ClusterName = "cluster-name";
    public const string ClusterPool = "cluster-pool";
    public const string L2Announcements = "l2-announcements";
    public const string ImageVersions = "image-versions";
    public const string PrivateKey = "private-key";
    public const string EnvsubstBinPath = "envsubst-bin-path";
    public const string ClusterSelectorLabel = "cluster-selector-label";
    public const string CrsSelector = "crs-selector";
    public const string CrsReconcile = "crs-reconcile";
    public const string HelmHandoff = "helm-handoff";
    public const string FileMode = "file-mode";
    public const string StringValue = "string-value";

    public static readonly IReadOnlyList<LintRule> All =
    [
        new(ApiServerEndpoint, "kube-proxy replacement on without KUBERNETES_SERVICE_HOST on the agent (k8sServiceHost), or a host that is a Kubernetes service VIP (10.96.0.1, 10.43.0.1, the Cluster's service CIDR), a scheme in the host, or a bad port: agents deadlock at bootstrap."),
        new(RemovedValue, "values the Cilium version at hand removed or cannot render: tunnel, kubeProxyReplacement=partial|strict|probe|disabled, bgp.enabled, bgp.announce.*, k8sServiceHost=auto (Helm keys in values files; cilium-config keys such as tunnel, kube-proxy-replacement, bgp-announce-* in manifests)."),
        new(NativeRoutingCidr, "routingMode=native with ipv4NativeRoutingCIDR (ipv4-native-routing-cidr) not covering the pod CIDR of the matching Cluster or --pod-cidr."),
        new(Routing, "routingMode neither native nor tunnel; autoDirectNodeRoutes with tunnel routing."),
        new(ClusterName, "cluster.name (cluster-name) over 32 characters or not lowercase alphanumerics and '-'."),
        new(ClusterPool, "ipam.mode=cluster-pool with a pool (ipam.operator.clusterPoolIPv4PodCIDRList, cluster-pool-ipv4-cidr; IPv6 alike) that is not exactly the matching Cluster's pod CIDR, or a per-node mask size (clusterPoolIPv4MaskSize) not longer than the pool's prefix."),
        new(L2Announcements, "l2announcements.enabled (enable-l2-announcements) without kube-proxy replacement."),
        new(ImageVersions, "agent (quay.io/cilium/cilium), operator (operator*) and relay (hubble-relay) images not all at one Cilium version."),
        new(PrivateKey, "a PEM private key in a ConfigMap, e.g. a Secret embedded in our ConfigMap (error), or in a Secret (warning; Hubble TLS method helm)."),
        new(EnvsubstBinPath, "a literal ${BIN_PATH} (Cilium's own shell variable) where envsubst would replace it: error with a Flux Kustomization using postBuild.substitute(From) among the inputs, warning in a file that is a clusterctl-style template (other ${VARS})."),
        new(ClusterSelectorLabel, "a Cluster labelled cni: cilium without the unique selector label addon.capi-cilium.io/cluster-name: <its name>."),
        new(CrsSelector, "a ClusterResourceSet shipping Cilium whose selector is empty (matches nothing), matches several Clusters among the inputs, or lacks the addon.capi-cilium.io/cluster-name label (could match several)."),
        new(CrsReconcile, "a ClusterResourceSet shipping Cilium with strategy Reconcile: two controllers for one release (error when a Flux HelmRelease or Argo CD Application for the cilium chart is among the inputs)."),
        new(FileMode, "a file mode (defaultMode, items[].mode) whose YAML surprises: a plain 0400 is octal to Kubernetes and Helm (YAML 1.1: 256, r--------) but 400 to YAML 1.2 tools (warning, outside renders, whose chart writes octal on purpose); a decimal that looks octal, 400 = 0620 rw--w---- (warning); a mode over 0777 that the API server refuses (error)."),
        new(StringValue, "a label or annotation value, env value or ConfigMap data value that Kubernetes reads as a boolean or number (a plain yes, no, on, off, y, n, true, 8080...), in an object or in Helm values headed for one (extraEnv[].value, *Labels, *Annotations): kubectl apply and ClusterResourceSets refuse the object; quote it."),
        new(HelmHandoff, "a Flux HelmRelease or Argo CD Application for the cilium chart whose chart version, release name, release namespace or values differ from the capi-cilium render of its cluster among the inputs: its first reconcile would change Cilium on that cluster (or, for the release, fail to adopt it)."),
    ];
}
