using CapiCiliumAddon.Rendering.CiliumCli;
using CapiCiliumAddon.Testing;

namespace CapiCiliumAddon.Rendering.Tests.CiliumCli;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class CiliumCliInstallerTests
{
    private const string Executable = "#!/bin/sh\necho 'cilium-cli: v0.19.7 compiled with go1.26 on linux/amd64'\n";

    private TempDirectory _temp = null!;
    private CiliumCliReleaseServer _server = null!;
    private HttpClient _http = null!;

    [SetUp]
    public void SetUp()
    {
        _temp = new TempDirectory();
        _server = new CiliumCliReleaseServer();
        _http = new HttpClient();
    }

    [TearDown]
    public void TearDown()
    {
        _http.Dispose();
        _server.Dispose();
        _temp.Dispose();
    }

    private CiliumCliRelease Release => new("v0.19.7", "linux", "amd64", _server.BaseAddress);

    private string Target => _temp.Combine("tools", "v0.19.7", "cilium");

    private Task<string> Install(string? pinnedSha256 = null, CiliumCliRelease? release = null) =>
        new CiliumCliInstaller(_http).InstallAsync(release ?? Release, Target, pinnedSha256, TextWriter.Null, CancellationToken.None);

    private IEnumerable<string> FilesUnderTools() =>
        Directory.Exists(_temp.Combine("tools")) ? Directory.GetFiles(_temp.Combine("tools"), "*", SearchOption.AllDirectories) : [];

    [Test]
    public async Task InstallsTheExecutableOfATarballWhosePublishedChecksumMatches()
    {
        _server.Publish("v0.19.7", "cilium-linux-amd64.tar.gz", Executable);

        var path = await Install();

        Assert.That(path, Is.EqualTo(Target));
        Assert.That(File.ReadAllText(path), Is.EqualTo(Executable));
        Assert.That(File.GetUnixFileMode(path) & UnixFileMode.UserExecute, Is.EqualTo(UnixFileMode.UserExecute));
        Assert.That(FilesUnderTools(), Is.EqualTo(new[] { Target }), "no download or temp file is left beside it");
        Assert.That(_server.Requests, Is.EqualTo(new[] { "v0.19.7/cilium-linux-amd64.tar.gz.sha256sum", "v0.19.7/cilium-linux-amd64.tar.gz" }));
    }

    [Test]
    public void AWrongPublishedChecksumStopsItWithNothingInstalled()
    {
        _server.Publish("v0.19.7", "cilium-linux-amd64.tar.gz", Executable, publishedSha256: new string('a', 64));

        var error = Assert.ThrowsAsync<CiliumCliInstallException>(() => Install());

        Assert.That(error!.Message, Does.Contain($"expected {new string('a', 64)}").And.Contain("nothing was installed"));
        Assert.That(FilesUnderTools(), Is.Empty);
    }

    [Test]
    public void AWrongChecksumLeavesAnEarlierInstallUntouched()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Target)!);
        File.WriteAllText(Target, "earlier");
        _server.Publish("v0.19.7", "cilium-linux-amd64.tar.gz", Executable, publishedSha256: new string('b', 64));

        Assert.ThrowsAsync<CiliumCliInstallException>(() => Install());

        Assert.That(File.ReadAllText(Target), Is.EqualTo("earlier"));
        Assert.That(FilesUnderTools(), Is.EqualTo(new[] { Target }));
    }

    [Test]
    public async Task APinnedChecksumIsCheckedInsteadOfThePublishedFile()
    {
        var sha256 = _server.Publish("v0.19.7", "cilium-linux-amd64.tar.gz", Executable, withChecksumFile: false);

        Assert.That(await Install(pinnedSha256: sha256.ToUpperInvariant()), Is.EqualTo(Target));
        File.Delete(Target);
        var error = Assert.ThrowsAsync<CiliumCliInstallException>(() => Install(pinnedSha256: new string('c', 64)));
        Assert.That(error!.Message, Does.Contain("nothing was installed"));
        Assert.That(FilesUnderTools(), Is.Empty);
        Assert.That(_server.Requests, Has.None.EndsWith(".sha256sum"));
    }

    [Test]
    public void APinnedChecksumThatIsNotASha256IsRefusedBeforeAnyDownload()
    {
        var error = Assert.ThrowsAsync<CiliumCliInstallException>(() => Install(pinnedSha256: "abc; rm -rf /"));

        Assert.That(error!.Message, Does.Contain("CILIUM_CLI_SHA256").And.Contain("64 hex digits"));
        Assert.That(_server.Requests, Is.Empty);
    }

    [Test]
    public void AChecksumFileForAnotherAssetIsRefused()
    {
        _server.Publish("v0.19.7", "cilium-linux-amd64.tar.gz", Executable);
        _server.Serve("v0.19.7/cilium-linux-amd64.tar.gz.sha256sum", "0000000000000000000000000000000000000000000000000000000000000000  cilium-darwin-arm64.tar.gz\n"u8.ToArray());

        var error = Assert.ThrowsAsync<CiliumCliInstallException>(() => Install());

        Assert.That(error!.Message, Does.Contain("is not a sha256sum line for cilium-linux-amd64.tar.gz"));
        Assert.That(FilesUnderTools(), Is.Empty);
    }

    [Test]
    public void ATarballWithoutTheExecutableInstallsNothing()
    {
        var tarball = CiliumCliReleaseServer.Tarball(("README.md", "no binary here"));
        _server.Serve("v0.19.7/cilium-linux-amd64.tar.gz", tarball);
        var sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(tarball));

        var error = Assert.ThrowsAsync<CiliumCliInstallException>(() => Install(pinnedSha256: sha256));

        Assert.That(error!.Message, Does.Contain("holds no `cilium` executable"));
        Assert.That(FilesUnderTools(), Is.Empty);
    }

    [Test]
    public void AMissingReleaseIsNamedWithItsAddress()
    {
        var error = Assert.ThrowsAsync<CiliumCliInstallException>(() => Install());

        Assert.That(error!.Message, Does.Contain("v0.19.7/cilium-linux-amd64.tar.gz.sha256sum does not exist (404)"));
        Assert.That(error.Offline, Is.False);
    }

    [Test]
    public void AServerThatCannotBeReachedIsReportedAsOffline()
    {
        var unreachable = Release with { DownloadBase = new Uri($"http://127.0.0.1:{CiliumCliReleaseServer.FreePort()}/") };

        var error = Assert.ThrowsAsync<CiliumCliInstallException>(() => Install(release: unreachable));

        Assert.That(error!.Offline, Is.True);
        Assert.That(FilesUnderTools(), Is.Empty);
    }

    [Test]
    public void TheMirrorVariableMustBeAnHttpUrl()
    {
        Assert.That(CiliumCliRelease.Pinned(_ => null).DownloadBase, Is.EqualTo(CiliumCliRelease.GitHubReleases));
        Assert.That(CiliumCliRelease.Pinned(v => v == CiliumCliRelease.MirrorVariable ? "https://mirror.example/cilium-cli" : null).TarballUri.ToString(),
            Does.StartWith("https://mirror.example/cilium-cli/v0.19.7/cilium-"));
        Assert.Throws<CiliumCliInstallException>(() => CiliumCliRelease.Pinned(v => v == CiliumCliRelease.MirrorVariable ? "file:///etc" : null));
    }
}
