using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using CapiCiliumAddon.Kubernetes;

namespace CapiCiliumAddon.Controller.Tests.Fakes;

public sealed record FakeCall(string Verb, ResourceType Type, string? Namespace, string? Name, string? FieldManager = null);

/// <summary>
/// An in-memory API server, good enough for the controller: one global resourceVersion counter, label selectors,
/// watch streams with history (resume, 410 after compaction, forced 410s, dropped streams, bookmarks, selector
/// transitions become Added/Deleted like the real server), coarse server-side apply field ownership (per label,
/// annotation and data key; spec and other top-level fields whole), UID/resourceVersion preconditions, and fault
/// injection by verb/resource.
/// </summary>
public sealed class FakeKubernetesClient : IKubernetesClient
{
    private readonly object gate = new();
    private readonly Dictionary<string, JsonObject> objects = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, HashSet<string>>> owners = new(StringComparer.Ordinal);
    private readonly List<HistoryEntry> history = [];
    private readonly List<Watcher> watchers = [];
    private readonly List<FakeCall> calls = [];
    private readonly List<(Func<FakeCall, bool> Match, Func<Exception> Make, int Remaining)> faults = [];
    private long resourceVersion = 100;
    private long compactedBelow;
    private int uidCounter;

    public Dictionary<string, IReadOnlyList<string>> ServedVersions { get; } = new(StringComparer.Ordinal);

    /// <summary>Called at the start of every call; return an exception to fail it.</summary>
    public Func<FakeCall, Exception?>? Fault { get; set; }

    /// <summary>Raised after every successful call (after faults), e.g. to observe a write.</summary>
    public event Action<FakeCall>? CallCompleted;

    public IReadOnlyList<FakeCall> Calls { get { lock (gate) { return calls.ToList(); } } }

    public IReadOnlyList<FakeCall> Writes => Calls.Where(c => c.Verb is "create" or "replace" or "apply" or "delete").ToList();

    public void ClearCalls() { lock (gate) { calls.Clear(); } }

    public int ActiveWatches { get { lock (gate) { return watchers.Count; } } }

    public long CurrentResourceVersion { get { lock (gate) { return resourceVersion; } } }

    /// <summary>Fails the next <paramref name="count"/> calls matching <paramref name="match"/>.</summary>
    public void FailNext(Func<FakeCall, bool> match, Func<Exception> make, int count = 1)
    {
        lock (gate) { faults.Add((match, make, count)); }
    }

    public static KubernetesServerErrorException ServerError() => new(HttpStatusCode.InternalServerError, "InternalError", "injected 500", []);

    public static KubernetesTooManyRequestsException TooManyRequests() => new("TooManyRequests", "injected 429", [], TimeSpan.FromMilliseconds(10));

    public static KubernetesConflictException Conflict() => new("Conflict", "injected 409", []);

    // ---- test-side helpers -------------------------------------------------------------------------------------

    /// <summary>Stores an object as a plain create (no field manager).</summary>
    public JsonObject Seed(ResourceType type, JsonObject obj) => CreateCore(type, obj.DeepClone().AsObject(), manager: null);

    public JsonObject? Peek(ResourceType type, string? ns, string name)
    {
        lock (gate)
        {
            return objects.TryGetValue(StoreKey(type, ns, name), out var o) ? o.DeepClone().AsObject() : null;
        }
    }

    public bool Contains(ResourceType type, string? ns, string name)
    {
        lock (gate)
        {
            return objects.ContainsKey(StoreKey(type, ns, name));
        }
    }

