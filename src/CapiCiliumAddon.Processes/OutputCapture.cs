using System.Text;

namespace CapiCiliumAddon.Processes;

/// <summary>Collects one of the child's output streams as raw bytes, up to a cap.</summary>
internal sealed class OutputCapture(string streamName, int maxBytes)
{
    private static readonly Encoding LenientUtf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    // Guarded by itself: if a read ignores cancellation the runner stops waiting and snapshots while the pump may still write.
    private readonly MemoryStream captured = new();

    public string StreamName { get; } = streamName;

    public bool LimitExceeded { get; private set; }

    /// <summary>Reads until end of stream, cancellation or the cap; never throws, so an abandoned pump cannot fault unobserved.</summary>
    public async Task PumpAsync(Stream source, Action onLimitExceeded, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return;
                }

                lock (captured)
                {
                    var room = maxBytes - (int)captured.Length;
                    if (read > room)
                    {
                        captured.Write(buffer, 0, room);
                        LimitExceeded = true;
                    }
                    else
                    {
                        captured.Write(buffer, 0, read);
                    }
                }

                if (LimitExceeded)
                {
                    // Stop reading: the child blocks on a full pipe until the runner kills it, so it cannot run on unbounded.
                    onLimitExceeded();
                    return;
                }
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The runner gave up on this stream; whatever arrived so far is kept.
        }
    }

    public string Decode()
    {
        lock (captured)
        {
            return LenientUtf8.GetString(captured.GetBuffer(), 0, (int)captured.Length);
        }
    }
}
