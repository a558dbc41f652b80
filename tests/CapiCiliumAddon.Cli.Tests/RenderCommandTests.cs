using CapiCiliumAddon.Testing;

namespace CapiCiliumAddon.Cli.Tests;

public class RenderCommandTests : FakeCiliumTest
{
    private string _chart = null!;

    [SetUp]
    public void SetUp()
    {
        _chart = FakeChart.Create(Temp.Combine("chart"), "1.18.12");
    }

    internal static string Cluster(string name, string endpoint = "host: 10.250.250.29\n    port: 6443", string ns = "metal3",
        string? selectorLabel = "<name>", string extraMetadata = "", string pods = "[\"10.244.0.0/16\"]")
    {
        var label = selectorLabel is null ? "" : $"\n    addon.capi-cilium.io/cluster-name: {selectorLabel.Replace("<name>", name, StringComparison.Ordinal)}";
        return $"""
            apiVersion: cluster.x-k8s.io/v1beta2
            kind: Cluster
            metadata:
              name: {name}
              namespace: {ns}
              labels:
                cni: cilium{label}
            {extraMetadata}
            spec:
              clusterNetwork:
                pods:
                  cidrBlocks: {pods}
              controlPlaneEndpoint:
                {endpoint}

            """;
    }

    private string WriteClusters(string fileName, params string[] documents)
    {
        var path = Temp.Combine("clusters", fileName);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, string.Join("---\n", documents));
        return path;
    }

    private async Task<(int Exit, string Stdout, string Stderr)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await CliApp.RunAsync(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private Task<(int Exit, string Stdout, string Stderr)> Render(string output, params string[] extra) =>
        Run(["render", Temp.Combine("clusters"), "--out", output, "--cilium", Cilium, "--chart-directory", _chart, .. extra]);

    private static string[] FilesUnder(string directory) => Directory.Exists(directory)
        ? Directory.GetFiles(directory, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(directory, f)).Order(StringComparer.Ordinal).ToArray()
        : [];

    [Test]
    public async Task RendersALabelledClusterIntoItsOwnFolder()
    {
        WriteClusters("a.yaml", Cluster("capi-1"));

        var (exit, stdout, stderr) = await Render(Temp.Combine("out"));

        Assert.That(exit, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("1 of 1 Cluster(s) labelled cni: cilium rendered"));
        Golden.AssertDirectoryMatches(Temp.Combine("out"), "render-capi-1");
    }

    [Test]
    public async Task WithoutAPinTheDefaultCilium_1_19_6_RendersAndPassesEveryCheck()
    {
        WriteClusters("a.yaml", Cluster("capi-1"));
        var chart119 = FakeChart.Create(Temp.Combine("chart-1.19"), "1.19.6");

        // Two charts: neither is "the single chart directory", so the default version decides.
        var (exit, _, stderr) = await Run(["render", Temp.Combine("clusters"), "--out", Temp.Combine("out"), "--cilium", Cilium,
            "--chart-directory", _chart, "--chart-directory", chart119]);

        Assert.That(exit, Is.EqualTo(0), stderr);
        var configMap = File.ReadAllText(Temp.Combine("out", "metal3", "capi-1", "configmap-capi-1-cilium.yaml"));
        Assert.That(configMap, Does.Contain("addon.capi-cilium.io/chart-version: \"1.19.6\"").Or.Contain("addon.capi-cilium.io/chart-version: 1.19.6"));
        Assert.That(configMap, Does.Contain("quay.io/cilium/cilium:v1.19.6@"));
        Assert.That(configMap, Does.Match(@"31-job-kube-system\.hubble-generate-certs-[0-9a-f]{10}\.yaml"), "1.19 ships the certificate Job itself");
        Assert.That(configMap, Does.Not.Contain("hubble-generate-certs-bootstrap"));
        Assert.That(FakeCiliumCli.ReadInvocations(RecordDirectory).Single(i => i.Argv.Contains("install")).Argv, Does.Contain(chart119));
    }

    [Test]
    public async Task TwoRunsAreByteIdentical()
    {
        WriteClusters("a.yaml", Cluster("capi-1"), Cluster("capi-2", "host: 10.250.250.30\n    port: 6443", pods: "[\"10.245.0.0/16\"]"));

        await Render(Temp.Combine("one"));
        await Render(Temp.Combine("two"));

        var files = FilesUnder(Temp.Combine("one"));
        Assert.That(files, Is.EqualTo(FilesUnder(Temp.Combine("two"))));
        Assert.That(files, Has.Length.GreaterThan(3));
        foreach (var file in files)
        {
            Assert.That(File.ReadAllBytes(Temp.Combine("two", file)), Is.EqualTo(File.ReadAllBytes(Temp.Combine("one", file))), file);
        }
    }

    [Test]
    public async Task ANotReadyClusterGetsNothingAndTheOthersStillRender()
    {
        WriteClusters("a.yaml", Cluster("ready"), Cluster("pending", "host: \"\"\n    port: 0"));

        var (exit, stdout, stderr) = await Render(Temp.Combine("out"));

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(stderr, Does.Contain("metal3/pending: spec.controlPlaneEndpoint: the control plane endpoint is not set yet"));
        Assert.That(stdout, Does.Contain("not ready: metal3/pending"));
        Assert.That(Directory.Exists(Temp.Combine("out", "metal3", "pending")), Is.False);
        Assert.That(FilesUnder(Temp.Combine("out", "metal3", "ready")), Is.Not.Empty);
    }

    [Test]
    public async Task AnInvalidEndpointIsNamedAndWritesNothing()
    {
        WriteClusters("a.yaml", Cluster("bad", "host: \"10.0.0.1,10.0.0.2\"\n    port: 6443"));

        var (exit, stdout, stderr) = await Render(Temp.Combine("out"));

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(stderr, Does.Contain("error: metal3/bad: spec.controlPlaneEndpoint.host: '10.0.0.1,10.0.0.2' is not an IP address or DNS name"));
        Assert.That(stdout, Does.Contain("invalid: metal3/bad"));
        Assert.That(FilesUnder(Temp.Combine("out")), Is.Empty);
    }

    [Test]
    public async Task AClusterWithoutTheSelectorLabelIsToldWhichLabelToAdd()
    {
        WriteClusters("a.yaml", Cluster("capi-1", selectorLabel: null), Cluster("capi-2", selectorLabel: "capi-1"));

        var (exit, _, stderr) = await Render(Temp.Combine("out"));

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(stderr, Does.Contain("metal3/capi-1: metadata.labels[addon.capi-cilium.io/cluster-name]").And.Contain("add the label `addon.capi-cilium.io/cluster-name: capi-1` to the Cluster"));
        Assert.That(stderr, Does.Contain("it is 'capi-1', which would select another Cluster"));
        Assert.That(FilesUnder(Temp.Combine("out")), Is.Empty);
    }

    [Test]
    public async Task UnlabelledClustersAndOtherObjectsAreIgnored()
    {
        WriteClusters("a.yaml", Cluster("capi-1"), Cluster("other").Replace("cni: cilium", "cni: calico", StringComparison.Ordinal),
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: metal3\n");

        var (exit, stdout, _) = await Render(Temp.Combine("out"));

        Assert.That(exit, Is.EqualTo(0));
        Assert.That(stdout, Does.Contain("1 of 1 Cluster(s)"));
        Assert.That(Directory.GetDirectories(Temp.Combine("out", "metal3")).Select(Path.GetFileName), Is.EqualTo(new[] { "capi-1" }));
    }

    [Test]
    public async Task TwoClustersWithOneNameAreBothRefused()
    {
        WriteClusters("a.yaml", Cluster("twin"));
        WriteClusters("b.yaml", Cluster("twin", "host: 10.0.0.9\n    port: 6443"));

        var (exit, _, stderr) = await Render(Temp.Combine("out"));

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(stderr, Does.Contain("metal3/twin: metadata.name: defined 2 times"));
        Assert.That(FilesUnder(Temp.Combine("out")), Is.Empty);
    }

    [Test]
    public async Task ACliFailureIsQuotedAndWritesNothing()
    {
        WriteClusters("a.yaml", Cluster("capi-1"));
        var failing = FakeCiliumCli.CreateWrapper(Temp.Combine("failing"), "fail:something broke");

        var (exit, stdout, stderr) = await Run("render", Temp.Combine("clusters"), "--out", Temp.Combine("out"), "--cilium", failing, "--chart-directory", _chart);

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(stderr, Does.Contain("metal3/capi-1: cilium install --dry-run: the Cilium CLI failed (exit 1): Unable to install Cilium: something broke"));
        Assert.That(stdout, Does.Contain("failed: metal3/capi-1"));
        Assert.That(FilesUnder(Temp.Combine("out")), Is.Empty);
    }

    [Test]
    public async Task GarbageFromTheCliWritesNothing()
    {
        WriteClusters("a.yaml", Cluster("capi-1"));
        var garbage = FakeCiliumCli.CreateWrapper(Temp.Combine("garbage"), "garbage");

        var (exit, _, _) = await Run("render", Temp.Combine("clusters"), "--out", Temp.Combine("out"), "--cilium", garbage, "--chart-directory", _chart);

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(FilesUnder(Temp.Combine("out")), Is.Empty);
    }

    [TestCase("hang", "did not finish within 2 s and was killed")]
    [TestCase("huge:50", "printed more than")]
    [TestCase("truncated", "")]
    [TestCase("empty", "")]
    [TestCase("crash", "the Cilium CLI failed (exit 2)")]
    public async Task AMisbehavingCliWritesNothingForThatCluster(string mode, string message)
    {
        WriteClusters("a.yaml", Cluster("capi-1"));
        var misbehaving = FakeCiliumCli.CreateWrapper(Temp.Combine(mode.Replace(':', '-')), mode);

        var (exit, stdout, stderr) = await Run("render", Temp.Combine("clusters"), "--out", Temp.Combine("out"), "--cilium", misbehaving, "--chart-directory", _chart, "--timeout", "2");

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(stderr, Does.Contain("error: metal3/capi-1: ").And.Contain(message));
        Assert.That(stdout, Does.Contain("failed: metal3/capi-1"));
        Assert.That(FilesUnder(Temp.Combine("out")), Is.Empty);
    }

    [Test]
    public async Task ARemovedValueInAValuesConfigMapBesideTheClusterIsRefusedBeforeTheCliRuns()
    {
        WriteClusters("a.yaml", Cluster("capi-1", extraMetadata: "  annotations:\n    addon.capi-cilium.io/values-configmap: cilium-values"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cilium-values\n  namespace: metal3\ndata:\n  values.yaml: |\n    kubeProxyReplacement: strict\n");

        var (exit, _, stderr) = await Render(Temp.Combine("out"));

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(stderr, Does.Contain("values.kubeProxyReplacement (from values ConfigMap metal3/cilium-values): 'strict' was removed in Cilium 1.16"));
        Assert.That(FakeCiliumCli.ReadInvocations(RecordDirectory).Select(i => i.Argv[0]), Is.EqualTo(new[] { "version" }), "no install was run");
        Assert.That(FilesUnder(Temp.Combine("out")), Is.Empty);
    }

    [Test]
    public async Task AnUnreadableFileIsNamedAndTheOtherFilesStillRender()
    {
        WriteClusters("a.yaml", Cluster("capi-1"));
        WriteClusters("broken.yaml", "apiVersion: v1\nkind: [unclosed\n");

        var (exit, stdout, stderr) = await Render(Temp.Combine("out"));

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(stderr, Does.Contain("broken.yaml: (file): line"));
        Assert.That(stdout, Does.Contain("unreadable: ").And.Contain("broken.yaml"));
        Assert.That(FilesUnder(Temp.Combine("out", "metal3", "capi-1")), Is.Not.Empty);
    }

    [Test]
    public async Task AChartOfAnotherVersionThanRequestedIsReported()
    {
        WriteClusters("a.yaml", Cluster("capi-1", extraMetadata: "  annotations:\n    addon.capi-cilium.io/cilium-version: 1.20.0"));

        var (exit, _, stderr) = await Render(Temp.Combine("out"));

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(stderr, Does.Contain("Cilium 1.20.0 was requested but the chart directories hold 1.18.12"));
    }

    [Test]
    public async Task WithoutACiliumCliTheErrorSaysHowToGetOne()
    {
        WriteClusters("a.yaml", Cluster("capi-1"));

        var (exit, _, stderr) = await Run("render", Temp.Combine("clusters"), "--out", Temp.Combine("out"), "--cilium", Temp.Combine("nope", "cilium"));

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("--install-cilium-cli"));
    }

    [Test]
    public async Task UsageErrorsExitTwo()
    {
        Assert.That((await Run("render", Temp.Combine("missing"), "--out", Temp.Combine("out"))).Exit, Is.EqualTo(2));
        Assert.That((await Run("render", Temp.Path)).Exit, Is.EqualTo(2), "--out is required");
        Assert.That((await Run("render", Temp.Path, "--out", "x", "--cilium-version", "1.18.3 --kubeconfig=x")).Exit, Is.EqualTo(2));
    }

    [Test]
    public async Task ExplainShowsEveryValueAndItsSourceWithoutRunningTheCli()
    {
        WriteClusters("a.yaml", Cluster("capi-1", extraMetadata: "  annotations:\n    addon.capi-cilium.io/cni-bin-path: /opt/cni/bin"));

        var (exit, stdout, _) = await Run("render", Temp.Combine("clusters"), "--explain", "--chart-directory", _chart);

        Assert.That(exit, Is.EqualTo(0));
        Assert.That(stdout, Does.Contain("metal3/capi-1: Cilium 1.18.12"));
        Assert.That(stdout, Does.Match(@"k8sServiceHost\s+10\.250\.250\.29\s+Cluster spec\.controlPlaneEndpoint\.host"));
        Assert.That(stdout, Does.Match(@"cni\.binPath\s+/opt/cni/bin\s+annotation addon\.capi-cilium\.io/cni-bin-path"));
        Assert.That(FakeCiliumCli.ReadInvocations(RecordDirectory), Is.Empty);
    }
}
