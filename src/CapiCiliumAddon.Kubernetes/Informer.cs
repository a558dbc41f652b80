using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace CapiCiliumAddon.Kubernetes;

/// <summary>What happened to a cached object. Bookmarks never reach handlers.</summary>
public enum InformerEventType { Added, Modified, Deleted }

/// <param name="Key">"namespace/name", or "name" for cluster-scoped objects.</param>
/// <param name="Object">The new object, or for Deleted the last state seen.</param>
public sealed record InformerEvent(InformerEventType Type, string Key, JsonObject Object);

public sealed record InformerOptions
{
    /// <summary>Null watches every namespace.</summary>
    public string? Namespace { get; init; }

    public string? LabelSelector { get; init; }

    /// <summary>Server-side timeout of one watch request; the informer re-watches from the last resourceVersion.</summary>
    public int WatchTimeoutSeconds { get; init; } = 300;

    public TimeSpan MinBackoff { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Told about every list/watch failure the informer retries (the project has no logging dependency here).</summary>
    public Action<Exception>? OnError { get; init; }
}

/// <summary>
/// client-go's reflector + shared informer on <see cref="IKubernetesClient"/>: list, then watch from the list's
/// resourceVersion (bookmarks advance it); a watch that ends is resumed from the last resourceVersion seen; a 410
/// re-lists and emits synthetic Added/Modified/Deleted for exactly what changed against the cache (objects whose
/// resourceVersion did not change produce nothing); other failures back off and retry. Handlers run on the
/// informer's loop, one event at a time and in order: keep them cheap (enqueue a key).
/// </summary>
public sealed class Informer
{
    private readonly IKubernetesClient client;
    private readonly ResourceType type;
    private readonly InformerOptions options;
    private readonly object gate = new();
    private readonly Dictionary<string, JsonObject> cache = new(StringComparer.Ordinal);
    private readonly List<Action<InformerEvent>> handlers = [];
    private readonly TaskCompletionSource synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string lastResourceVersion = "";
    private int listCount;

    public Informer(IKubernetesClient client, ResourceType type, InformerOptions? options = null)
    {
        this.client = client;
        this.type = type;
        this.options = options ?? new InformerOptions();
    }

    public ResourceType ResourceType => type;

    /// <summary>True once the first list has been stored and delivered to handlers.</summary>
    public bool HasSynced => synced.Task.IsCompleted;

    /// <summary>The resourceVersion the next watch resumes from.</summary>
    public string LastResourceVersion { get { lock (gate) { return lastResourceVersion; } } }

    /// <summary>How many full lists have been made (1 + one per 410); useful for diagnostics and tests.</summary>
    public int ListCount => Volatile.Read(ref listCount);

    public Task WaitForSyncAsync(CancellationToken cancellationToken) => synced.Task.WaitAsync(cancellationToken);

    /// <summary>
    /// Registers a handler. Like client-go's AddEventHandler, a handler added after objects are cached is first told
    /// about each of them as Added, so no handler misses an object.
    /// </summary>
    public void AddHandler(Action<InformerEvent> handler)
    {
        lock (gate)
        {
            handlers.Add(handler);
            foreach (var (key, obj) in cache)
            {
                handler(new InformerEvent(InformerEventType.Added, key, obj.DeepClone().AsObject()));
            }
        }
    }

    /// <summary>The same notifications as <see cref="AddHandler"/>, as an unbounded channel (for consumers that prefer to pull).</summary>
    public ChannelReader<InformerEvent> Subscribe()
    {
        var channel = Channel.CreateUnbounded<InformerEvent>(new UnboundedChannelOptions { SingleWriter = true });
        AddHandler(e => channel.Writer.TryWrite(e));
        return channel.Reader;
    }

    public bool TryGet(string? @namespace, string name, out JsonObject? obj)
    {
        lock (gate)
        {
            if (cache.TryGetValue(KeyOf(@namespace, name), out var found))
            {
                obj = found.DeepClone().AsObject();
                return true;
            }
        }

        obj = null;
        return false;
    }

    public IReadOnlyList<JsonObject> List()
    {
        lock (gate)
        {
            return cache.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Value.DeepClone().AsObject()).ToList();
        }
    }

    public IReadOnlyList<string> Keys()
    {
        lock (gate)
        {
            return cache.Keys.Order(StringComparer.Ordinal).ToList();
        }
    }

    public static string KeyOf(string? @namespace, string name) => string.IsNullOrEmpty(@namespace) ? name : $"{@namespace}/{name}";

    public static string KeyOf(JsonObject obj) => KeyOf(Namespace(obj), Name(obj));

    /// <summary>Runs until cancelled. Never throws except OperationCanceledException on cancellation.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var needList = true;
        var failures = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                if (needList)
                {
                    await RelistAsync(cancellationToken).ConfigureAwait(false);
                    needList = false;
                    failures = 0;
                }

