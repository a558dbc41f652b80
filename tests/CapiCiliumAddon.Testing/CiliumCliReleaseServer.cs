using System.Collections.Concurrent;
using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace CapiCiliumAddon.Testing;

/// <summary>
/// A local HTTP server laid out like GitHub's cilium-cli release downloads (<c>VERSION/ASSET</c>), for testing the
/// installer against real HTTP: <see cref="Publish"/> serves a tarball holding the given `cilium` executable and the
/// `.sha256sum` file beside it, as every release has.
/// </summary>
public sealed class CiliumCliReleaseServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentDictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _requests = new();
    private readonly Task _serving;

    public CiliumCliReleaseServer()
    {
        BaseAddress = new Uri($"http://127.0.0.1:{FreePort()}/releases/download/");
        _listener.Prefixes.Add(BaseAddress.ToString());
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    public Uri BaseAddress { get; }

    /// <summary>Paths requested so far, relative to <see cref="BaseAddress"/>.</summary>
    public IReadOnlyList<string> Requests => _requests.ToList();

    /// <summary>Serves <paramref name="content"/> at <c>VERSION/RELATIVEPATH</c>.</summary>
    public void Serve(string relativePath, byte[] content) => _files[relativePath] = content;

    /// <summary>
    /// Publishes a release tarball <paramref name="tarballName"/> whose only file is `cilium` (mode 0755) holding
    /// <paramref name="executable"/>, and its checksum file (the tarball's real sha256 unless
    /// <paramref name="publishedSha256"/> says otherwise). Returns the tarball's real sha256.
    /// </summary>
    public string Publish(string version, string tarballName, string executable, string? publishedSha256 = null, bool withChecksumFile = true)
    {
        var tarball = Tarball(("cilium", executable));
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(tarball));
        Serve($"{version}/{tarballName}", tarball);
        if (withChecksumFile)
        {
            Serve($"{version}/{tarballName}.sha256sum", Encoding.ASCII.GetBytes($"{publishedSha256 ?? sha256}  {tarballName}\n"));
        }

        return sha256;
    }

    /// <summary>A gzipped tar of executable files, as the release tarballs are made.</summary>
    public static byte[] Tarball(params (string Name, string Content)[] files)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax))
        {
            foreach (var (name, content) in files)
            {
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name)
                {
                    Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead |
                        UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute,
                    DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
                });
            }
        }

        return buffer.ToArray();
    }

    /// <summary>A loopback port nothing listens on (for "the server cannot be reached").</summary>
    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        _listener.Close();
        try
        {
            _serving.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The listener was closed under a pending GetContextAsync: that is how serving stops.
        }
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            var path = context.Request.Url!.AbsolutePath[BaseAddress.AbsolutePath.Length..];
            _requests.Enqueue(path);
            using var response = context.Response;
            if (_files.TryGetValue(path, out var content))
            {
                response.ContentLength64 = content.Length;
                await response.OutputStream.WriteAsync(content).ConfigureAwait(false);
            }
            else
            {
                response.StatusCode = 404;
            }
        }
    }
}
