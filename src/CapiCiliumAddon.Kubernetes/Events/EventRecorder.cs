using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using k8s.Models;

namespace CapiCiliumAddon.Kubernetes.Events;

public enum EventType { Normal, Warning }

public sealed record EventRecorderOptions
{
    public string ReportingController { get; init; } = "capi-cilium-addon";

    /// <summary>Pod name (HOSTNAME in a pod) by default.</summary>
    public string ReportingInstance { get; init; } = Environment.GetEnvironmentVariable("POD_NAME") ?? Environment.MachineName;

    /// <summary>An identical event (same object, type, reason, action, note) within this window is not sent again.</summary>
    public TimeSpan DeduplicationWindow { get; init; } = TimeSpan.FromMinutes(10);

    public Action<Exception>? OnError { get; init; }
}

/// <summary>
/// Records events.k8s.io/v1 Events about an object. Recording never throws (an Event is a courtesy, not part of the
/// reconcile's outcome), and identical events inside <see cref="EventRecorderOptions.DeduplicationWindow"/> are
/// dropped so a retry loop with backoff does not flood the namespace.
/// </summary>
public sealed class EventRecorder
{
    public const int MaxNoteBytes = 1024;

    private readonly IKubernetesClient client;
    private readonly EventRecorderOptions options;
    private readonly TimeProvider time;
    private readonly Dictionary<string, DateTimeOffset> recent = new(StringComparer.Ordinal);
    private readonly object gate = new();
    private long sequence;

    public EventRecorder(IKubernetesClient client, EventRecorderOptions? options = null, TimeProvider? time = null)
    {
        this.client = client;
        this.options = options ?? new EventRecorderOptions();
        this.time = time ?? TimeProvider.System;
    }

    /// <returns>The Event sent, or null when it was de-duplicated or the API call failed.</returns>
    public async Task<Eventsv1Event?> RecordAsync(JsonObject regarding, EventType type, string reason, string action, string note, CancellationToken cancellationToken)
    {
        var meta = regarding["metadata"] as JsonObject;
        var name = meta?["name"]?.GetValue<string>() ?? "";
        var ns = meta?["namespace"]?.GetValue<string>() ?? "default";
        var uid = meta?["uid"]?.GetValue<string>() ?? "";
        note = Truncate(note, MaxNoteBytes);
        var now = time.GetUtcNow();
        var dedupKey = string.Join('\u001f', ns, name, uid, type, reason, action, note);
        lock (gate)
        {
            if (recent.TryGetValue(dedupKey, out var last) && now - last < options.DeduplicationWindow)
            {
                return null;
            }

            recent[dedupKey] = now;
            if (recent.Count > 4096)
            {
                foreach (var stale in recent.Where(kv => now - kv.Value >= options.DeduplicationWindow).Select(kv => kv.Key).ToList())
                {
                    recent.Remove(stale);
                }
            }
        }

        var seq = Interlocked.Increment(ref sequence);
        var ev = new Eventsv1Event
        {
            Metadata = new V1ObjectMeta
            {
                // client-go names events "<object>.<unix nanos in hex>"; a sequence keeps two in one tick apart.
                Name = $"{name}.{(now.ToUnixTimeMilliseconds() * 1_000_000 + seq % 1_000_000).ToString("x", CultureInfo.InvariantCulture)}",
                NamespaceProperty = ns,
            },
            EventTime = now.UtcDateTime,
            ReportingController = options.ReportingController,
            ReportingInstance = options.ReportingInstance,
            Action = action,
            Reason = reason,
            Type = type.ToString(),
            Note = note,
            Regarding = new V1ObjectReference
            {
                ApiVersion = regarding["apiVersion"]?.GetValue<string>(),
                Kind = regarding["kind"]?.GetValue<string>(),
                NamespaceProperty = ns,
                Name = name,
                Uid = uid,
            },
        };

        try
        {
            return await client.CreateAsync(ev, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception ex)
        {
            // Let the same event through next time: it was never seen.
            lock (gate) { recent.Remove(dedupKey); }
            options.OnError?.Invoke(ex);
            return null;
        }
    }

    /// <summary>Cuts at a UTF-8 character boundary so the note is at most <paramref name="maxBytes"/> bytes.</summary>
    public static string Truncate(string note, int maxBytes)
    {
        if (Encoding.UTF8.GetByteCount(note) <= maxBytes) { return note; }
        const string ellipsis = "…";
        var budget = maxBytes - Encoding.UTF8.GetByteCount(ellipsis);
        var sb = new StringBuilder();
        var used = 0;
        foreach (var rune in note.EnumerateRunes())
        {
            if (used + rune.Utf8SequenceLength > budget) { break; }
            sb.Append(rune.ToString());
            used += rune.Utf8SequenceLength;
        }

        return sb.Append(ellipsis).ToString();
    }
}