                var delivered = await WatchOnceAsync(cancellationToken).ConfigureAwait(false);
                if (delivered)
                {
                    failures = 0;
                }
                else
                {
                    // A stream that closes without delivering anything, over and over, must not spin.
                    await Task.Delay(Backoff(++failures), cancellationToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (KubernetesGoneException ex)
            {
                // The resourceVersion fell out of the server's window: the cache may have missed anything. Re-list.
                options.OnError?.Invoke(ex);
                needList = true;
            }
            catch (Exception ex)
            {
                options.OnError?.Invoke(ex);
                await Task.Delay(Backoff(++failures), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private TimeSpan Backoff(int failures)
    {
        var ms = options.MinBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 20));
        ms = Math.Min(ms, options.MaxBackoff.TotalMilliseconds);
        // Jitter up to 20% so many informers do not retry in lock-step.
        ms *= 1 + (Random.Shared.NextDouble() * 0.2);
        return TimeSpan.FromMilliseconds(ms);
    }

    private async Task RelistAsync(CancellationToken cancellationToken)
    {
        var list = await client.ListAllAsync(type, options.Namespace, new ListOptions(LabelSelector: options.LabelSelector), cancellationToken)
            .ConfigureAwait(false);
        Interlocked.Increment(ref listCount);

        var fresh = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var item in list.Items)
        {
            fresh[KeyOf(item)] = item;
        }

        lock (gate)
        {
            var changes = new List<InformerEvent>();
            foreach (var (key, obj) in fresh.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                if (!cache.TryGetValue(key, out var old))
                {
                    changes.Add(new InformerEvent(InformerEventType.Added, key, obj));
                }
                else if (ResourceVersion(old) != ResourceVersion(obj))
                {
                    changes.Add(new InformerEvent(InformerEventType.Modified, key, obj));
                }
            }

            foreach (var (key, old) in cache.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                if (!fresh.ContainsKey(key))
                {
                    changes.Add(new InformerEvent(InformerEventType.Deleted, key, old));
                }
            }

            cache.Clear();
            foreach (var (key, obj) in fresh)
            {
                cache[key] = obj;
            }

            lastResourceVersion = list.ResourceVersion;
            foreach (var change in changes)
            {
                Dispatch(change);
            }
        }

        synced.TrySetResult();
    }

    /// <returns>Whether the stream delivered at least one event (bookmarks count).</returns>
    private async Task<bool> WatchOnceAsync(CancellationToken cancellationToken)
    {
        var watchOptions = new WatchOptions(
            LabelSelector: options.LabelSelector,
            ResourceVersion: LastResourceVersion,
            AllowBookmarks: true,
            TimeoutSeconds: options.WatchTimeoutSeconds);
        var delivered = false;
        await foreach (var ev in client.WatchAsync(type, options.Namespace, watchOptions, cancellationToken).ConfigureAwait(false))
        {
            delivered = true;
            Apply(ev);
        }

        return delivered;
    }

    private void Apply(WatchEvent ev)
    {
        var rv = ResourceVersion(ev.Object);
        lock (gate)
        {
            if (ev.Type == WatchEventType.Bookmark)
            {
                if (rv.Length > 0)
                {
                    lastResourceVersion = rv;
                }

                return;
            }

            var key = KeyOf(ev.Object);
            switch (ev.Type)
            {
                case WatchEventType.Added:
                case WatchEventType.Modified:
                    var existed = cache.TryGetValue(key, out var old);
                    if (existed && ResourceVersion(old!) == rv)
                    {
                        // Already seen (e.g. replayed after a resume): no duplicate notification.
                        break;
                    }

                    cache[key] = ev.Object;
                    Dispatch(new InformerEvent(existed ? InformerEventType.Modified : InformerEventType.Added, key, ev.Object));
                    break;
                case WatchEventType.Deleted:
                    if (cache.Remove(key, out var last))
                    {
                        Dispatch(new InformerEvent(InformerEventType.Deleted, key, ev.Object.Count > 0 ? ev.Object : last));
                    }

                    break;
            }

            if (rv.Length > 0)
            {
                lastResourceVersion = rv;
            }
        }
    }

    private void Dispatch(InformerEvent change)
    {
        foreach (var handler in handlers)
        {
            try
            {
                handler(change with { Object = change.Object.DeepClone().AsObject() });
            }
            catch (Exception ex)
            {
                options.OnError?.Invoke(ex);
            }
        }
    }

    private static string Name(JsonObject obj) => obj["metadata"]?["name"]?.GetValue<string>() ?? "";

    private static string? Namespace(JsonObject obj) => obj["metadata"]?["namespace"]?.GetValue<string>();

    private static string ResourceVersion(JsonObject obj) => obj["metadata"]?["resourceVersion"]?.GetValue<string>() ?? "";
}
