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

public class CheckCommandTests
{
    private TempDirectory _temp = null!;
    private string _cilium = null!;
    private string _chart = null!;

    [SetUp]
    public void SetUp()
    {
        _temp = new TempDirectory();
        _cilium = FakeCiliumCli.CreateWrapper(_temp.Combine("bin"), "replay", _temp.Combine("record"));
        _chart = FakeChart.Create(_temp.Combine("chart"), "1.18.12");
    }

    [TearDown]
    public void TearDown() => _temp.Dispose();

    private string Out => _temp.Combine("out");

    private void WriteClusters(params string[] documents)
    {
        var directory = _temp.Combine("clusters");
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "clusters.yaml"), string.Join("---\n", documents));
    }

    private async Task RenderFresh()
    {
        var (exit, _, stderr) = await CommandRunner.Run("render", _temp.Combine("clusters"), "--out", Out, "--cilium", _cilium, "--chart-directory", _chart);
        Assert.That(exit, Is.EqualTo(0), stderr);
    }

    private async Task<(int Exit, string Stdout, string Stderr)> Check(params string[] extra)
    {
        var (exit, stdout, stderr) = await CommandRunner.Run(["check", _temp.Combine("clusters"), "--against", Out, "--cilium", _cilium, "--chart-directory", _chart, .. extra]);
        return (exit, stdout.Replace(_temp.Path, "<tmp>", StringComparison.Ordinal), stderr);
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
        var chart20 = FakeChart.Create(_temp.Combine("chart-1.20"), "1.20.0");

        var (exit, stdout, _) = await CommandRunner.Run("check", _temp.Combine("clusters"), "--against", Out, "--cilium", _cilium, "--chart-directory", chart20);

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(stdout, Does.Contain("note: committed files were rendered from Cilium chart 1.18.12, this run renders chart 1.20.0"));
        Assert.That(stdout, Does.Contain("image quay.io/cilium/cilium: v1.18.12@sha256:"));
    }

    [Test]
    public async Task ANotReadyClusterFailsTheCheckButItsFolderIsNotOrphaned()
    {
        WriteClusters(RenderCommandTests.Cluster("capi-1"), Second);
        await RenderFresh();
        WriteClusters(RenderCommandTests.Cluster("capi-1"), Second.Replace("host: 10.250.250.30\n    port: 6443", "host: \"\"\n    port: 0", StringComparison.Ordinal));

        var (exit, stdout, _) = await Check();

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(stdout, Does.Contain("metal3/capi-2:\n  not ready: spec.controlPlaneEndpoint"));
        Assert.That(stdout, Does.Not.Contain("orphaned"));
    }

    [Test]
    public async Task UsageErrorsExitTwo()
    {
        WriteClusters(RenderCommandTests.Cluster("capi-1"));
        Assert.That((await CommandRunner.Run("check", _temp.Combine("clusters"))).Exit, Is.EqualTo(2), "--against is required");
        var (exit, _, stderr) = await CommandRunner.Run("check", _temp.Combine("clusters"), "--against", _temp.Combine("nope"), "--cilium", _cilium);
        Assert.That(exit, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("no such directory"));
        Directory.CreateDirectory(Out);
        Assert.That((await CommandRunner.Run("check", _temp.Combine("clusters"), "--against", Out, "--cilium", _temp.Combine("no", "cilium"))).Exit, Is.EqualTo(2));
    }
}
