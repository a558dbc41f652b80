using CapiCiliumAddon.Testing;

namespace CapiCiliumAddon.Cli.Tests;

public class BumpCommandTests : FakeCiliumTest
{
    private const string Pin117 = "  annotations:\n    addon.capi-cilium.io/cilium-version: 1.17.18";

    private string _chart117 = null!;
    private string _chart118 = null!;

    [SetUp]
    public void SetUp()
    {
        _chart117 = FakeChart.Create(Temp.Combine("chart-1.17"), "1.17.18");
        _chart118 = FakeChart.Create(Temp.Combine("chart-1.18"), "1.18.12");
    }

    private string Out => Temp.Combine("out");

    private string Clusters => Temp.Combine("clusters");

    private void WriteClusters(params string[] documents)
    {
        Directory.CreateDirectory(Clusters);
        File.WriteAllText(Path.Combine(Clusters, "clusters.yaml"), string.Join("---\n", documents));
    }

    private string[] Environment => ["--cilium", Cilium, "--chart-directory", _chart117, "--chart-directory", _chart118];

    private async Task Render(string output, string version)
    {
        var (exit, _, stderr) = await CommandRunner.Run(["render", Clusters, "--out", output, "--cilium-version", version, .. Environment]);
        Assert.That(exit, Is.EqualTo(0), stderr);
    }

    private async Task<(int Exit, string Stdout, string Stderr)> Bump(params string[] extra)
    {
        var (exit, stdout, stderr) = await CommandRunner.Run(["bump", "--to", "1.18.12", Clusters, "--out", Out, .. Environment, .. extra]);
        return (exit, stdout.Replace(Temp.Path, "<tmp>", StringComparison.Ordinal), stderr);
    }

    private static string Unpinned(string name) => RenderCommandTests.Cluster(name);

    private static string Pinned(string name) =>
        RenderCommandTests.Cluster(name, "host: 10.250.250.30\n    port: 6443", pods: "[\"10.245.0.0/16\"]", extraMetadata: Pin117);

    [Test]
    public async Task MovesA117TreeTo118AndListsTheImageChanges()
    {
        WriteClusters(Unpinned("capi-1"));
        await Render(Out, "1.17.18");

        var (exit, stdout, stderr) = await Bump();

        Assert.That(exit, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("changed    metal3/capi-1  Cilium 1.17.18 → 1.18.12"));
        Assert.That(stdout, Does.Contain("quay.io/cilium/cilium: v1.17.18@sha256:"));
        Assert.That(stdout, Does.Contain("enable-l2-neigh-discovery"));
        Assert.That(stdout, Does.Contain("will not receive this change"));
        Golden.AssertMatches(stdout, "bump-1.17-to-1.18.txt");
    }

    [Test]
    public async Task TheFilesAreByteIdenticalToADirectRenderAtTheNewVersion()
    {
        WriteClusters(Unpinned("capi-1"), Unpinned("capi-3").Replace("10.250.250.29", "10.250.250.31", StringComparison.Ordinal));
        await Render(Out, "1.17.18");
        await Render(Temp.Combine("direct"), "1.18.12");

        var (exit, _, stderr) = await Bump();

        Assert.That(exit, Is.EqualTo(0), stderr);
        var direct = CommandRunner.Snapshot(Temp.Combine("direct"));
        Assert.That(direct.Keys, Has.Count.EqualTo(8), "per Cluster: ConfigMap, ClusterResourceSet, kustomization.yaml and the Helm values file");
        Assert.That(CommandRunner.Snapshot(Out), Is.EqualTo(direct));
    }

