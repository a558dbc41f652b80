using System.Text.RegularExpressions;
using CapiCiliumAddon.Testing;

namespace CapiCiliumAddon.Cli.Tests;

/// <summary>
/// `render` on a GitOps repository as Metal3 users keep it: Clusters without an endpoint next to their Metal3Cluster
/// and KubeadmControlPlane, v1beta1 and v1beta2, a ClusterClass Cluster with the endpoint variable, and one Cluster
/// whose Metal3Cluster is not in the repository yet.
/// </summary>
public partial class RepositoryShapedRenderTests : FakeCiliumTest
{
    private string _chart = null!;

    [SetUp]
    public void SetUp()
    {
        _chart = FakeChart.Create(Temp.Combine("chart"), "1.18.12");
    }

    private string Clusters => Temp.Combine("repo", "clusters");

    private void Write(string relativePath, string text)
    {
        var path = Path.Combine(Clusters, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private void WriteRepository()
    {
        Write("site-a/cluster.yaml", ClusterRepositoryFiles.Metal3V1Beta2());
        Write("site-b/cluster.yaml", ClusterRepositoryFiles.Metal3V1Beta1(refNamespace: null));
        Write("site-c/cluster.yaml", ClusterRepositoryFiles.Metal3Topology());
        // Its Metal3Cluster has not been committed yet.
        Write("site-d/cluster.yaml", ClusterRepositoryFiles.Metal3V1Beta2(name: "site-d", host: "192.168.111.253", pods: "10.247.0.0/16").Split("---\n")[0]);
    }

    private Task<(int Exit, string Stdout, string Stderr)> Render(string output, params string[] extra) =>
        CommandRunner.Run(["render", Clusters, "--out", output, "--cilium", Cilium, "--chart-directory", _chart, .. extra]);

    /// <summary>The value lines after each `- name: KUBERNETES_SERVICE_HOST|PORT` in the rendered manifest.</summary>
    private static List<string> EnvValues(string configMap, string variable) =>
        EnvValue().Matches(configMap).Where(m => m.Groups["name"].Value == variable).Select(m => m.Groups["value"].Value).ToList();

    [GeneratedRegex("- name: (?<name>KUBERNETES_SERVICE_(HOST|PORT))\\n\\s+value: \"?(?<value>[^\"\\n]*)\"?\\n")]
    private static partial Regex EnvValue();

    [Test]
    public async Task EachReadyClusterGetsOneClusterResourceSetWithTheEndpointOfItsInfrastructureClusterOrVariable()
    {
        WriteRepository();

        var (exit, stdout, stderr) = await Render(Temp.Combine("out"));

        Assert.That(exit, Is.EqualTo(1), "site-d is not ready\n" + stderr);
        Assert.That(stdout, Does.Contain("3 of 4 Cluster(s) labelled cni: cilium rendered"));
        var expected = new Dictionary<string, string>
        {
            ["site-a"] = "192.168.111.249",
            ["site-b"] = "192.168.111.250",
            ["site-c"] = "192.168.111.251",
        };
        Assert.That(Directory.GetDirectories(Temp.Combine("out", "metal3")).Select(Path.GetFileName), Is.EquivalentTo(expected.Keys));
        foreach (var (name, host) in expected)
        {
            var folder = Temp.Combine("out", "metal3", name);
            Assert.That(Directory.GetFiles(folder, "clusterresourceset-*.yaml"), Has.Length.EqualTo(1), name);
            var configMaps = string.Concat(Directory.GetFiles(folder, "configmap-*.yaml").Order(StringComparer.Ordinal).Select(File.ReadAllText));
            Assert.That(EnvValues(configMaps, "KUBERNETES_SERVICE_HOST"), Is.EqualTo(Enumerable.Repeat(host, 5)), name);
            Assert.That(EnvValues(configMaps, "KUBERNETES_SERVICE_PORT"), Is.EqualTo(Enumerable.Repeat("6443", 5)), name);
        }

        Assert.That(stdout, Does.Contain("not ready: metal3/site-d"));
        Assert.That(stderr, Does.Contain(
            "warning: metal3/site-d: spec.infrastructureRef: the control plane endpoint is not set yet: the Cluster has no spec.controlPlaneEndpoint; " +
            "Metal3Cluster metal3/site-d, which its spec.infrastructureRef names, is not among the input files; nothing is rendered until it has a host and a port " +
            "(add the file that defines Metal3Cluster metal3/site-d to the inputs)"));
    }

    [Test]
    public async Task TheShippedExamplesRenderWithTheirEndpointsFromTheMetal3ClusterAndTheTopology()
    {
        var examples = Path.Combine(RepositoryPaths.Root, "hack", "examples", "clusters");

        var (exit, _, stderr) = await CommandRunner.Run("render", examples, "--out", Temp.Combine("out"), "--cilium", Cilium, "--chart-directory", _chart);

        Assert.That(exit, Is.EqualTo(0), stderr);
        var siteA = File.ReadAllText(Temp.Combine("out", "metal3", "site-a-prod", "configmap-site-a-prod-cilium.yaml"));
        var siteB = File.ReadAllText(Temp.Combine("out", "metal3-edge", "site-b-edge", "configmap-site-b-edge-cilium.yaml"));
        Assert.That(EnvValues(siteA, "KUBERNETES_SERVICE_HOST"), Is.EqualTo(Enumerable.Repeat("192.168.111.249", 5)));
        Assert.That(EnvValues(siteB, "KUBERNETES_SERVICE_HOST"), Is.EqualTo(Enumerable.Repeat("fd00:192:168:111::249", 5)));
    }

    [Test]
    public async Task TwoRunsOverTheRepositoryAreByteIdentical()
    {
        WriteRepository();

        await Render(Temp.Combine("one"));
        await Render(Temp.Combine("two"));

        var one = CommandRunner.Snapshot(Temp.Combine("one"));
        Assert.That(one.Keys, Has.Count.EqualTo(12), "three Clusters, four files each (ConfigMap, ClusterResourceSet, kustomization, values)");
        Assert.That(CommandRunner.Snapshot(Temp.Combine("two")), Is.EqualTo(one));
    }

    [Test]
    public async Task ExplainSaysWhereEachEndpointCameFrom()
    {
        WriteRepository();

        var (_, stdout, _) = await CommandRunner.Run("render", Clusters, "--explain", "--chart-directory", _chart);

        Assert.That(stdout, Does.Match(@"metal3/site-a: Cilium 1\.18\.12[^\n]*\n(  [^\n]*\n)*?  k8sServiceHost\s+192\.168\.111\.249\s+Metal3Cluster metal3/site-a spec\.controlPlaneEndpoint\.host\n"));
        Assert.That(stdout, Does.Match(@"k8sServicePort\s+6443\s+Metal3Cluster metal3/site-b spec\.controlPlaneEndpoint\.port\n"));
        Assert.That(stdout, Does.Match(@"k8sServiceHost\s+192\.168\.111\.251\s+Cluster spec\.topology\.variables\[controlPlaneEndpoint\]\.value\.host\n"));
        Assert.That(FakeCiliumCli.ReadInvocations(RecordDirectory), Is.Empty);
    }

    [Test]
    public async Task TheEndpointVariableFlagNamesAnotherVariable()
    {
        Write("site-c.yaml", ClusterRepositoryFiles.Metal3Topology(variable: "apiServerEndpoint"));

        var (withoutFlag, _, stderr) = await Render(Temp.Combine("without"));
        var (withFlag, _, _) = await Render(Temp.Combine("with"), "--endpoint-variable", "apiServerEndpoint");

        Assert.That(withoutFlag, Is.EqualTo(1));
        Assert.That(stderr, Does.Contain("the topology has no variable 'controlPlaneEndpoint'").And.Contain("--endpoint-variable"));
        Assert.That(withFlag, Is.EqualTo(0));
        var configMap = File.ReadAllText(Temp.Combine("with", "metal3", "site-c", "configmap-site-c-cilium.yaml"));
        Assert.That(EnvValues(configMap, "KUBERNETES_SERVICE_HOST"), Is.EqualTo(Enumerable.Repeat("192.168.111.251", 5)));
    }

    [Test]
    public async Task TheEndpointVariableIsAnOptionOfTheFileCommandsNotOfTheController()
    {
        var (exit, _, stderr) = await CommandRunner.Run("controller", "--endpoint-variable", "x");
        var (emptyExit, _, emptyStderr) = await CommandRunner.Run("render", Clusters, "--explain", "--endpoint-variable", " ");

        Assert.That(exit, Is.EqualTo(2), "the controller reads live Clusters, whose endpoint Cluster API has copied");
        Assert.That(stderr, Does.Contain("--endpoint-variable"));
        Assert.That(emptyExit, Is.EqualTo(2));
        Assert.That(emptyStderr, Does.Contain("--endpoint-variable must name a topology variable"));
    }

    [Test]
    public async Task ConflictingEndpointsWriteNothingAndNameBothPlaces()
    {
        Write("site-a.yaml", ClusterRepositoryFiles.Metal3V1Beta2(clusterExtraSpec: "  controlPlaneEndpoint:\n    host: 192.168.111.9\n    port: 6443\n"));

        var (exit, stdout, stderr) = await Render(Temp.Combine("out"));

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(stdout, Does.Contain("invalid: metal3/site-a"));
        Assert.That(stderr, Does.Contain("error: metal3/site-a: spec.controlPlaneEndpoint: Cluster metal3/site-a spec.controlPlaneEndpoint is 192.168.111.9:6443 but Metal3Cluster metal3/site-a spec.controlPlaneEndpoint is 192.168.111.249:6443"));
        Assert.That(Directory.Exists(Temp.Combine("out")), Is.False);
    }
}
