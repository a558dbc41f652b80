namespace CapiCiliumAddon.Kubernetes;

/// <summary>Transport tuning. Defaults suit a controller; tests shrink the delays.</summary>
public sealed record KubernetesClientOptions
{
    /// <summary>Retries after the first attempt for idempotent requests (GET, LIST, PUT, apply, DELETE). 0 disables retries.</summary>
    public int MaxRetryAttempts { get; init; } = 5;

    /// <summary>First backoff delay; doubles per attempt up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Upper bound on a server's Retry-After (a 429 asking for an hour still waits at most this long).</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(60);

    public bool UseJitter { get; init; } = true;

    /// <summary>Per attempt, for everything but a watch (a watch is bounded by its timeoutSeconds instead).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long past its timeoutSeconds a watch may stay open before its connection is taken for dead (the server ends
    /// a watch at its timeoutSeconds; the library puts no timeout on one).
    /// </summary>
    public TimeSpan WatchGracePeriod { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Page size ListAllAsync uses when the caller's ListOptions set no limit.</summary>
    public int ListAllPageSize { get; init; } = 500;

    /// <summary>Also the field manager the API server records for writes that name none (create, replace).</summary>
    public string UserAgent { get; init; } = "capi-cilium-addon";

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Called before each retry: the failure, the retry number (1-based) and the delay before it. For logging.</summary>
    public Action<Exception, int, TimeSpan>? OnRetry { get; init; }
}