    public IReadOnlyList<JsonObject> All(ResourceType type)
    {
        lock (gate)
        {
            return objects.Where(kv => kv.Key.StartsWith(TypeKey(type) + "|", StringComparison.Ordinal))
                .OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Value.DeepClone().AsObject()).ToList();
        }
    }

    /// <summary>Mutates an object as some other writer would (bumps resourceVersion, notifies watchers).</summary>
    public JsonObject Mutate(ResourceType type, string? ns, string name, Action<JsonObject> change)
    {
        lock (gate)
        {
            var key = StoreKey(type, ns, name);
            var old = objects[key];
            var updated = old.DeepClone().AsObject();
            change(updated);
            return Store(type, key, old, updated);
        }
    }

    /// <summary>Forgets history below the current resourceVersion: watches from older versions get 410.</summary>
    public void Compact() { lock (gate) { compactedBelow = resourceVersion; history.Clear(); } }

    /// <summary>Every open watch fails with an in-stream 410.</summary>
    public void BreakWatchesWithGone()
    {
        lock (gate)
        {
            foreach (var w in watchers) { w.Channel.Writer.TryComplete(new KubernetesGoneException("Expired", "too old resource version", [])); }
        }
    }

    /// <summary>Every open watch ends (the server closed it) with no error.</summary>
    public void DropWatches()
    {
        lock (gate)
        {
            foreach (var w in watchers) { w.Channel.Writer.TryComplete(); }
        }
    }

    /// <summary>Sends a bookmark at the current resourceVersion to every open watch that asked for bookmarks.</summary>
    public void SendBookmarks()
    {
        lock (gate)
        {
            foreach (var w in watchers.Where(w => w.Bookmarks))
            {
                var bm = new JsonObject { ["kind"] = w.Type.Kind, ["apiVersion"] = w.Type.ApiVersion, ["metadata"] = new JsonObject { ["resourceVersion"] = resourceVersion.ToString() } };
                w.Channel.Writer.TryWrite(new WatchEvent(WatchEventType.Bookmark, bm));
            }
        }
    }

    public Task WaitForWatchAsync(int count = 1) => WaitUntilAsync(() => ActiveWatches >= count);

    public static async Task WaitUntilAsync(Func<bool> condition, int timeoutSeconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) { throw new TimeoutException("condition not met in time"); }
            await Task.Delay(10);
        }
    }

    // ---- IKubernetesClient ---------------------------------------------------------------------------------------

    public Task<IReadOnlyList<string>> GetServedVersionsAsync(string group, CancellationToken cancellationToken)
    {
        Enter(new FakeCall("discovery", new ResourceType(group, "", "", ""), null, null));
        return Task.FromResult(ServedVersions.TryGetValue(group, out var v) ? v : (IReadOnlyList<string>)[]);
    }

    public Task<JsonObject> GetAsync(ResourceType type, string? @namespace, string name, CancellationToken cancellationToken)
    {
        Enter(new FakeCall("get", type, @namespace, name));
        lock (gate)
        {
            if (!objects.TryGetValue(StoreKey(type, @namespace, name), out var o)) { throw NotFound(type, name); }
            return Task.FromResult(o.DeepClone().AsObject());
        }
    }

    /// <summary>
    /// One page when <see cref="ListOptions.Limit"/> is set, with a continue token like the real server's (base64 JSON
    /// of the list's resourceVersion and the key to start after); 410 Expired for a token older than the last
    /// <see cref="Compact"/>. Unlike etcd, later pages show the store as it is now, not as it was at the first page.
    /// </summary>
    public Task<ObjectList> ListAsync(ResourceType type, string? @namespace, ListOptions options, CancellationToken cancellationToken)
    {
        Enter(new FakeCall("list", type, @namespace, null));
        return Task.FromResult(List(type, @namespace, options.LabelSelector, options.Limit, options.Continue));
    }

    /// <summary>Every matching object in one list, whatever the options' limit.</summary>
    public Task<ObjectList> ListAllAsync(ResourceType type, string? @namespace, ListOptions options, CancellationToken cancellationToken)
    {
        Enter(new FakeCall("list", type, @namespace, null));
        return Task.FromResult(List(type, @namespace, options.LabelSelector, limit: null, options.Continue));
    }

    private ObjectList List(ResourceType type, string? @namespace, string? labelSelector, int? limit, string? continueToken)
    {
        var selector = LabelSelector.Parse(labelSelector);
        lock (gate)
        {
            var (listVersion, after) = continueToken is null ? (resourceVersion, "") : ReadContinue(continueToken);
            var matching = objects.Where(kv => kv.Key.StartsWith(TypeKey(type) + "|", StringComparison.Ordinal))
                .Select(kv => kv.Value)
                .Where(o => (@namespace is null || Ns(o) == @namespace) && selector.Matches(o))
                .Select(o => (Key: Ns(o) + "/" + Name(o), Object: o))
                .Where(o => string.CompareOrdinal(o.Key, after) > 0)
                .OrderBy(o => o.Key, StringComparer.Ordinal)
                .ToList();
            var page = limit is > 0 && matching.Count > limit ? matching[..limit.Value] : matching;
            var next = page.Count < matching.Count ? WriteContinue(listVersion, page[^1].Key) : null;
            return new ObjectList([.. page.Select(o => o.Object.DeepClone().AsObject())], listVersion.ToString(CultureInfo.InvariantCulture), next);
        }
    }

    private static string WriteContinue(long listVersion, string lastKey) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(new JsonObject { ["v"] = "meta.k8s.io/v1", ["rv"] = listVersion, ["start"] = lastKey + "\u0000" }.ToJsonString()))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The list's resourceVersion and the key its next page starts after; caller holds the gate.</summary>
    private (long ListVersion, string After) ReadContinue(string token)
    {
        JsonObject? parsed = null;
        try
        {
            var base64 = token.Replace('-', '+').Replace('_', '/');
            parsed = JsonNode.Parse(Convert.FromBase64String(base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '='))) as JsonObject;
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
        }

        if (parsed?["rv"] is not JsonValue rv || !rv.TryGetValue<long>(out var listVersion) || parsed["start"] is not JsonValue start || !start.TryGetValue<string>(out var startKey) || !startKey.EndsWith('\u0000'))
        {
            throw new KubernetesBadRequestException("BadRequest", $"continue key is not valid: {token}", []);
        }

        if (listVersion < compactedBelow)
        {
            throw new KubernetesGoneException("Expired", "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.", []);
        }

        return (listVersion, startKey[..^1]);
    }

    public async IAsyncEnumerable<WatchEvent> WatchAsync(ResourceType type, string? @namespace, WatchOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Enter(new FakeCall("watch", type, @namespace, null));
        var selector = LabelSelector.Parse(options.LabelSelector);
        var watcher = new Watcher(type, @namespace, selector, options.AllowBookmarks);
        lock (gate)
        {
            var from = long.TryParse(options.ResourceVersion, out var rv) ? rv : resourceVersion;
            if (from < compactedBelow)
            {
                throw new KubernetesGoneException("Expired", $"too old resource version: {from} ({resourceVersion})", []);
            }

            foreach (var h in history.Where(h => h.ResourceVersion > from))
            {
                if (watcher.Translate(h) is { } ev) { watcher.Channel.Writer.TryWrite(ev); }
            }

            watchers.Add(watcher);
        }

        try
        {
            while (true)
            {
                WatchEvent ev;
                try
                {
                    if (!await watcher.Channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false)) { break; }
                    if (!watcher.Channel.Reader.TryRead(out ev!)) { continue; }
                }
                catch (ChannelClosedException e) when (e.InnerException is not null)
                {
                    throw e.InnerException;
                }

                yield return ev;
            }

            // Surface a completion error (forced 410) raised while waiting.
            if (watcher.Channel.Reader.Completion.IsFaulted)
            {
                await watcher.Channel.Reader.Completion.ConfigureAwait(false);
            }
        }
        finally
        {
            lock (gate) { watchers.Remove(watcher); }
        }
    }

    public Task<JsonObject> CreateAsync(ResourceType type, JsonObject obj, CancellationToken cancellationToken)
    {
        Enter(new FakeCall("create", type, Ns(obj), Name(obj)));
        var result = CreateCore(type, obj.DeepClone().AsObject(), manager: null);
        Completed(new FakeCall("create", type, Ns(obj), Name(obj)));
        return Task.FromResult(result);
    }

    public Task<JsonObject> ReplaceAsync(ResourceType type, JsonObject obj, CancellationToken cancellationToken)
    {
        Enter(new FakeCall("replace", type, Ns(obj), Name(obj)));
        lock (gate)
        {
            var key = StoreKey(type, Ns(obj), Name(obj));
            if (!objects.TryGetValue(key, out var old)) { throw NotFound(type, Name(obj)); }
            var sentRv = obj["metadata"]?["resourceVersion"]?.GetValue<string>();
            if (sentRv is not null && sentRv != Rv(old))
            {
                throw new KubernetesConflictException("Conflict", $"Operation cannot be fulfilled on {Describe(type, Name(obj))}: the object has been modified; please apply your changes to the latest version and try again", []);
            }

            var updated = obj.DeepClone().AsObject();
            var meta = updated["metadata"]!.AsObject();
            meta["uid"] = old["metadata"]!["uid"]!.DeepClone();
            meta["creationTimestamp"] = old["metadata"]!["creationTimestamp"]?.DeepClone();
            var result = Store(type, key, old, updated);
            Completed(new FakeCall("replace", type, Ns(obj), Name(obj)));
            return Task.FromResult(result);
        }
    }

    public Task<JsonObject> ApplyAsync(ResourceType type, JsonObject obj, ApplyOptions options, CancellationToken cancellationToken)
    {
        var call = new FakeCall("apply", type, Ns(obj), Name(obj), options.FieldManager);
        Enter(call);
        if (obj["apiVersion"] is null || obj["kind"] is null || Name(obj).Length == 0)
        {
            throw new KubernetesBadRequestException("BadRequest", "apply needs apiVersion, kind and metadata.name", []);
        }

        lock (gate)
        {
            var key = StoreKey(type, Ns(obj), Name(obj));
            var fields = Flatten(obj);
            if (!objects.TryGetValue(key, out var old))
            {
                var created = CreateCore(type, obj.DeepClone().AsObject(), options.FieldManager);
                Completed(call);
                return Task.FromResult(created);
            }

            var ownership = owners[key];
            var current = Flatten(old);
            var conflicts = new List<StatusCause>();
            foreach (var (path, value) in fields)
            {
                foreach (var (manager, owned) in ownership)
                {
                    if (manager != options.FieldManager && owned.Contains(path) && current.TryGetValue(path, out var cur) && !JsonNode.DeepEquals(cur, value))
                    {
                        conflicts.Add(new StatusCause("FieldManagerConflict", FieldPath(path), $"conflict with \"{manager}\""));
                    }
                }
            }

            if (conflicts.Count > 0 && !options.Force)
            {
                var described = conflicts.Select(c => $"{c.Message}: {c.Field}").ToList();
                throw new KubernetesConflictException("Conflict", described.Count == 1
                    ? $"Apply failed with 1 conflict: {described[0]}"
                    : $"Apply failed with {described.Count} conflicts: {string.Join("\n", described)}", conflicts);
            }

            var updated = old.DeepClone().AsObject();
            ownership.TryGetValue(options.FieldManager, out var mine);
            mine ??= [];
            // Fields this manager owned before and no longer sends are removed, unless someone else owns them too.
            foreach (var path in mine.Where(p => !fields.ContainsKey(p)).ToList())
            {
                if (!ownership.Any(kv => kv.Key != options.FieldManager && kv.Value.Contains(path)))
                {
                    RemovePath(updated, path);
                }
            }

            foreach (var (path, value) in fields)
            {
                SetPath(updated, path, value);
                if (options.Force)
                {
                    foreach (var other in ownership.Where(kv => kv.Key != options.FieldManager)) { other.Value.Remove(path); }
                }
            }

            ownership[options.FieldManager] = [.. fields.Keys];
            var result = JsonNode.DeepEquals(Strip(old), Strip(updated)) ? old.DeepClone().AsObject() : Store(type, key, old, updated);
            Completed(call);
            return Task.FromResult(result);
        }
    }

    public Task<bool> DeleteAsync(ResourceType type, string? @namespace, string name, DeleteOptions options, CancellationToken cancellationToken)
    {
        var call = new FakeCall("delete", type, @namespace, name);
        Enter(call);
        lock (gate)
        {
            var key = StoreKey(type, @namespace, name);
            if (!objects.TryGetValue(key, out var old)) { return Task.FromResult(false); }
            if (options.PreconditionUid is not null && options.PreconditionUid != Uid(old))
            {
                throw new KubernetesConflictException("Conflict", $"Precondition failed: UID in precondition: {options.PreconditionUid}, UID in object meta: {Uid(old)}", []);
            }

            if (options.PreconditionResourceVersion is not null && options.PreconditionResourceVersion != Rv(old))
            {
                throw new KubernetesConflictException("Conflict", $"Precondition failed: ResourceVersion in precondition: {options.PreconditionResourceVersion}, ResourceVersion in object meta: {Rv(old)}", []);
            }

            objects.Remove(key);
            owners.Remove(key);
            resourceVersion++;
            var gone = old.DeepClone().AsObject();
            gone["metadata"]!["resourceVersion"] = resourceVersion.ToString();
            Publish(new HistoryEntry(resourceVersion, type, old, null, gone));
            Completed(call);
            return Task.FromResult(true);
        }
    }

    // ---- internals --------------------------------------------------------------------------------------------

    private void Enter(FakeCall call)
    {
        Exception? fail = null;
        lock (gate)
        {
            calls.Add(call);
            for (var i = 0; i < faults.Count; i++)
            {
                var f = faults[i];
                if (f.Match(call))
                {
                    fail = f.Make();
                    faults[i] = (f.Match, f.Make, f.Remaining - 1);
                    if (f.Remaining <= 1) { faults.RemoveAt(i); }
                    break;
                }
            }
        }

        fail ??= Fault?.Invoke(call);
        if (fail is not null) { throw fail; }
    }

    private void Completed(FakeCall call) => CallCompleted?.Invoke(call);

    private JsonObject CreateCore(ResourceType type, JsonObject obj, string? manager)
    {
        lock (gate)
        {
            var key = StoreKey(type, Ns(obj), Name(obj));
            if (objects.ContainsKey(key))
            {
                throw new KubernetesAlreadyExistsException("AlreadyExists", $"{Describe(type, Name(obj))} already exists", []);
            }

            var meta = obj["metadata"] as JsonObject ?? [];
            obj["metadata"] = meta;
            meta["uid"] ??= $"uid-{++uidCounter:D4}";
            meta["creationTimestamp"] ??= "2026-11-21T00:00:00Z";
            obj["apiVersion"] ??= type.ApiVersion;
            obj["kind"] ??= type.Kind;
            owners[key] = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal)
            {
                [manager ?? "before-first-apply"] = [.. Flatten(obj).Keys],
            };
            return Store(type, key, null, obj);
        }
    }

    private JsonObject Store(ResourceType type, string key, JsonObject? old, JsonObject updated)
    {
        resourceVersion++;
        updated["metadata"]!["resourceVersion"] = resourceVersion.ToString();
        objects[key] = updated;
        Publish(new HistoryEntry(resourceVersion, type, old, updated, null));
        return updated.DeepClone().AsObject();
    }

    private void Publish(HistoryEntry entry)
    {
        history.Add(entry);
        foreach (var w in watchers)
        {
            if (w.Translate(entry) is { } ev) { w.Channel.Writer.TryWrite(ev); }
        }
    }

    private static JsonObject Strip(JsonObject o)
    {
        var c = o.DeepClone().AsObject();
        c["metadata"]!.AsObject().Remove("resourceVersion");
        return c;
    }

    /// <summary>Coarse field paths: each label/annotation/data key, ownerReferences whole, other top-level fields whole.</summary>
    private static Dictionary<string, JsonNode?> Flatten(JsonObject obj)
    {
        var result = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var (k, v) in obj)
        {
            if (k is "apiVersion" or "kind" or "status") { continue; }
            if (k == "metadata" && v is JsonObject meta)
            {
                foreach (var (mk, mv) in meta)
                {
                    if (mk is "labels" or "annotations" && mv is JsonObject map)
                    {
                        foreach (var (lk, lv) in map) { result[$"metadata.{mk}/{lk}"] = lv?.DeepClone(); }
                    }
                    else if (mk is "ownerReferences" or "finalizers")
                    {
                        result[$"metadata.{mk}"] = mv?.DeepClone();
                    }
                }
            }
            else if (k is "data" or "stringData" && v is JsonObject data)
            {
                foreach (var (dk, dv) in data) { result[$"{k}/{dk}"] = dv?.DeepClone(); }
            }
            else
            {
                result[k] = v?.DeepClone();
            }
        }

        return result;
    }

    private static void SetPath(JsonObject obj, string path, JsonNode? value)
    {
        var (parent, leaf) = Resolve(obj, path, create: true);
        parent![leaf] = value?.DeepClone();
    }

    private static void RemovePath(JsonObject obj, string path)
    {
        var (parent, leaf) = Resolve(obj, path, create: false);
        parent?.Remove(leaf);
    }

    private static (JsonObject? Parent, string Leaf) Resolve(JsonObject obj, string path, bool create)
    {
        var slash = path.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            if (path.StartsWith("metadata.", StringComparison.Ordinal)) { return (obj["metadata"] as JsonObject, path["metadata.".Length..]); }
            return (obj, path);
        }

        var head = path[..slash];
        var leaf = path[(slash + 1)..];
        JsonObject? container = obj;
        foreach (var part in head.Split('.'))
        {
            if (container![part] is not JsonObject next)
            {
                if (!create) { return (null, leaf); }
                next = [];
                container[part] = next;
            }

            container = next;
        }

        return (container, leaf);
    }

    private static KubernetesNotFoundException NotFound(ResourceType type, string name) =>
        new("NotFound", $"{Describe(type, name)} not found", []);

    /// <summary>An object as the real server's messages name it: configmaps "x", clusters.cluster.x-k8s.io "y".</summary>
    private static string Describe(ResourceType type, string name) =>
        type.Group.Length == 0 ? $"{type.Plural} \"{name}\"" : $"{type.Plural}.{type.Group} \"{name}\"";

    /// <summary>A coarse field path as the real server names fields in conflicts: data/x becomes .data.x.</summary>
    private static string FieldPath(string path) => "." + path.Replace('/', '.');

    private static string TypeKey(ResourceType type) => $"{type.Group}/{type.Plural}";

    private static string StoreKey(ResourceType type, string? ns, string name) => $"{TypeKey(type)}|{(type.Namespaced ? ns : "")}/{name}";

    internal static string Name(JsonObject o) => o["metadata"]?["name"]?.GetValue<string>() ?? "";

    internal static string? Ns(JsonObject o) => o["metadata"]?["namespace"]?.GetValue<string>();

    private static string Rv(JsonObject o) => o["metadata"]?["resourceVersion"]?.GetValue<string>() ?? "";

    private static string Uid(JsonObject o) => o["metadata"]?["uid"]?.GetValue<string>() ?? "";

    private sealed record HistoryEntry(long ResourceVersion, ResourceType Type, JsonObject? Old, JsonObject? New, JsonObject? Tombstone);

    private sealed class Watcher(ResourceType type, string? ns, LabelSelector selector, bool bookmarks)
    {
        public ResourceType Type { get; } = type;

        public bool Bookmarks { get; } = bookmarks;

        public Channel<WatchEvent> Channel { get; } = System.Threading.Channels.Channel.CreateUnbounded<WatchEvent>();

        public WatchEvent? Translate(HistoryEntry h)
        {
            if (TypeKey(h.Type) != TypeKey(Type)) { return null; }
            var any = h.New ?? h.Old!;
            if (ns is not null && Ns(any) != ns) { return null; }
            var wasIn = h.Old is not null && selector.Matches(h.Old);
            var isIn = h.New is not null && selector.Matches(h.New);
            if (h.Tombstone is not null)
            {
                return wasIn ? new WatchEvent(WatchEventType.Deleted, h.Tombstone.DeepClone().AsObject()) : null;
            }

            return (wasIn, isIn) switch
            {
                (false, true) => new WatchEvent(WatchEventType.Added, h.New!.DeepClone().AsObject()),
                (true, true) => new WatchEvent(WatchEventType.Modified, h.New!.DeepClone().AsObject()),
                (true, false) => new WatchEvent(WatchEventType.Deleted, h.New!.DeepClone().AsObject()),
                _ => null,
            };
        }
    }
}

