using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace CapiCiliumAddon.Rendering.CiliumCli;

/// <summary>
/// The Cilium CLI release we pin, for this machine's OS and architecture, and where its assets are downloaded from
/// (GitHub's release downloads, or a mirror of them named by <see cref="MirrorVariable"/>).
/// </summary>
public sealed partial record CiliumCliRelease(string Version, string Os, string Architecture, Uri DownloadBase)
{
    /// <summary>The release the project is tested with; the recordings in tests/fixtures come from its line.</summary>
    public const string PinnedVersion = "v0.19.7";

    /// <summary>A mirror of https://github.com/cilium/cilium-cli/releases/download/ (same layout: VERSION/ASSET).</summary>
    public const string MirrorVariable = "CILIUM_CLI_RELEASES_URL";

    /// <summary>The tarball's sha256, when the user pins it rather than trusting the checksum file published beside it.</summary>
    public const string Sha256Variable = "CILIUM_CLI_SHA256";

    public static readonly Uri GitHubReleases = new("https://github.com/cilium/cilium-cli/releases/download/");

    public string TarballName => $"cilium-{Os}-{Architecture}.tar.gz";

    public Uri TarballUri => new(DownloadBase, $"{Version}/{TarballName}");

    /// <summary>The checksum file every cilium-cli release publishes beside each tarball.</summary>
    public Uri ChecksumUri => new(DownloadBase, $"{Version}/{TarballName}.sha256sum");

    /// <summary>The pinned release for this machine, from the mirror in <paramref name="getEnvironment"/> when one is set.</summary>
    public static CiliumCliRelease Pinned(Func<string, string?>? getEnvironment = null)
    {
        getEnvironment ??= Environment.GetEnvironmentVariable;
        var os = OperatingSystem.IsLinux() ? "linux"
            : OperatingSystem.IsMacOS() ? "darwin"
            : throw new CiliumCliInstallException($"the Cilium CLI is published for Linux and macOS, not {RuntimeInformation.OSDescription}");
        var architecture = RuntimeInformation.OSArchitecture switch
        {
            System.Runtime.InteropServices.Architecture.X64 => "amd64",
            System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
            var other => throw new CiliumCliInstallException($"the Cilium CLI is published for amd64 and arm64, not {other}"),
        };
        var mirror = getEnvironment(MirrorVariable);
        var downloadBase = GitHubReleases;
        if (!string.IsNullOrEmpty(mirror))
        {
            if (!Uri.TryCreate(mirror.EndsWith('/') ? mirror : mirror + "/", UriKind.Absolute, out var parsed) || parsed.Scheme is not ("https" or "http"))
            {
                throw new CiliumCliInstallException($"{MirrorVariable} '{mirror}' is not an http(s) URL");
            }

            downloadBase = parsed;
        }

        return new CiliumCliRelease(PinnedVersion, os, architecture, downloadBase);
    }

    /// <summary>A sha256 as 64 lowercase hex digits, or null when <paramref name="text"/> is not one.</summary>
    public static string? NormaliseSha256(string text) => Sha256Pattern().IsMatch(text) ? text.ToLowerInvariant() : null;

    [GeneratedRegex("^[0-9a-fA-F]{64}$")]
    private static partial Regex Sha256Pattern();
}

/// <summary>
/// Downloads the pinned Cilium CLI, checks the tarball's sha256 BEFORE unpacking anything, and installs the `cilium`
/// binary with a rename, so a failed or tampered download leaves nothing behind that a later run could pick up.
/// </summary>
public sealed class CiliumCliInstaller(HttpClient http)
{
    /// <summary>Release tarballs are ~60 MB; far past that is not a Cilium CLI.</summary>
    public const long MaxDownloadBytes = 512L * 1024 * 1024;

