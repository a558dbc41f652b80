using System.Text;
using System.Text.Json.Nodes;
using CapiCiliumAddon.Rendering.Addons;
using CapiCiliumAddon.Rendering.Manifests;
using CapiCiliumAddon.Rendering.Tests.Manifests;
using CapiCiliumAddon.Rendering.Yaml;
using NUnit.Framework;
using YamlDotNet.RepresentationModel;

namespace CapiCiliumAddon.Rendering.Tests.Addons;

public class AddonObjectsBuilderTests
{
    private static readonly AddonIdentity Identity = new("metal3", "capi-1", new("addon.capi-cilium.io/cluster-uid", "5f0c9a5e-1f7b-4d5e-9c1a-0c6f2b1e7d42"));

    private static readonly Dictionary<string, string> Annotations = new()
    {
        ["addon.capi-cilium.io/input-hash"] = "sha256:0123456789abcdef",
        ["addon.capi-cilium.io/cilium-version"] = "1.18.12",
        ["addon.capi-cilium.io/chart-version"] = "1.18.12",
        ["addon.capi-cilium.io/cli-version"] = "v0.19.7-12-ge694be34c",
        ["addon.capi-cilium.io/version"] = "0.1.0",
    };

    private static RenderedManifest Prepared(string recording) =>
        HubbleCertificates.EnsureBootstrapJob(Recordings.Parse(recording), Recordings.ChartVersion(recording));

    private static AddonObjects BuildOk(string recording, AddonLimits? limits = null)
    {
        var result = AddonObjectsBuilder.Build(Identity, Prepared(recording), Annotations, limits ?? AddonLimits.Default);
        Assert.That(result.Problems.Where(p => p.Severity == ProblemSeverity.Error), Is.Empty);
        Assert.That(result.Succeeded, Is.True);
        return result;
    }

    private static JsonObject Data(AddonObject o) => o.Json["data"]!.AsObject();

    [Test]
    public void Golden_addon_objects_for_the_bare_metal_1_18_render()
    {
        var result = BuildOk("baremetal-native-bgp-1.18");

        Assert.That(result.Objects.Select(o => $"{o.Kind} {o.Name}"), Is.EqualTo(new[] { "ConfigMap capi-1-cilium", "ClusterResourceSet capi-1-cilium" }));
        Assert.That(result.Problems, Is.Empty);
        CapiCiliumAddon.Testing.Golden.AssertMatches(result.ToYaml(), "baremetal-native-bgp-1.18.addon.yaml");
    }

    [TestCaseSource(typeof(Recordings), nameof(Recordings.BareMetal))]
    public void ConfigMap_holds_every_object_verbatim_under_its_own_key(string recording)
    {
        var manifest = Prepared(recording);
        var data = Data(BuildOk(recording).Objects[0]);

        Assert.That(data.Select(kv => kv.Key), Is.EquivalentTo(manifest.Objects.Select(o => AddonNames.DataKey(o.Kind, o.Namespace, o.Name))));
        foreach (var o in manifest.Objects)
        {
            Assert.That(data[AddonNames.DataKey(o.Kind, o.Namespace, o.Name)]!.GetValue<string>(), Is.EqualTo(o.Text), o.Subject);
        }

        Assert.That(data.First().Key, Is.EqualTo("01-namespace-cilium-secrets.yaml"));
        Assert.That(data.Select(kv => kv.Key).All(AddonNames.IsValidDataKey));
    }

    [TestCaseSource(typeof(Recordings), nameof(Recordings.BareMetal))]
    public void Yaml_and_json_forms_agree_and_carry_labels_and_sorted_annotations(string recording)
    {
        foreach (var o in BuildOk(recording).Objects)
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(o.Yaml));
            Assert.That(JsonNode.DeepEquals(YamlJson.ToJson(stream.Documents[0].RootNode), o.Json), Is.True, o.Name);

