using CapiCiliumAddon.Testing;

namespace CapiCiliumAddon.Cli.Tests;

/// <summary>`capi-cilium label` on a repository whose Clusters lack the selector label, then `render` on the result.</summary>
public class LabelCommandTests
{
    private TempDirectory _temp = null!;
    private string _cilium = null!;
    private string _chart = null!;

    [SetUp]
    public void SetUp()
    {
        _temp = new TempDirectory();
        _cilium = FakeCiliumCli.CreateWrapper(_temp.Combine("bin"));
        _chart = FakeChart.Create(_temp.Combine("chart"), "1.18.12");
    }

    [TearDown]
    public void TearDown() => _temp.Dispose();

    private string Clusters => _temp.Combine("clusters");

    private string Write(string name, string text)
    {
        var path = Path.Combine(Clusters, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    private static string Unlabelled(string name, string host) =>
        ClusterRepositoryFiles.Metal3V1Beta2(name: name, host: host, selectorLabel: "");

    private async Task<(int Exit, string Stdout, string Stderr)> Label(params string[] extra)
    {
        var (exit, stdout, stderr) = await CommandRunner.Run(["label", Clusters, .. extra]);
        return (exit, stdout.Replace(Clusters + Path.DirectorySeparatorChar, "<clusters>/", StringComparison.Ordinal), stderr.Replace(Clusters + Path.DirectorySeparatorChar, "<clusters>/", StringComparison.Ordinal));
    }

    private Task<(int Exit, string Stdout, string Stderr)> Render() =>
        CommandRunner.Run("render", Clusters, "--out", _temp.Combine("out"), "--cilium", _cilium, "--chart-directory", _chart);

    [Test]
    public async Task RenderNamesTheCommandAndTheCommandLeavesTheFilesRenderingWithoutFurtherEdits()
    {
        Write("site-a.yaml", Unlabelled("site-a", "192.168.111.249") + "---\n" + Unlabelled("site-b", "192.168.111.250").Replace("10.244.0.0/16", "10.245.0.0/16", StringComparison.Ordinal));
        Write("edge/site-c.yaml", ClusterRepositoryFiles.Metal3Topology().Replace("    addon.capi-cilium.io/cluster-name: site-c\n", "", StringComparison.Ordinal));

        var (refusedExit, _, refusal) = await Render();
        var (exit, stdout, stderr) = await Label();
        var (renderExit, renderOut, renderErr) = await Render();

        Assert.That(refusedExit, Is.EqualTo(1));
        Assert.That(refusal, Does.Contain("or run `capi-cilium label <your Cluster files>` to add it in place"));
        Assert.That(exit, Is.EqualTo(0), stderr);
        Assert.That(stdout, Is.EqualTo(
            "labelled <clusters>/edge/site-c.yaml: metal3/site-c\n" +
            "labelled <clusters>/site-a.yaml: metal3/site-a, metal3/site-b\n" +
            "3 Cluster(s) labelled in 2 file(s); 0 already labelled\n"));
        Assert.That(renderExit, Is.EqualTo(0), renderErr);
        Assert.That(renderOut, Does.Contain("3 of 3 Cluster(s) labelled cni: cilium rendered"));
    }

    [Test]
    public async Task ASecondRunChangesNothing()
    {
        var path = Write("site-a.yaml", Unlabelled("site-a", "192.168.111.249"));
        await Label();
        var once = File.ReadAllBytes(path);

        var (exit, stdout, _) = await Label();

        Assert.That(exit, Is.EqualTo(0));
        Assert.That(stdout, Is.EqualTo("0 Cluster(s) labelled in 0 file(s); 1 already labelled\n"));
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(once));
    }

    [Test]
    public async Task DryRunPrintsAUnifiedDiffAndWritesNothing()
    {
        var path = Write("site-a.yaml", Unlabelled("site-a", "192.168.111.249"));
        var before = CommandRunner.Snapshot(Clusters);

        var (exit, stdout, _) = await Label("--dry-run");
        var (_, relative, _) = await CommandRunner.Run("label", Path.GetRelativePath(Environment.CurrentDirectory, Clusters), "--dry-run");

        Assert.That(exit, Is.EqualTo(0));
        Assert.That(relative, Does.StartWith($"--- a/{Path.GetRelativePath(Environment.CurrentDirectory, path)}\n+++ b/"), "git's prefixes for a relative path");
        Assert.That(CommandRunner.Snapshot(Clusters), Is.EqualTo(before));
        Golden.AssertMatches(stdout, "label-dry-run.txt");
        Assert.That(File.Exists(path));
    }

    [Test]
    public async Task ACrlfFileStaysCrlfAndRenders()
    {
        var path = Write("site-a.yaml", Unlabelled("site-a", "192.168.111.249").Replace("\n", "\r\n", StringComparison.Ordinal));

        var (exit, _, _) = await Label();
        var (renderExit, _, renderErr) = await Render();

        var text = File.ReadAllText(path);
        Assert.That(exit, Is.EqualTo(0));
        Assert.That(text, Does.Contain("    cni: cilium\r\n    addon.capi-cilium.io/cluster-name: site-a\r\nspec:"));
        Assert.That(text.Replace("\r\n", "", StringComparison.Ordinal), Does.Not.Contain('\n'), "no bare LF was introduced");
        Assert.That(renderExit, Is.EqualTo(0), renderErr);
    }

    [Test]
    public async Task ARefusedFileIsLeftByteForByteAndTheOthersAreStillLabelled()
    {
        var good = Write("good.yaml", Unlabelled("site-a", "192.168.111.249"));
        var bad = Write("bad.yaml", Unlabelled("site-b", "192.168.111.250")
            + "---\napiVersion: cluster.x-k8s.io/v1beta2\nkind: Cluster\nmetadata:\n  name: site-c\n  namespace: metal3\n  labels: {\n    cni: cilium\n  }\n");
        var badBefore = File.ReadAllBytes(bad);

        var (exit, stdout, stderr) = await Label();

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(File.ReadAllBytes(bad), Is.EqualTo(badBefore));
        Assert.That(File.ReadAllText(good), Does.Contain("addon.capi-cilium.io/cluster-name: site-a"));
        Assert.That(stderr, Does.Contain("error: metal3/site-c: metadata.labels: is a flow map ({...}) over several lines, which cannot be extended without reformatting it (in <clusters>/bad.yaml#4)"));
        Assert.That(stderr, Does.Contain("error: <clusters>/bad.yaml: left unchanged"));
        Assert.That(stdout, Does.EndWith("1 Cluster(s) labelled in 1 file(s); 0 already labelled; 1 file(s) refused and left unchanged\n"));
    }

    [Test]
    public async Task NamedClustersAreOptedInAndAMissingNameIsAnError()
    {
        var path = Write("site-a.yaml", Unlabelled("site-a", "192.168.111.249").Replace("  labels:\n    cni: cilium\n", "", StringComparison.Ordinal));

        var (exit, stdout, stderr) = await Label("--cluster", "metal3/site-a", "--cluster", "metal3/site-z");

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(stderr, Does.Contain("error: metal3/site-z: no Cluster of that namespace and name in the files given"));
        Assert.That(stdout, Does.Contain("labelled <clusters>/site-a.yaml: metal3/site-a"));
        Assert.That(File.ReadAllText(path), Does.Contain("  namespace: metal3\n  labels:\n    cni: cilium\n    addon.capi-cilium.io/cluster-name: site-a\nspec:"));
    }

    [Test]
    public async Task TheFilesPermissionsAreKept()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Ignore("Unix permissions.");
            return;
        }

        var path = Write("site-a.yaml", Unlabelled("site-a", "192.168.111.249"));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);

        await Label();

        Assert.That(File.GetUnixFileMode(path), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead));
        Assert.That(Directory.GetFiles(Clusters), Has.Length.EqualTo(1), "no temporary file is left behind");
    }

    [Test]
    public async Task UsageErrorsExitTwo()
    {
        Write("site-a.yaml", Unlabelled("site-a", "192.168.111.249"));

        Assert.That((await Label("--cluster", "site-a")).Exit, Is.EqualTo(2));
        Assert.That((await CommandRunner.Run("label", _temp.Combine("nope"))).Exit, Is.EqualTo(2));
    }
}
