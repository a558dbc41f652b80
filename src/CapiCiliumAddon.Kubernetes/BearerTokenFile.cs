using System.Net.Http.Headers;
using k8s.Authentication;

namespace CapiCiliumAddon.Kubernetes;

/// <summary>
/// The bearer token of a kubeconfig user's <c>tokenFile</c>, as client-go reads it: the file is read again once the
/// token in hand is a minute old, so a rotated token is picked up; when a read fails or finds the file empty (it may
/// be half-written), the last token read is kept; before any read has succeeded, the user's <c>token</c> (if any)
/// stands in.
/// </summary>
/// <remarks>
/// The library's <see cref="TokenFileAuth"/> (its in-cluster token) also re-reads every minute, but fails the request
/// when a read fails and has no fallback token.
/// </remarks>
internal sealed class BearerTokenFile : ITokenProvider
{
    private static readonly TimeSpan RereadAfter = TimeSpan.FromMinutes(1);

    private readonly string path;
    private readonly TimeProvider time;
    private volatile Snapshot current;

    /// <param name="path">The token file, absolute.</param>
    /// <param name="initial">The token read from the file just now; else the user's <c>token</c>, used until the file is read.</param>
    /// <param name="initialIsFromFile">Whether <paramref name="initial"/> came from the file, so the next read waits a minute.</param>
    public BearerTokenFile(string path, string initial, bool initialIsFromFile, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentException.ThrowIfNullOrEmpty(initial);
        ArgumentNullException.ThrowIfNull(time);
        this.path = path;
        this.time = time;
        current = new Snapshot(initial, initialIsFromFile ? time.GetUtcNow() : DateTimeOffset.MinValue);
    }

    /// <summary>The token in the file, trimmed as client-go trims it; null (with the reason) when it cannot be read or is empty.</summary>
    public static string? TryRead(string path, out string? failure)
    {
        try
        {
            var token = File.ReadAllText(path).Trim();
            failure = token.Length == 0 ? "the file is empty" : null;
            return failure is null ? token : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            failure = e.Message;
            return null;
        }
    }

    public Task<AuthenticationHeaderValue> GetAuthenticationHeaderAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var snapshot = current;
        if (now - snapshot.ReadAt >= RereadAfter && TryRead(path, out _) is { } token)
        {
            snapshot = new Snapshot(token, now);
            current = snapshot;
        }

        return Task.FromResult(new AuthenticationHeaderValue("Bearer", snapshot.Token));
    }

    private sealed record Snapshot(string Token, DateTimeOffset ReadAt);
}