/// <summary>Equality-based label selectors: "a=b,c!=d,e,!f".</summary>
public sealed class LabelSelector
{
    private readonly List<Func<JsonObject?, bool>> terms = [];

    public static LabelSelector Parse(string? text)
    {
        var s = new LabelSelector();
        if (string.IsNullOrWhiteSpace(text)) { return s; }
        foreach (var raw in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (raw.Contains("!=", StringComparison.Ordinal))
            {
                var p = raw.Split("!=");
                s.terms.Add(l => Get(l, p[0]) != p[1]);
            }
            else if (raw.Contains('=', StringComparison.Ordinal))
            {
                var p = raw.Replace("==", "=", StringComparison.Ordinal).Split('=');
                s.terms.Add(l => Get(l, p[0]) == p[1]);
            }
            else if (raw.StartsWith('!'))
            {
                s.terms.Add(l => Get(l, raw[1..]) is null);
            }
            else
            {
                s.terms.Add(l => Get(l, raw) is not null);
            }
        }

        return s;
    }

    public bool Matches(JsonObject obj)
    {
        var labels = obj["metadata"]?["labels"] as JsonObject;
        return terms.All(t => t(labels));
    }

    private static string? Get(JsonObject? labels, string key) => labels?[key.Trim()]?.GetValue<string>();
}
