using CapiCiliumAddon.Cli.Settings;
using CapiCiliumAddon.Testing;

namespace CapiCiliumAddon.Cli.Tests.Settings;

/// <summary>
/// A GitOps repository that keeps its render settings in capi-cilium.yaml: render, check and bump find it above the
/// Cluster files and use it, flags override it, and bump records the new version in it.
/// </summary>
public class SettingsFileCommandTests : FakeCiliumTest
{

    [SetUp]
    public void SetUp()
    {
        Directory.CreateDirectory(Temp.Combine("repo", ".git"));
        FakeChart.Create(Temp.Combine("repo", "charts", "cilium-1.17.18"), "1.17.18");
        FakeChart.Create(Temp.Combine("repo", "charts", "cilium-1.18.12"), "1.18.12");
        Directory.CreateDirectory(Temp.Combine("repo", "clusters", "site-a"));
        File.WriteAllText(Temp.Combine("repo", "clusters", "site-a", "cluster.yaml"), RenderCommandTests.Cluster("capi-1"));
    }

    private string SettingsPath => Temp.Combine("repo", RepositorySettings.FileName);

    private string Clusters => Temp.Combine("repo", "clusters");

    private string Tree => Temp.Combine("repo", "cilium");

    private const string Settings = """
        # How this repository renders Cilium (capi-cilium render/check/bump read this file).
        ciliumVersion: 1.17.18    # unpinned Clusters
        chartDirectories:
          - charts/cilium-1.17.18
          - charts/cilium-1.18.12
        parallelism: 1
        """;

    private static Task<(int Exit, string Stdout, string Stderr)> Run(params string[] args) => CommandRunner.Run(args);

    private string ConfigMap => File.ReadAllText(Path.Combine(Tree, "metal3", "capi-1", "configmap-capi-1-cilium.yaml"));

    [Test]
    public async Task RenderAndCheckUseTheSettingsFileAboveTheClustersAndSayWhichOne()
    {
        File.WriteAllText(SettingsPath, Settings);

        var render = await Run("render", Clusters, "--out", Tree, "--cilium", Cilium);
        var check = await Run("check", Clusters, "--against", Tree, "--cilium", Cilium);

        Assert.That(render.Exit, Is.EqualTo(0), render.Stderr);
        Assert.That(render.Stderr, Does.Contain($"settings: {SettingsPath}"));
        Assert.That(ConfigMap, Does.Contain("quay.io/cilium/cilium:v1.17.18@"), "the file's version, from the file's chart directories");
        Assert.That(check.Exit, Is.EqualTo(0), check.Stdout + check.Stderr);
        Assert.That(check.Stderr, Does.Contain($"settings: {SettingsPath}"));
    }

    [Test]
    public async Task AFlagOverridesTheFile()
    {
        File.WriteAllText(SettingsPath, Settings);

        var (exit, _, stderr) = await Run("render", Clusters, "--out", Tree, "--cilium", Cilium, "--cilium-version", "1.18.12");

        Assert.That(exit, Is.EqualTo(0), stderr);
        Assert.That(ConfigMap, Does.Contain("quay.io/cilium/cilium:v1.18.12@"));
    }

    [Test]
    public async Task AnExplicitConfigIsUsedWhereverItIs()
    {
        var elsewhere = Temp.Combine("elsewhere.yaml");
        File.WriteAllText(elsewhere, $"ciliumVersion: 1.18.12\nchartDirectories: [{Temp.Combine("repo", "charts", "cilium-1.18.12")}]\n");
        File.WriteAllText(SettingsPath, Settings);

        var (exit, _, stderr) = await Run("render", Clusters, "--out", Tree, "--cilium", Cilium, "--config", elsewhere);

        Assert.That(exit, Is.EqualTo(0), stderr);
        Assert.That(stderr, Does.Contain($"settings: {elsewhere}"));
        Assert.That(ConfigMap, Does.Contain("quay.io/cilium/cilium:v1.18.12@"));
    }

    [Test]
    public async Task ABadSettingsFileStopsTheRunBeforeAnythingIsWritten()
    {
        File.WriteAllText(SettingsPath, Settings + "\nstamp: sometimes\n");

        var (exit, _, stderr) = await Run("render", Clusters, "--out", Tree, "--cilium", Cilium);

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain($"error: settings file {SettingsPath}: line 7: stamp: 'sometimes' is not true or false"));
        Assert.That(Directory.Exists(Tree), Is.False);
        Assert.That(FakeCiliumCli.ReadInvocations(RecordDirectory), Is.Empty, "refused before the CLI ran");
    }

    [Test]
    public async Task StampingCanBeTurnedOffInTheFile()
    {
        File.WriteAllText(Path.Combine(Clusters, "site-a", "more.yaml"), RenderCommandTests.Cluster("capi-2", "host: 10.250.250.30\n    port: 6443"));
        File.WriteAllText(SettingsPath, Settings + "\nstamp: false\n");

        var (exit, _, stderr) = await Run("render", Clusters, "--out", Tree, "--cilium", Cilium);

        Assert.That(exit, Is.EqualTo(0), stderr);
        Assert.That(stderr, Does.Not.Contain("stamping:"));
        Assert.That(FakeCiliumCli.ReadInvocations(RecordDirectory).Count(i => i.Argv.Contains("install")), Is.EqualTo(2), "one CLI run per Cluster");
    }

    [Test]
    public async Task BumpRecordsTheNewVersionInTheFileSoLaterChecksStayThere()
    {
        File.WriteAllText(SettingsPath, Settings);
        Assert.That((await Run("render", Clusters, "--out", Tree, "--cilium", Cilium)).Exit, Is.EqualTo(0));

        var bump = await Run("bump", "--to", "1.18.12", Clusters, "--out", Tree, "--cilium", Cilium);
        var check = await Run("check", Clusters, "--against", Tree, "--cilium", Cilium);

        Assert.That(bump.Exit, Is.EqualTo(0), bump.Stderr);
        Assert.That(bump.Stdout, Does.Contain($"Recorded: {SettingsPath} now says ciliumVersion: 1.18.12"));
        Assert.That(File.ReadAllText(SettingsPath), Is.EqualTo(Settings.Replace("ciliumVersion: 1.17.18 ", "ciliumVersion: 1.18.12 ", StringComparison.Ordinal)),
            "only the version's text changed; the comments stay");
        Assert.That(check.Exit, Is.EqualTo(0), check.Stdout + check.Stderr);
        Assert.That(ConfigMap, Does.Contain("quay.io/cilium/cilium:v1.18.12@"));
    }
}
