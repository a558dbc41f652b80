using CapiCiliumAddon.Rendering.Release;
using CapiCiliumAddon.Rendering.Review;
using CapiCiliumAddon.Testing;

namespace CapiCiliumAddon.Rendering.Tests.Release;

public class RenderChangesTests
{
    private static readonly IReadOnlyDictionary<string, string> NoFacts = new Dictionary<string, string>();

    private static IReadOnlyList<ManifestObject> Recording(string name)
    {
        var loaded = ManifestLoader.Load(Path.Combine(RepositoryPaths.Fixtures, "cilium-cli", name, "stdout.yaml"));
        Assert.That(loaded.HasErrors, Is.False);
        return loaded.Objects;
    }

    private static IReadOnlyList<RenderChange> Between(string from, string to, IReadOnlyDictionary<string, string>? facts = null) =>
        RenderChanges.Between(Recording(from), Recording(to), facts ?? NoFacts);

    /// <summary>How a change shows an empty value (as <see cref="FieldChange"/> does): "".</summary>
    private static string? Shown(string? value) => value == "" ? "\"\"" : value;

    [TestCase("baremetal-native-bgp-1.17", "baremetal-native-bgp-1.18")]
    [TestCase("baremetal-native-bgp-1.18", "baremetal-native-bgp-1.19")]
    [TestCase("baremetal-native-bgp-1.19", "baremetal-native-bgp-1.20")]
    public void TheCiliumConfigChangesAreThoseOfTheRecordings(string from, string to)
    {
        var expected = RecordedCiliumConfig.Changes(from, to).Select(c => (c.Key, Shown(c.OldValue), Shown(c.NewValue))).ToList();

        var changes = Between(from, to).Where(c => c.Area == RenderChangeArea.CiliumConfig).ToList();

        Assert.That(expected, Is.Not.Empty);
        Assert.That(changes.Select(c => (c.Item, c.OldValue, c.NewValue)), Is.EqualTo(expected));
        Assert.That(changes.Select(c => c.Kind), Is.EqualTo(expected.Select(e =>
            e.Item2 is null ? FieldChangeKind.Added : e.Item3 is null ? FieldChangeKind.Removed : FieldChangeKind.Modified)));
        Assert.That(changes.Select(c => c.Owner).Distinct(), Is.EqualTo(new[] { "ConfigMap kube-system/cilium-config" }));
    }

    [Test]
    public void Chart118GivesTheAgentTwoClientBackoffVariables()
    {
        var changes = Between("baremetal-native-bgp-1.17", "baremetal-native-bgp-1.18").Where(c => c.Area != RenderChangeArea.CiliumConfig);

        Assert.That(changes, Is.EqualTo(new[]
        {
            new RenderChange(RenderChangeArea.Agent, "DaemonSet kube-system/cilium", "env[name=KUBE_CLIENT_BACKOFF_BASE].value", FieldChangeKind.Added, null, "1"),
            new RenderChange(RenderChangeArea.Agent, "DaemonSet kube-system/cilium", "env[name=KUBE_CLIENT_BACKOFF_DURATION].value", FieldChangeKind.Added, null, "120"),
        }), "the operator's command line and env stay as they were, and no object comes or goes");
    }

    [Test]
    public void Chart119AddsTheCertificateJobAndTheZtunnelRbac()
    {
        var objects = Between("baremetal-native-bgp-1.18", "baremetal-native-bgp-1.19").Where(c => c.Area == RenderChangeArea.Objects);

        Assert.That(objects.Select(c => (c.Kind, c.Item)), Is.EqualTo(new[]
        {
            (FieldChangeKind.Added, "batch/v1 Job kube-system/hubble-generate-certs-<hash of its spec>"),
            (FieldChangeKind.Added, "rbac.authorization.k8s.io/v1 Role kube-system/cilium-operator-ztunnel"),
            (FieldChangeKind.Added, "rbac.authorization.k8s.io/v1 RoleBinding kube-system/cilium-operator-ztunnel"),
        }));
    }

    [Test]
    public void AJobNamedAfterItsSpecIsRenamedNotReplaced()
    {
        var objects = Between("baremetal-native-bgp-1.19", "baremetal-native-bgp-1.20").Where(c => c.Area == RenderChangeArea.Objects);

        Assert.That(objects, Is.EqualTo(new[]
        {
            new RenderChange(RenderChangeArea.Objects, "", "batch/v1 Job kube-system/hubble-generate-certs-<hash of its spec>", FieldChangeKind.Modified, null, null),
        }), "hubble-generate-certs-d23753c582 became hubble-generate-certs-db903e35d6: the same Job");
    }

    [Test]
    public void TheSameRenderChangesNothing()
    {
        Assert.That(Between("baremetal-native-bgp-1.20", "baremetal-native-bgp-1.20"), Is.Empty);
    }

    [Test]
    public void AClustersOwnFactsShowAsPlaceholdersSoThatFleetsGroup()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.Combine("old.yaml"), Manifest("cluster-name: edge-7", "- --config-dir=/tmp/cilium/config-map"));
        File.WriteAllText(temp.Combine("new.yaml"), Manifest(
            "cluster-name: edge-7\n  clustermesh-local-name: edge-7\n  api-server-address: 192.168.7.10",
            "- --config-dir=/tmp/cilium/config-map\n        - --cluster-name=edge-7"));
        var facts = new Dictionary<string, string> { ["edge-7"] = "<cluster.name>", ["192.168.7.10"] = "<k8sServiceHost>" };

        var changes = RenderChanges.Between(ManifestLoader.Load(temp.Combine("old.yaml")).Objects, ManifestLoader.Load(temp.Combine("new.yaml")).Objects, facts);

        Assert.That(changes.Select(c => (c.Area, c.Item, c.NewValue)), Is.EqualTo(new[]
        {
            (RenderChangeArea.CiliumConfig, "api-server-address", "<k8sServiceHost>"),
            (RenderChangeArea.CiliumConfig, "clustermesh-local-name", "<cluster.name>"),
            (RenderChangeArea.Operator, "args", "--cluster-name=<cluster.name>"),
        }));
    }

    [Test]
    public void OurOwnWrappersAreNotPartOfTheChart()
    {
        using var temp = new TempDirectory();
        static string Wrapper(string name, string hash) =>
            $"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: metal3\n  labels:\n    app.kubernetes.io/managed-by: capi-cilium-addon\n  annotations:\n    addon.capi-cilium.io/input-hash: {hash}\n";
        File.WriteAllText(temp.Combine("old.yaml"), Wrapper("capi-1-cilium", "a"));
        File.WriteAllText(temp.Combine("new.yaml"), Wrapper("capi-1-cilium", "b") + "---\n" + Wrapper("capi-1-cilium-2", "b"));

        Assert.That(RenderChanges.Between(ManifestLoader.Load(temp.Combine("old.yaml")).Objects, ManifestLoader.Load(temp.Combine("new.yaml")).Objects, NoFacts), Is.Empty);
    }

    private static string Manifest(string config, string operatorArgs) => $"""
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: cilium-config
          namespace: kube-system
        data:
          {config}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: cilium-operator
          namespace: kube-system
        spec:
          template:
            spec:
              containers:
              - name: cilium-operator
                args:
                {operatorArgs}

        """;
}