            var metadata = o.Json["metadata"]!;
            Assert.That(metadata["namespace"]!.GetValue<string>(), Is.EqualTo("metal3"));
            Assert.That(metadata["labels"]!["app.kubernetes.io/managed-by"]!.GetValue<string>(), Is.EqualTo("capi-cilium-addon"));
            Assert.That(metadata["labels"]!["addon.capi-cilium.io/cluster-name"]!.GetValue<string>(), Is.EqualTo("capi-1"));
            Assert.That(metadata["annotations"]!.AsObject().Select(kv => kv.Key), Is.EqualTo(Annotations.Keys.Order(StringComparer.Ordinal)));
            Assert.That(metadata["ownerReferences"], Is.Null, "the controller adds the owner from the live Cluster");
        }
    }

    [Test]
    public void ClusterResourceSet_follows_the_v1beta2_schema()
    {
        var crs = BuildOk("baremetal-native-bgp-1.18").Objects[^1].Json;

        Assert.That(crs["apiVersion"]!.GetValue<string>(), Is.EqualTo("addons.cluster.x-k8s.io/v1beta2"));
        Assert.That(crs["kind"]!.GetValue<string>(), Is.EqualTo("ClusterResourceSet"));
        Assert.That(crs["spec"]!["strategy"]!.GetValue<string>(), Is.EqualTo("ApplyOnce"));
        Assert.That(crs["spec"]!["clusterSelector"]!["matchLabels"]!.ToJsonString(),
            Is.EqualTo("{\"addon.capi-cilium.io/cluster-uid\":\"5f0c9a5e-1f7b-4d5e-9c1a-0c6f2b1e7d42\"}"));
        Assert.That(crs["spec"]!["resources"]!.ToJsonString(), Is.EqualTo("[{\"name\":\"capi-1-cilium\",\"kind\":\"ConfigMap\"}]"));
    }

    [Test]
    public void Secrets_go_to_the_resource_set_Secret_never_into_a_ConfigMap()
    {
        var manifest = Prepared("default-hubble-1.18");
        var result = BuildOk("default-hubble-1.18");

        Assert.That(result.Objects.Select(o => $"{o.Kind} {o.Name}"),
            Is.EqualTo(new[] { "ConfigMap capi-1-cilium", "Secret capi-1-cilium-secrets", "ClusterResourceSet capi-1-cilium" }));
        var configMap = Data(result.Objects[0]);
        Assert.That(configMap, Has.Count.EqualTo(23));
        Assert.That(configMap.Select(kv => kv.Value!.GetValue<string>()), Has.None.Contains("kind: Secret"));
        Assert.That(result.Objects[0].Yaml, Does.Not.Contain("LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVk"), "no base64 PEM private key in the ConfigMap");

        var secret = result.Objects[1];
        Assert.That(secret.Json["type"]!.GetValue<string>(), Is.EqualTo("addons.cluster.x-k8s.io/resource-set"));
        var secretData = Data(secret);
        Assert.That(secretData.Select(kv => kv.Key), Is.EqualTo(new[] { "08-secret-kube-system.cilium-ca.yaml", "08-secret-kube-system.hubble-server-certs.yaml" }));
        Assert.That(secretData.Select(kv => Encoding.UTF8.GetString(Convert.FromBase64String(kv.Value!.GetValue<string>()))),
            Is.EqualTo(manifest.Objects.Where(o => o.Kind == "Secret").Select(o => o.Text)));

        Assert.That(result.Objects[2].Json["spec"]!["resources"]!.ToJsonString(),
            Is.EqualTo("[{\"name\":\"capi-1-cilium\",\"kind\":\"ConfigMap\"},{\"name\":\"capi-1-cilium-secrets\",\"kind\":\"Secret\"}]"));

        Assert.That(result.Problems.Select(p => (p.Severity, p.Subject)), Is.EqualTo(new[]
        {
            (ProblemSeverity.Warning, "Secret kube-system/cilium-ca"),
            (ProblemSeverity.Warning, "Secret kube-system/hubble-server-certs"),
        }));
        Assert.That(result.Problems[0].Message, Does.Contain("private keys").And.Contain("not reproducible"));
        Assert.That(result.Problems[0].Fix, Does.Contain("hubble.tls.auto.method=cronJob"));
    }

    [TestCaseSource(typeof(Recordings), nameof(Recordings.BareMetal))]
    public void Splits_into_ordered_parts_under_a_small_limit(string recording)
    {
        var manifest = Prepared(recording);
        var limits = new AddonLimits(MaxConfigMapBytes: 30_000);
        var result = BuildOk(recording, limits);

        var configMaps = result.Objects.Where(o => o.Kind == "ConfigMap").ToList();
        Assert.That(configMaps, Has.Count.GreaterThan(3));
        Assert.That(configMaps.Select(c => c.Name), Is.EqualTo(Enumerable.Range(1, configMaps.Count).Select(i => AddonNames.ConfigMap("capi-1", i))));
        Assert.That(configMaps[1].Name, Is.EqualTo("capi-1-cilium-2"));

        var keys = configMaps.SelectMany(c => Data(c).Select(kv => kv.Key)).ToList();
        Assert.That(keys, Has.Count.EqualTo(manifest.Objects.Count));
        Assert.That(keys, Is.Ordered.Using((IComparer<string>)StringComparer.Ordinal));
        Assert.That(keys, Is.EquivalentTo(manifest.Objects.Select(o => AddonNames.DataKey(o.Kind, o.Namespace, o.Name))), "each object once, across parts");

        foreach (var c in configMaps)
        {
            Assert.That(Encoding.UTF8.GetByteCount(c.Yaml), Is.LessThanOrEqualTo(limits.MaxConfigMapBytes), c.Name);
            Assert.That(Encoding.UTF8.GetByteCount(c.Json.ToJsonString()), Is.LessThanOrEqualTo(limits.MaxConfigMapBytes), c.Name);
        }

        var resources = result.Objects[^1].Json["spec"]!["resources"]!.AsArray();
        Assert.That(resources.Select(r => r!["name"]!.GetValue<string>()), Is.EqualTo(configMaps.Select(c => c.Name)));
    }

    [Test]
    public void An_object_bigger_than_the_limit_alone_is_a_problem()
    {
        var result = AddonObjectsBuilder.Build(Identity, Prepared("baremetal-native-bgp-1.18"), Annotations, new AddonLimits(MaxConfigMapBytes: 12_000));

        Assert.That(result.Succeeded, Is.False);
        Assert.That(result.Objects, Is.Empty);
        Assert.That(result.Problems.Select(p => p.Subject), Does.Contain("DaemonSet kube-system/cilium"));
        Assert.That(result.Problems.First(p => p.Subject == "DaemonSet kube-system/cilium").Message, Does.Contain("more than the limit of 12000 bytes"));
    }

    [Test]
    public void More_parts_than_a_ClusterResourceSet_may_list_is_a_problem()
    {
        var result = AddonObjectsBuilder.Build(Identity, Prepared("baremetal-native-bgp-1.18"), Annotations, new AddonLimits(MaxConfigMapBytes: 30_000, MaxResources: 3));

        Assert.That(result.Succeeded, Is.False);
        Assert.That(result.Problems.Single().Field, Is.EqualTo("spec.resources"));
    }

    [Test]
    public void Empty_selector_label_is_a_problem()
    {
        var identity = Identity with { SelectorLabel = new("", "") };

        var result = AddonObjectsBuilder.Build(identity, Prepared("baremetal-native-bgp-1.18"), Annotations, AddonLimits.Default);

        Assert.That(result.Succeeded, Is.False);
        Assert.That(result.Problems.Single().Message, Does.Contain("matches no Cluster"));
    }

    [Test]
    public void Missing_namespace_is_a_problem()
    {
        var result = AddonObjectsBuilder.Build(Identity with { Namespace = "" }, Prepared("baremetal-native-bgp-1.18"), Annotations, AddonLimits.Default);

        Assert.That(result.Succeeded, Is.False);
        Assert.That(result.Problems.Single().Field, Is.EqualTo("metadata"));
    }

    [Test]
    public void Output_is_byte_identical_across_two_builds()
    {
        var a = BuildOk("baremetal-native-bgp-1.18").ToYaml();
        var b = BuildOk("baremetal-native-bgp-1.18").ToYaml();
        Assert.That(b, Is.EqualTo(a));
        Assert.That(a, Does.Not.Contain("\r"));
    }

    [TestCase("Namespace", null, "cilium-secrets", "01-namespace-cilium-secrets.yaml")]
    [TestCase("ClusterRoleBinding", null, "system:cilium", "17-clusterrolebinding-system-cilium.yaml")]
    [TestCase("Role", "cilium-secrets", "a/b c", "19-role-cilium-secrets.a-b-c.yaml")]
    [TestCase("Job", "kube-system", "hubble-generate-certs-db903e35d6", "31-job-kube-system.hubble-generate-certs-db903e35d6.yaml")]
    [TestCase("CiliumBGPClusterConfig", null, "bgp", "99-ciliumbgpclusterconfig-bgp.yaml")]
    public void Data_keys_rank_the_kind_by_install_order_then_name_the_object(string kind, string? ns, string name, string key)
    {
        Assert.That(AddonNames.DataKey(kind, ns, name), Is.EqualTo(key));
        Assert.That(AddonNames.IsValidDataKey(key), Is.True);
    }

    [TestCase("baremetal-native-bgp-1.17")]
    [TestCase("baremetal-native-bgp-1.20")]
    public void Sorted_data_keys_apply_objects_in_the_order_the_chart_installs_their_kinds(string recording)
    {
        var manifest = Prepared(recording);
        var chartKindOrder = manifest.Objects.Where(o => o.Origin == ObjectOrigin.Chart).Select(o => o.Kind).Distinct().ToList();

        var keys = BuildOk(recording).Objects.Single(o => o.Kind == "ConfigMap").Json["data"]!.AsObject().Select(kv => kv.Key).ToList();

        Assert.That(keys, Is.Ordered.Using((IComparer<string>)StringComparer.Ordinal));
        var keyKindOrder = keys.Select(k => manifest.Objects.Single(o => AddonNames.DataKey(o.Kind, o.Namespace, o.Name) == k))
            .Where(o => o.Origin == ObjectOrigin.Chart).Select(o => o.Kind).Distinct().ToList();
        Assert.That(keyKindOrder, Is.EqualTo(chartKindOrder));
    }

    [Test]
    public void Adding_an_object_renames_no_other_data_key()
    {
        var older = BuildOk("baremetal-native-bgp-1.18").Objects.Single(o => o.Kind == "ConfigMap").Json["data"]!.AsObject().Select(kv => kv.Key).ToHashSet();
        var newer = BuildOk("baremetal-native-bgp-1.20").Objects.Single(o => o.Kind == "ConfigMap").Json["data"]!.AsObject().Select(kv => kv.Key).ToHashSet();

        // 1.20 adds the ztunnel Role and RoleBinding and the content-named Job, and drops the 1.18 bootstrap Job.
        Assert.That(newer.Except(older), Is.EquivalentTo(new[]
        {
            "19-role-kube-system.cilium-operator-ztunnel.yaml",
            "21-rolebinding-kube-system.cilium-operator-ztunnel.yaml",
            "31-job-kube-system.hubble-generate-certs-db903e35d6.yaml",
        }));
        Assert.That(older.Except(newer), Is.EqualTo(new[] { "31-job-kube-system.hubble-generate-certs-bootstrap.yaml" }));
    }

    [Test]
    public void Names_follow_the_team_convention()
    {
        Assert.That(AddonNames.ConfigMap("capi-1"), Is.EqualTo("capi-1-cilium"));
        Assert.That(AddonNames.ConfigMap("capi-1", 3), Is.EqualTo("capi-1-cilium-3"));
        Assert.That(AddonNames.Secret("capi-1"), Is.EqualTo("capi-1-cilium-secrets"));
        Assert.That(AddonNames.ClusterResourceSet("capi-1"), Is.EqualTo("capi-1-cilium"));
    }
}