    /// <summary>
    /// Installs <paramref name="release"/> as <paramref name="target"/> and returns its full path.
    /// <paramref name="pinnedSha256"/> (else the release's published checksum file) is what the tarball must hash to.
    /// </summary>
    public async Task<string> InstallAsync(CiliumCliRelease release, string target, string? pinnedSha256, TextWriter progress, CancellationToken cancellationToken)
    {
        target = Path.GetFullPath(target);
        var directory = Path.GetDirectoryName(target)!;
        string expected;
        if (pinnedSha256 is not null)
        {
            expected = CiliumCliRelease.NormaliseSha256(pinnedSha256)
                ?? throw new CiliumCliInstallException($"{CiliumCliRelease.Sha256Variable} '{pinnedSha256}' is not a sha256 (64 hex digits)");
        }
        else
        {
            expected = await FetchPublishedChecksumAsync(release, cancellationToken).ConfigureAwait(false);
        }

        await progress.WriteLineAsync($"Downloading the Cilium CLI {release.Version} ({release.Os}/{release.Architecture}) from {release.TarballUri} ...").ConfigureAwait(false);
        Directory.CreateDirectory(directory);
        var download = Path.Combine(directory, $".{release.TarballName}.{Guid.NewGuid():N}.tmp");
        var unpacked = Path.Combine(directory, $".cilium.{Guid.NewGuid():N}.tmp");
        try
        {
            var actual = await DownloadAsync(release.TarballUri, download, cancellationToken).ConfigureAwait(false);
            if (actual != expected)
            {
                throw new CiliumCliInstallException(
                    $"the download of {release.TarballUri} has sha256 {actual}, expected {expected}; nothing was installed");
            }

            await UnpackCiliumAsync(download, unpacked, release.TarballUri, cancellationToken).ConfigureAwait(false);
            File.Move(unpacked, target, overwrite: true);
        }
        finally
        {
            File.Delete(download);
            File.Delete(unpacked);
        }

        await progress.WriteLineAsync($"Installed the Cilium CLI {release.Version} as {target} (sha256 {expected} verified)").ConfigureAwait(false);
        return target;
    }

    private async Task<string> FetchPublishedChecksumAsync(CiliumCliRelease release, CancellationToken cancellationToken)
    {
        using var response = await GetAsync(release.ChecksumUri, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        // "<sha256>  <file name>", as sha256sum writes it.
        var fields = text.Split([' ', '\t', '\n', '\r'], 3, StringSplitOptions.RemoveEmptyEntries);
        var digest = fields.Length > 0 ? CiliumCliRelease.NormaliseSha256(fields[0]) : null;
        if (digest is null || (fields.Length > 1 && fields[1].TrimStart('*') != release.TarballName))
        {
            throw new CiliumCliInstallException($"{release.ChecksumUri} is not a sha256sum line for {release.TarballName}");
        }

        return digest;
    }

    /// <summary>Streams the body to <paramref name="path"/> and returns its sha256, refusing bodies past the cap.</summary>
    private async Task<string> DownloadAsync(Uri uri, string path, CancellationToken cancellationToken)
    {
        using var response = await GetAsync(uri, cancellationToken).ConfigureAwait(false);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            total += read;
            if (total > MaxDownloadBytes)
            {
                throw new CiliumCliInstallException($"{uri} is larger than {MaxDownloadBytes / (1024 * 1024)} MiB; not a Cilium CLI release");
            }

            hash.AppendData(buffer, 0, read);
            await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Extracts the tarball's top-level regular file `cilium` (the only file a release tarball holds) as an executable.</summary>
    private static async Task UnpackCiliumAsync(string tarball, string destination, Uri source, CancellationToken cancellationToken)
    {
        await using var file = File.OpenRead(tarball);
        await using var gzip = new GZipStream(file, CompressionMode.Decompress);
        await using var reader = new TarReader(gzip);
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
        {
            if (entry.Name is not ("cilium" or "./cilium"))
            {
                continue;
            }

            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null || entry.Length > MaxDownloadBytes)
            {
                throw new CiliumCliInstallException($"`cilium` in {source} is not a regular file of a plausible size");
            }

            var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                    | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
            }

            await using var output = new FileStream(destination, create);
            await entry.DataStream.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
            return;
        }

        throw new CiliumCliInstallException($"{source} holds no `cilium` executable");
    }

    private async Task<HttpResponseMessage> GetAsync(Uri uri, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new CiliumCliInstallException($"could not download {uri}: {e.Message}", offline: true);
        }

        if (!response.IsSuccessStatusCode)
        {
            response.Dispose();
            throw new CiliumCliInstallException(response.StatusCode == HttpStatusCode.NotFound
                ? $"{uri} does not exist (404)"
                : $"could not download {uri}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
        }

        return response;
    }
}

/// <param name="offline">True when the server could not be reached at all, so the user needs the offline way.</param>
public sealed class CiliumCliInstallException(string message, bool offline = false) : Exception(message)
{
    public bool Offline { get; } = offline;
}
