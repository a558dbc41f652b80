using CapiCiliumAddon.Cli.Commands;
using CapiCiliumAddon.Testing;

namespace CapiCiliumAddon.Cli.Tests;

/// <summary>Runs the real command tree in-process and captures its output.</summary>
internal static class CommandRunner
{
    public static async Task<(int Exit, string Stdout, string Stderr)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await CliApp.RunAsync(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    public static string[] FilesUnder(string directory) => Directory.Exists(directory)
        ? Directory.GetFiles(directory, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(directory, f)).Order(StringComparer.Ordinal).ToArray()
        : [];

    /// <summary>Every file's bytes by relative path, to prove a command changed nothing (or exactly what it should).</summary>
    public static Dictionary<string, byte[]> Snapshot(string directory) =>
        FilesUnder(directory).ToDictionary(f => f, f => File.ReadAllBytes(Path.Combine(directory, f)));
}

public class CheckCommandTests : FakeCiliumTest
{
    private string _chart = null!;

    [SetUp]
    public void SetUp()
    {
        _chart = FakeChart.Create(Temp.Combine("chart"), "1.18.12");
    }

    private string Out => Temp.Combine("out");

    private void WriteClusters(params string[] documents)
    {
        var directory = Temp.Combine("clusters");
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "clusters.yaml"), string.Join("---\n", documents));
    }

    private async Task RenderFresh()
    {
        var (exit, _, stderr) = await CommandRunner.Run("render", Temp.Combine("clusters"), "--out", Out, "--cilium", Cilium, "--chart-directory", _chart);
        Assert.That(exit, Is.EqualTo(0), stderr);
    }

    private async Task<(int Exit, string Stdout, string Stderr)> Check(params string[] extra)
    {
        var (exit, stdout, stderr) = await CommandRunner.Run(["check", Temp.Combine("clusters"), "--against", Out, "--cilium", Cilium, "--chart-directory", _chart, .. extra]);
        return (exit, stdout.Replace(Temp.Path, "<tmp>", StringComparison.Ordinal), stderr);
    }

    private string ClusterFile(string cluster, string file) => Path.Combine(Out, "metal3", cluster, file);

    private static string Second => RenderCommandTests.Cluster("capi-2", "host: 10.250.250.30\n    port: 6443", pods: "[\"10.245.0.0/16\"]");

    [Test]
    public async Task AFreshTreeJustRenderedPassesAndIsNotTouched()
    {
        WriteClusters(RenderCommandTests.Cluster("capi-1"), Second);
        await RenderFresh();
        var before = CommandRunner.Snapshot(Out);

        var (exit, stdout, stderr) = await Check();

        Assert.That(exit, Is.EqualTo(0), stdout + stderr);
        Golden.AssertMatches(stdout, "check-fresh.txt");
        Assert.That(CommandRunner.Snapshot(Out), Is.EqualTo(before));
    }

    [Test]
    public async Task AHandEditedFileIsNamedWithItsClusterAndWhatChanged()
    {
        WriteClusters(RenderCommandTests.Cluster("capi-1"), Second);
        await RenderFresh();
        var path = ClusterFile("capi-1", "configmap-capi-1-cilium.yaml");
        var edited = File.ReadAllText(path).Replace("routing-mode: \"native\"", "routing-mode: \"tunnel\"", StringComparison.Ordinal);
        Assert.That(edited, Is.Not.EqualTo(File.ReadAllText(path)), "the edit must hit");
        File.WriteAllText(path, edited);
        var before = CommandRunner.Snapshot(Out);

        var (exit, stdout, _) = await Check();

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(stdout, Does.Contain("metal3/capi-1:\n  stale     configmap-capi-1-cilium.yaml"));
        Assert.That(stdout, Does.Not.Contain("metal3/capi-2:"));
        Golden.AssertMatches(stdout, "check-hand-edited.txt");
        Assert.That(CommandRunner.Snapshot(Out), Is.EqualTo(before), "check writes nothing");
    }

    [Test]
    public async Task AMissingFileIsReported()
    {
        WriteClusters(RenderCommandTests.Cluster("capi-1"));
        await RenderFresh();
        File.Delete(ClusterFile("capi-1", "clusterresourceset-capi-1-cilium.yaml"));

        var (exit, stdout, _) = await Check();

        Assert.That(exit, Is.EqualTo(1));
        Golden.AssertMatches(stdout, "check-missing.txt");
    }

    [Test]
    public async Task TheFolderOfARemovedClusterAndAnExtraFileAreOrphaned()
    {
        WriteClusters(RenderCommandTests.Cluster("capi-1"), Second);
        await RenderFresh();
        WriteClusters(RenderCommandTests.Cluster("capi-1"));
        File.WriteAllText(ClusterFile("capi-1", "notes.yaml"), "# mine\n");

        var (exit, stdout, _) = await Check();

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(stdout, Does.Contain("metal3/capi-2 (orphaned folder):\n  orphaned  cilium-values.yaml\n  orphaned  clusterresourceset-capi-2-cilium.yaml"));
        Golden.AssertMatches(stdout, "check-orphaned.txt");
    }

    [Test]
    public async Task FilesRenderedWithAnotherCliVersionSaySo()
    {
        WriteClusters(RenderCommandTests.Cluster("capi-1"));
        await RenderFresh();
        foreach (var file in Directory.GetFiles(Path.Combine(Out, "metal3", "capi-1")))
        {
            File.WriteAllText(file, File.ReadAllText(file).Replace("cilium-cli-version: v0.19.7-12-ge694be34c", "cilium-cli-version: v0.19.6", StringComparison.Ordinal));
        }

        var (exit, stdout, _) = await Check();

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(stdout, Does.Contain("note: committed files were rendered with cilium-cli v0.19.6, this run uses v0.19.7-12-ge694be34c: re-render locally with the same CLI or update the files"));
        Golden.AssertMatches(stdout, "check-cli-version.txt");
    }

    [Test]
    public async Task FilesOfAnotherChartVersionSaySo()
    {
        WriteClusters(RenderCommandTests.Cluster("capi-1"));
        await RenderFresh();
        var chart20 = FakeChart.Create(Temp.Combine("chart-1.20"), "1.20.0");

        var (exit, stdout, _) = await CommandRunner.Run("check", Temp.Combine("clusters"), "--against", Out, "--cilium", Cilium, "--chart-directory", chart20);

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(stdout, Does.Contain("note: committed files were rendered from Cilium chart 1.18.12, this run renders chart 1.20.0"));
        Assert.That(stdout, Does.Contain("image quay.io/cilium/cilium: v1.18.12@sha256:"));
    }

    [Test]
    public async Task ANotReadyClusterIsAWarningAndItsCommittedFolderIsNeitherCheckedNorOrphaned()
    {
        WriteClusters(RenderCommandTests.Cluster("capi-1"), Second);
        await RenderFresh();
        WriteClusters(RenderCommandTests.Cluster("capi-1"), Second.Replace("host: 10.250.250.30\n    port: 6443", "host: \"\"\n    port: 0", StringComparison.Ordinal));
        File.AppendAllText(ClusterFile("capi-2", "configmap-capi-2-cilium.yaml"), "# edited\n");

        var (exit, stdout, stderr) = await Check();

        Assert.That(exit, Is.EqualTo(0), stdout + stderr);
        Assert.That(stdout, Does.Contain("metal3/capi-2:\n  warning: not ready: spec.controlPlaneEndpoint: the control plane endpoint is not set yet"));
        Assert.That(stdout, Does.Contain("its 4 committed file(s) were not checked and stay as they are until it is ready"));
        Assert.That(stdout, Does.Not.Contain("orphaned").And.Not.Contain("stale"));
        Assert.That(stdout, Does.EndWith("check <tmp>/out: 2 Cluster(s): 1 fresh, 1 not ready (warning)\n"));
        Assert.That(stderr, Does.Contain("warning: metal3/capi-2: spec.controlPlaneEndpoint: the control plane endpoint is not set yet"));
    }

    [Test]
    public async Task AMetal3ClusterWhoseMetal3ClusterIsNotCommittedYetPassesCheckWithAWarning()
    {
        var waiting = ClusterRepositoryFiles.Metal3V1Beta2(name: "site-d", host: "192.168.111.253").Split("---\n")[0];
        WriteClusters(ClusterRepositoryFiles.Metal3V1Beta2(), waiting);
        var (renderExit, _, _) = await CommandRunner.Run("render", Temp.Combine("clusters"), "--out", Out, "--cilium", Cilium, "--chart-directory", _chart);
        Assert.That(renderExit, Is.EqualTo(1), "render still says site-d got nothing");

        var (exit, stdout, _) = await Check();

        Assert.That(exit, Is.EqualTo(0), stdout);
        Golden.AssertMatches(stdout, "check-not-ready.txt");
    }

    [Test]
    public async Task ABadEndpointOnTheMetal3ClusterFailsNamingThatObject()
    {
        WriteClusters(ClusterRepositoryFiles.Metal3V1Beta2());
        await RenderFresh();
        WriteClusters(ClusterRepositoryFiles.Metal3V1Beta2(host: "\"192.168.111.249,10.0.0.1\""));

        var (exit, stdout, _) = await Check();

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(stdout, Does.Contain("metal3/site-a:\n  invalid: Metal3Cluster metal3/site-a: spec.controlPlaneEndpoint.host: '192.168.111.249,10.0.0.1' is not an IP address or DNS name"));
    }

    [Test]
    public async Task ANotReadyClusterDoesNotHideAStaleOneOrAnInvalidOne()
    {
        WriteClusters(RenderCommandTests.Cluster("capi-1"), Second);
        await RenderFresh();
        File.AppendAllText(ClusterFile("capi-1", "kustomization.yaml"), "# edited\n");
        var pending = RenderCommandTests.Cluster("capi-3", "host: \"\"\n    port: 0");
        var invalid = RenderCommandTests.Cluster("capi-4", "host: \"10.0.0.1,10.0.0.2\"\n    port: 6443");

        WriteClusters(RenderCommandTests.Cluster("capi-1"), Second, pending);
        var (staleExit, staleOut, _) = await Check();
        WriteClusters(RenderCommandTests.Cluster("capi-1"), Second, pending, invalid);
        File.WriteAllText(ClusterFile("capi-1", "kustomization.yaml"), File.ReadAllText(ClusterFile("capi-1", "kustomization.yaml")).Replace("# edited\n", "", StringComparison.Ordinal));
        var (invalidExit, invalidOut, _) = await Check();

        Assert.That(staleExit, Is.EqualTo(1), staleOut);
        Assert.That(staleOut, Does.Contain("stale     kustomization.yaml").And.Contain("metal3/capi-3:\n  warning: not ready"));
        Assert.That(invalidExit, Is.EqualTo(1), invalidOut);
        Assert.That(invalidOut, Does.Contain("metal3/capi-4:\n  invalid: spec.controlPlaneEndpoint.host:"));
        Assert.That(invalidOut, Does.EndWith("4 Cluster(s): 2 fresh, 1 not rendered, 1 not ready (warning)\n"));
    }

    [Test]
    public async Task UsageErrorsExitTwo()
    {
        WriteClusters(RenderCommandTests.Cluster("capi-1"));
        Assert.That((await CommandRunner.Run("check", Temp.Combine("clusters"))).Exit, Is.EqualTo(2), "--against is required");
        var (exit, _, stderr) = await CommandRunner.Run("check", Temp.Combine("clusters"), "--against", Temp.Combine("nope"), "--cilium", Cilium);
        Assert.That(exit, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("no such directory"));
        Directory.CreateDirectory(Out);
        Assert.That((await CommandRunner.Run("check", Temp.Combine("clusters"), "--against", Out, "--cilium", Temp.Combine("no", "cilium"))).Exit, Is.EqualTo(2));
    }
}
