using CapiCiliumAddon.Rendering.CiliumCli;
using CapiCiliumAddon.Testing;

namespace CapiCiliumAddon.Cli.Tests;

/// <summary>
/// The README's main command on a machine with only the .NET SDK: no Cilium CLI anywhere, so `--install-cilium-cli`
/// downloads the pinned release (here from a local server laid out like GitHub's release downloads, serving a
/// tarball that holds the fake cilium), verifies it, installs it below the current directory, and renders.
/// These tests change the process's current directory and environment, so they never run beside another test.
/// </summary>
[NonParallelizable]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class InstallCiliumCliTests
{
    private static readonly string[] IsolatedVariables =
        ["PATH", CiliumCliLocator.EnvironmentVariable, Commands.RenderEnvironmentOptions.ChartDirectoryVariable, CiliumCliRelease.MirrorVariable, CiliumCliRelease.Sha256Variable];

    private TempDirectory _temp = null!;
    private CiliumCliReleaseServer _server = null!;
    private string _originalDirectory = null!;
    private Dictionary<string, string?> _originalEnvironment = null!;
    private string _tarballName = null!;

    [SetUp]
    public void SetUp()
    {
        _temp = new TempDirectory();
        _server = new CiliumCliReleaseServer();
        _originalDirectory = Environment.CurrentDirectory;
        _originalEnvironment = IsolatedVariables.ToDictionary(v => v, Environment.GetEnvironmentVariable);
        _tarballName = CiliumCliRelease.Pinned(_ => null).TarballName;

        // A machine without any Cilium CLI: nothing on PATH (the fake's wrapper starts it by absolute path), no
        // CILIUM_CLI, no chart directories; the release downloads come from the local server.
        Directory.CreateDirectory(_temp.Combine("empty-path"));
        Environment.SetEnvironmentVariable("PATH", _temp.Combine("empty-path"));
        Environment.SetEnvironmentVariable(CiliumCliLocator.EnvironmentVariable, null);
        Environment.SetEnvironmentVariable(Commands.RenderEnvironmentOptions.ChartDirectoryVariable, null);
        Environment.SetEnvironmentVariable(CiliumCliRelease.Sha256Variable, null);
        Environment.SetEnvironmentVariable(CiliumCliRelease.MirrorVariable, _server.BaseAddress.ToString());
        Directory.CreateDirectory(_temp.Combine("project"));
        Environment.CurrentDirectory = _temp.Combine("project");
    }

    [TearDown]
    public void TearDown()
    {
        Environment.CurrentDirectory = _originalDirectory;
        foreach (var (name, value) in _originalEnvironment)
        {
            Environment.SetEnvironmentVariable(name, value);
        }

        _server.Dispose();
        _temp.Dispose();
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> RenderExamples(params string[] extra)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var examples = Path.Combine(RepositoryPaths.Root, "hack", "examples", "clusters");
        var exit = await CliApp.RunAsync(["render", examples, "--out", "out/cilium", .. extra], stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private string FakeCiliumExecutable()
    {
        var wrapper = FakeCiliumCli.CreateWrapper(_temp.Combine("fake"));
        return File.ReadAllText(wrapper);
    }

    [Test]
    public async Task TheMainCommandInstallsThePinnedCliWhenNoneIsFoundThenRendersTheExamples()
    {
        _server.Publish(CiliumCliRelease.PinnedVersion, _tarballName, FakeCiliumExecutable());

        var (exit, stdout, stderr) = await RenderExamples("--install-cilium-cli");

        Assert.That(exit, Is.EqualTo(0), stderr);
        var installed = _temp.Combine("project", ".tools", "cilium-cli", CiliumCliRelease.PinnedVersion, "cilium");
        Assert.That(stderr, Does.Contain($"Installed the Cilium CLI {CiliumCliRelease.PinnedVersion} as {installed}"));
        Assert.That(File.Exists(installed), Is.True);
        Assert.That(stdout, Does.Contain("2 of 2 Cluster(s) labelled cni: cilium rendered"));
        Assert.That(File.Exists(_temp.Combine("project", "out", "cilium", "metal3", "site-a-prod", "clusterresourceset-site-a-prod-cilium.yaml")), Is.True);

        // The next run finds the project-local install: no second download, even without the flag.
        var requests = _server.Requests.Count;
        var again = await RenderExamples();
        Assert.That(again.Exit, Is.EqualTo(0), again.Stderr);
        Assert.That(_server.Requests, Has.Count.EqualTo(requests));
    }

    [Test]
    public async Task AWrongChecksumStopsTheMainCommandWithNothingInstalledOrRendered()
    {
        _server.Publish(CiliumCliRelease.PinnedVersion, _tarballName, FakeCiliumExecutable(), publishedSha256: new string('d', 64));

        var (exit, _, stderr) = await RenderExamples("--install-cilium-cli");

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("error: the Cilium CLI could not be installed").And.Contain("nothing was installed"));
        Assert.That(Directory.GetFileSystemEntries(_temp.Combine("project"), "*", SearchOption.AllDirectories).Where(File.Exists), Is.Empty);
    }

    [Test]
    public async Task WithoutInternetTheMainCommandSaysWhatToProvide()
    {
        Environment.SetEnvironmentVariable(CiliumCliRelease.MirrorVariable, $"http://127.0.0.1:{CiliumCliReleaseServer.FreePort()}/");

        var (exit, _, stderr) = await RenderExamples("--install-cilium-cli");

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("Without internet access").And.Contain("--cilium PATH").And.Contain("--chart-directory DIR"));
        Assert.That(Directory.Exists(_temp.Combine("project", "out")), Is.False);
    }

    [Test]
    public async Task WithoutTheFlagNothingIsDownloaded()
    {
        _server.Publish(CiliumCliRelease.PinnedVersion, _tarballName, FakeCiliumExecutable());

        var (exit, _, stderr) = await RenderExamples();

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("--install-cilium-cli"));
        Assert.That(_server.Requests, Is.Empty);
    }
}
