using System.Text.Json.Nodes;
using CapiCiliumAddon.Controller.Status;
using CapiCiliumAddon.Controller.Tests.Fakes;
using CapiCiliumAddon.Kubernetes;

namespace CapiCiliumAddon.Controller.Tests.Status;

public class ClusterStatusReportTests
{
    private static JsonObject Cluster(string name, string? host) => JsonNode.Parse($$"""
        {
          "apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "Cluster",
          "metadata": { "name": "{{name}}", "namespace": "metal3", "labels": { "cni": "cilium" } },
          "spec": {
            "clusterNetwork": { "pods": { "cidrBlocks": ["10.244.0.0/16"] } }
            {{(host is null ? "" : $$""", "controlPlaneEndpoint": { "host": "{{host}}", "port": 6443 }""")}}
          }
        }
        """)!.AsObject();

    private static JsonObject Crs(string cluster, bool ours, string? release = null) => JsonNode.Parse($$"""
        {
          "apiVersion": "addons.cluster.x-k8s.io/v1beta2", "kind": "ClusterResourceSet",
          "metadata": {
            "name": "{{cluster}}-cilium", "namespace": "metal3",
            "labels": { {{(ours ? "\"app.kubernetes.io/managed-by\": \"capi-cilium-addon\"" : "\"team\": \"net\"")}} },
            "annotations": { "addon.capi-cilium.io/cilium-version": "1.18.12"{{(release is null ? "" : $$""", "addon.capi-cilium.io/helm-release-name": "{{release}}", "addon.capi-cilium.io/helm-values-hash": "sha256:0123" """)}} }
          },
          "spec": { "strategy": "ApplyOnce", "resources": [ { "name": "{{cluster}}-cilium", "kind": "ConfigMap" } ] }
        }
        """)!.AsObject();

    [Test]
    public async Task ShowsEachLabelledClustersStateAndWhetherItsCrsWasApplied()
    {
        var api = new FakeKubernetesClient();
        api.Seed(ResourceType.Cluster, Cluster("applied", "10.0.0.1"));
        api.Seed(ResourceType.Cluster, Cluster("fresh", "fd00::1"));
        api.Seed(ResourceType.Cluster, Cluster("waiting", null));
        api.Seed(ResourceType.Cluster, Cluster("foreign", "10.0.0.3"));
        api.Seed(ResourceType.Cluster, Cluster("new", "10.0.0.4"));
        api.Seed(ResourceType.ClusterResourceSet, Crs("applied", ours: true, release: "cilium"));
        api.Seed(ResourceType.ClusterResourceSet, Crs("fresh", ours: true));
        api.Seed(ResourceType.ClusterResourceSet, Crs("foreign", ours: false));
        var binding = JsonNode.Parse(File.ReadAllText(Path.Combine(CapiCiliumAddon.Testing.RepositoryPaths.Fixtures, "kube-api", "get-crs-binding-applied-200.json")))!.AsObject();
        binding["metadata"] = new JsonObject { ["name"] = "applied", ["namespace"] = "metal3" };
        binding["spec"]!["bindings"]![0]!["clusterResourceSetName"] = "applied-cilium";
        binding["spec"]!["bindings"]![0]!["resources"]![0]!["name"] = "applied-cilium";
        api.Seed(ResourceType.ClusterResourceSetBinding, binding);

        var rows = await new ClusterStatusReport(api, ResourceType.Cluster, ResourceType.ClusterResourceSet).ReadAsync(null, "cni=cilium", CancellationToken.None);

        Assert.That(rows, Is.EqualTo(new[]
        {
            new ClusterStatus("metal3/applied", "10.0.0.1:6443", "1.18.12", "rendered", "yes") { HelmRelease = "kube-system/cilium", HelmValuesHash = "sha256:0123" },
            new ClusterStatus("metal3/foreign", "10.0.0.3:6443", "-", "foreign", "-"),
            new ClusterStatus("metal3/fresh", "[fd00::1]:6443", "1.18.12", "rendered", "no") { HelmRelease = "none" },
            new ClusterStatus("metal3/new", "10.0.0.4:6443", "-", "pending", "-"),
            new ClusterStatus("metal3/waiting", "-", "-", "waiting-for-endpoint", "-"),
        }));
        Assert.That(api.Writes, Is.Empty, "status only reads");
    }
}
