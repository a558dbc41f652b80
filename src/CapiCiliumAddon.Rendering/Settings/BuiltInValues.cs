using System.Text.Json.Nodes;

namespace CapiCiliumAddon.Rendering.Settings;

/// <summary>
/// Layer 1: the bare-metal profile (DESIGN.md §3). Each value is here because a Metal3 cluster breaks or degrades
/// without it; the comments say how.
/// </summary>
public static class BuiltInValues
{
    public const string DefaultCniBinPath = "/var/lib/cni/bin";

    public static void ApplyTo(HelmValues values)
    {
        // Without kube-proxy, Cilium must do service load-balancing itself; the endpoint values below are what
        // let its agents reach the API server before any service routing exists.
        Set(values, "kubeProxyReplacement", true, "agents replace kube-proxy");
        // Bare-metal nodes share L2 and route pod CIDRs natively: no encapsulation overhead, real source IPs.
        Set(values, "routingMode", "native", "native routing on bare metal");
        Set(values, "autoDirectNodeRoutes", true, "nodes share an L2 segment");
        // Peering (CiliumBGPClusterConfig etc.) is day-2 GitOps configuration; bootstrap only enables the control plane.
        Set(values, "bgpControlPlane.enabled", true, "BGP control plane for LoadBalancer and pod CIDR announcements");
        // Cluster API assigns pod CIDRs to nodes; Cilium's own cluster-pool would hand out different ones.
        Set(values, "ipam.mode", "kubernetes", "pod CIDRs from Node.spec.podCIDR");
        Set(values, "cni.binPath", DefaultCniBinPath, "where Fedora-based Metal3 images keep CNI plugins");
        // The chart's default (helm) generates a new CA and private keys on every render: diffs that never settle
        // and keys in a ConfigMap. cronJob renders byte-identically; the bootstrap Job is added after rendering.
        Set(values, "hubble.tls.auto.method", "cronJob", "reproducible renders without private keys");
    }

    private static void Set(HelmValues values, string key, JsonNode value, string why) =>
        values.Set(key, value, new ValueSource(SettingsLayer.BuiltIn, why));
}