    [Test]
    public async Task APinnedClusterIsUntouchedUnlessIncludePinned()
    {
        WriteClusters(Unpinned("capi-1"), Pinned("capi-2"));
        await Render(Out, "1.17.18");
        var pinnedFolder = Path.Combine(Out, "metal3", "capi-2");
        var before = CommandRunner.Snapshot(pinnedFolder);

        var (exit, stdout, stderr) = await Bump();

        Assert.That(exit, Is.EqualTo(0), stderr);
        Assert.That(CommandRunner.Snapshot(pinnedFolder), Is.EqualTo(before));
        Assert.That(stdout, Does.Contain("pinned     metal3/capi-2  kept at 1.17.18 by addon.capi-cilium.io/cilium-version"));
        Golden.AssertMatches(stdout, "bump-pinned.txt");

        (exit, stdout, stderr) = await Bump("--include-pinned");

        Assert.That(exit, Is.EqualTo(0), stderr);
        Assert.That(CommandRunner.Snapshot(pinnedFolder), Is.Not.EqualTo(before));
        Assert.That(File.ReadAllText(Path.Combine(pinnedFolder, "configmap-capi-2-cilium.yaml")), Does.Contain("addon.capi-cilium.io/cilium-version: \"1.18.12\""));
        Assert.That(stdout, Does.Contain("changed    metal3/capi-2  Cilium 1.17.18 → 1.18.12; its addon.capi-cilium.io/cilium-version annotation still says 1.17.18"));
        Assert.That(stdout, Does.Contain("unchanged  metal3/capi-1"));
    }

    [Test]
    public async Task ASecondBumpChangesNothing()
    {
        WriteClusters(Unpinned("capi-1"));
        await Render(Out, "1.17.18");
        await Bump();
        var before = CommandRunner.Snapshot(Out);

        var (exit, stdout, _) = await Bump();

        Assert.That(exit, Is.EqualTo(0));
        Assert.That(stdout, Does.Contain("unchanged  metal3/capi-1  already Cilium 1.18.12"));
        Assert.That(stdout, Does.Contain("no image changed"));
        Assert.That(CommandRunner.Snapshot(Out), Is.EqualTo(before));
    }

    [Test]
    public async Task ANotReadyClusterIsAWarningNotAFailure()
    {
        WriteClusters(Unpinned("capi-1"), RenderCommandTests.Cluster("pending", "host: \"\"\n    port: 0"));

        var (exit, stdout, stderr) = await Bump();

        Assert.That(exit, Is.EqualTo(0), "a Cluster without an endpoint has no files to move; it renders at the new version once ready");
        Assert.That(stdout, Does.Contain("new        metal3/capi-1"));
        Assert.That(stdout, Does.Match(@"not ready +metal3/pending +no endpoint yet"));
        Assert.That(stderr, Does.Contain("warning: metal3/pending"));
        Assert.That(Directory.Exists(Path.Combine(Out, "metal3", "pending")), Is.False);
    }

    [Test]
    public async Task AnInvalidClusterIsSkippedAndFailsTheRun()
    {
        WriteClusters(Unpinned("capi-1"), RenderCommandTests.Cluster("bad", "host: https://10.0.0.1,10.0.0.2\n    port: 6443"));

        var (exit, stdout, _) = await Bump();

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(stdout, Does.Match(@"skipped +metal3/bad +invalid: "));
    }

    [Test]
    public async Task UsageErrorsExitTwo()
    {
        WriteClusters(Unpinned("capi-1"));
        Assert.That((await CommandRunner.Run("bump", Clusters, "--out", Out)).Exit, Is.EqualTo(2), "--to is required");
        Assert.That((await CommandRunner.Run("bump", "--to", "latest", Clusters, "--out", Out)).Exit, Is.EqualTo(2));
        Assert.That((await CommandRunner.Run("bump", "--to", "1.18.12", Clusters, "--out", Out, "--cilium-version", "1.17.18")).Exit, Is.EqualTo(2));
        var (exit, _, stderr) = await CommandRunner.Run(["bump", "--to", "1.20.0", Clusters, "--out", Out, .. Environment]);
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(stderr, Does.Contain("Cilium 1.20.0 was requested but the chart directories hold 1.17.18, 1.18.12"));
    }
}
