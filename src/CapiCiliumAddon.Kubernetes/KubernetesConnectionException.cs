namespace CapiCiliumAddon.Kubernetes;

/// <summary>
/// The request got no HTTP answer: connection refused, DNS, TLS failure, a reset, or the per-attempt timeout.
/// The message names the server URL. <see cref="IsTransient"/> is false for TLS failures, which retrying cannot fix.
/// </summary>
public sealed class KubernetesConnectionException(Uri server, string message, Exception? innerException, bool isTransient = true)
    : Exception(message, innerException)
{
    public Uri Server { get; } = server;

    public bool IsTransient { get; } = isTransient;
}
