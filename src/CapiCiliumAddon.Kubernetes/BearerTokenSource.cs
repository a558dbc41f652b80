namespace CapiCiliumAddon.Kubernetes;

/// <summary>
/// A bearer token, fixed or read from a file. A file token is re-read at most once per refresh interval (and right
/// after a 401), because bound service-account tokens are rotated by the kubelet while the pod runs.
/// </summary>
public sealed class BearerTokenSource
{
    private readonly string? fixedToken;
    private readonly TimeProvider timeProvider;
    private readonly Lock gate = new();
    private string? cached;
    private DateTimeOffset readAt;

    private BearerTokenSource(string? token, string? file, TimeSpan refreshInterval, TimeProvider? timeProvider)
    {
        fixedToken = token;
        TokenFile = file;
        RefreshInterval = refreshInterval;
        this.timeProvider = timeProvider ?? TimeProvider.System;
    }

    public string? TokenFile { get; }

    public TimeSpan RefreshInterval { get; }

    public static BearerTokenSource FromToken(string token) => new(token, null, TimeSpan.Zero, null);

    public static BearerTokenSource FromFile(string path, TimeSpan? refreshInterval = null, TimeProvider? timeProvider = null) =>
        new(null, path, refreshInterval ?? TimeSpan.FromMinutes(1), timeProvider);

    public string GetToken()
    {
        if (fixedToken is not null)
        {
            return fixedToken;
        }

        lock (gate)
        {
            var now = timeProvider.GetUtcNow();
            if (cached is null || now - readAt >= RefreshInterval)
            {
                try
                {
                    cached = File.ReadAllText(TokenFile!).Trim();
                    readAt = now;
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    if (cached is null)
                    {
                        throw new InvalidOperationException($"cannot read the bearer token file {TokenFile}: {ex.Message}", ex);
                    }

                    // Keep the last good token; the file may be mid-rotation.
                }
            }

            return cached;
        }
    }

    /// <summary>Forget the cached token so the next request re-reads the file (after the server said 401).</summary>
    public void Invalidate()
    {
        if (TokenFile is null)
        {
            return;
        }

        lock (gate)
        {
            readAt = DateTimeOffset.MinValue;
        }
    }
}

/// <summary>Adds <c>Authorization: Bearer</c> from a <see cref="BearerTokenSource"/>.</summary>
public sealed class BearerTokenHandler(BearerTokenSource source, HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", source.GetToken());
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == System.Net.HttpStatusCode.Unauthorized)
        {
            source.Invalidate();
        }

        return response;
    }
}
