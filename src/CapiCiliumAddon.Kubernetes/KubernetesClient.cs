using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Polly;
using Polly.Retry;
using LibraryWatchEventType = k8s.WatchEventType;

namespace CapiCiliumAddon.Kubernetes;

/// <summary>
/// <see cref="IKubernetesClient"/> on KubernetesClient, the official C# client: its configuration and transport
/// (kubeconfig contexts, exec credential plugins, client certificates, the in-cluster service account with token
/// refresh, TLS, with the server's certificate checked by <see cref="ServerCertificateValidator"/>), its custom-object API for every resource (it maps the core group "" to /api/v1), its apply patch and
/// its watch. This layer adds what the add-on relies on: objects as <see cref="JsonObject"/>, the library's HTTP
/// failures as the typed <see cref="KubernetesApiException"/>s and <see cref="KubernetesConnectionException"/>,
/// retries of idempotent requests (GET, LIST, PUT, apply, DELETE) on 429 (honouring Retry-After), 5xx and transport
/// failures, and in-stream watch errors thrown rather than passed to a callback. POST is never retried.
/// </summary>
public sealed class KubernetesClient : IKubernetesClient, IDisposable
{
    private readonly LibraryClient api;
    private readonly KubernetesClientOptions options;
    private readonly ResiliencePipeline idempotent;
    private readonly ResiliencePipeline once = ResiliencePipeline.Empty;

    /// <param name="configuration">From <see cref="KubernetesConfiguration.Load"/>, or built by hand (tests).</param>
    public KubernetesClient(KubernetesClientConfiguration configuration, KubernetesClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        this.options = options ?? new KubernetesClientOptions();

        // Watches are exempt from this timeout in the library; they are bounded by their timeoutSeconds instead.
        api = new LibraryClient(configuration) { HttpClientTimeout = this.options.RequestTimeout };
        api.HttpClient.DefaultRequestHeaders.Remove("User-Agent");
        api.HttpClient.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", this.options.UserAgent);
        Server = api.BaseUri;
        idempotent = BuildRetryPipeline(this.options);
    }

    public Uri Server { get; }

    public void Dispose() => api.Dispose();

    // ---- discovery ----

    public async Task<IReadOnlyList<string>> GetServedVersionsAsync(string group, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(group);
        var what = group.Length == 0 ? "discovery of the core API" : $"discovery of API group {group}";
        JsonObject doc;
        try
        {
            doc = await CallAsync(what, idempotent, ct => api.GetDiscoveryDocumentAsync(group.Length == 0 ? "api" : "apis/" + Segment(group, "group"), ct), cancellationToken)
                .ConfigureAwait(false);
        }
        catch (KubernetesNotFoundException)
        {
            return [];
        }

        var result = new List<string>();
        if (group.Length == 0)
        {
            foreach (var v in doc["versions"] as JsonArray ?? [])
            {
                if (v is JsonValue value && value.TryGetValue<string>(out var s))
                {
                    result.Add(s);
                }
            }

            return result;
        }

        if (doc["preferredVersion"]?["version"] is JsonValue preferred && preferred.TryGetValue<string>(out var p))
        {
            result.Add(p);
        }

        foreach (var item in doc["versions"] as JsonArray ?? [])
        {
            if (item?["version"] is JsonValue value && value.TryGetValue<string>(out var version) && !result.Contains(version))
            {
                result.Add(version);
            }
        }

        return result;
    }

    /// <summary>
    /// <paramref name="wanted"/> when the server serves its version; else the same resource in the group's preferred
    /// version (e.g. cluster.x-k8s.io v1beta1 on a Cluster API older than 1.11).
    /// </summary>
    /// <exception cref="KubernetesNotFoundException">The group is not served at all (CRDs not installed).</exception>
    public async Task<ResourceType> ResolveAsync(ResourceType wanted, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(wanted);
        var versions = await GetServedVersionsAsync(wanted.Group, cancellationToken).ConfigureAwait(false);
        if (versions.Contains(wanted.Version))
        {
            return wanted;
        }

        if (versions.Count == 0)
        {
            throw new KubernetesNotFoundException(
                "NotFound",
                $"the API group \"{wanted.Group}\" is not served by {Server} (are the CRDs for {wanted.Plural}.{wanted.Group} installed?)",
                []);
        }

        return wanted.WithVersion(versions[0]);
    }

    // ---- reads ----

    public Task<JsonObject> GetAsync(ResourceType type, string? @namespace, string name, CancellationToken cancellationToken)
    {
        var at = Address.Of(type, @namespace, name);
        return CallAsync($"get {at}", idempotent, ct => Body(at.Namespace is { } ns
            ? api.CustomObjects.GetNamespacedCustomObjectWithHttpMessagesAsync<JsonObject>(type.Group, type.Version, ns, type.Plural, at.Name!, cancellationToken: ct)
            : api.CustomObjects.GetClusterCustomObjectWithHttpMessagesAsync<JsonObject>(type.Group, type.Version, type.Plural, at.Name!, cancellationToken: ct)), cancellationToken);
    }

    public async Task<ObjectList> ListAsync(ResourceType type, string? @namespace, ListOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var at = Address.Of(type, @namespace, name: null);
        var doc = await CallAsync($"list {at}", idempotent, ct => Body(at.Namespace is { } ns
            ? api.CustomObjects.ListNamespacedCustomObjectWithHttpMessagesAsync<JsonObject>(
                type.Group, type.Version, ns, type.Plural, continueParameter: options.Continue, fieldSelector: options.FieldSelector,
                labelSelector: options.LabelSelector, limit: options.Limit, cancellationToken: ct)
            : api.CustomObjects.ListClusterCustomObjectWithHttpMessagesAsync<JsonObject>(
                type.Group, type.Version, type.Plural, continueParameter: options.Continue, fieldSelector: options.FieldSelector,
                labelSelector: options.LabelSelector, limit: options.Limit, cancellationToken: ct)), cancellationToken).ConfigureAwait(false);
        return ParseList(type, doc);
    }

    public async Task<ObjectList> ListAllAsync(ResourceType type, string? @namespace, ListOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var restarted = false;
        var pageOptions = options with { Limit = options.Limit ?? this.options.ListAllPageSize };
        while (true)
        {
            var items = new List<JsonObject>();
            string? next = options.Continue;
            try
            {
                while (true)
                {
                    var page = await ListAsync(type, @namespace, pageOptions with { Continue = next }, cancellationToken).ConfigureAwait(false);
                    items.AddRange(page.Items);
                    if (string.IsNullOrEmpty(page.Continue))
                    {
                        return new ObjectList(items, page.ResourceVersion, null);
                    }

                    next = page.Continue;
                }
            }
            catch (KubernetesGoneException) when (next is not null && !restarted)
            {
                // The continue token expired (etcd compacted past it): the pages so far are from a snapshot we can no
                // longer finish, so start over once from a fresh snapshot.
                restarted = true;
                options = options with { Continue = null };
            }
        }
    }

    /// <summary>
    /// The library's watch, with what it leaves to the caller done here. It hands an in-stream ERROR event (a 410
    /// Expired after compaction, above all) and a line it cannot parse to a callback and reads on: both are thrown
    /// here, typed, before any later event. Its first request waits for the first line and fails with an
    /// EndOfStreamException when the server closes the stream without one: that is an empty watch. The library puts
    /// no timeout on a watch; one that stays silent well past its timeoutSeconds is abandoned as a dead connection.
    /// </summary>
    public async IAsyncEnumerable<WatchEvent> WatchAsync(
        ResourceType type,
        string? @namespace,
        WatchOptions options,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var at = Address.Of(type, @namespace, name: null);
        var what = $"watch {at}";
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (options.TimeoutSeconds is { } seconds)
        {
            deadline.CancelAfter(TimeSpan.FromSeconds(seconds) + this.options.WatchGracePeriod);
        }

        Exception? inStream = null;
        var events = at.Namespace is { } ns
            ? api.CustomObjects.WatchListNamespacedCustomObjectAsync(
                type.Group, type.Version, ns, type.Plural, allowWatchBookmarks: options.AllowBookmarks ? true : null,
                labelSelector: options.LabelSelector, resourceVersion: options.ResourceVersion, timeoutSeconds: options.TimeoutSeconds,
                onError: e => inStream ??= e, cancellationToken: deadline.Token)
            : api.CustomObjects.WatchListClusterCustomObjectAsync(
                type.Group, type.Version, type.Plural, allowWatchBookmarks: options.AllowBookmarks ? true : null,
                labelSelector: options.LabelSelector, resourceVersion: options.ResourceVersion, timeoutSeconds: options.TimeoutSeconds,
                onError: e => inStream ??= e, cancellationToken: deadline.Token);
        var enumerator = events.GetAsyncEnumerator(deadline.Token);
        await using var _ = enumerator.ConfigureAwait(false);
        while (true)
        {
            bool more;
            try
            {
                more = await enumerator.MoveNextAsync().ConfigureAwait(false);
            }
            catch (HttpRequestException ex) when (ex.InnerException is EndOfStreamException)
            {
                yield break;
            }
            catch (OperationCanceledException ex) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new KubernetesConnectionException(Server, $"{what}: the Kubernetes API server at {Server} kept it open {this.options.WatchGracePeriod.TotalSeconds:0.#} s past its {options.TimeoutSeconds} s timeout; the connection is taken for dead", ex);
            }
            catch (Exception ex) when (Translate(what, ex, cancellationToken) is { } translated)
            {
                throw translated;
            }

            if (inStream is not null)
            {
                throw InStreamFailure(what, inStream);
            }

            if (!more)
            {
                yield break;
            }

            yield return ToWatchEvent(what, enumerator.Current.Item1, enumerator.Current.Item2);
        }
    }

    private static WatchEvent ToWatchEvent(string what, LibraryWatchEventType type, object? payload)
    {
        var obj = payload is JsonElement { ValueKind: JsonValueKind.Object } element
            ? JsonObject.Create(element)!
            : throw new InvalidDataException($"{what}: a {type} event carries no object");
        return type switch
        {
            LibraryWatchEventType.Added => new WatchEvent(WatchEventType.Added, obj),
            LibraryWatchEventType.Modified => new WatchEvent(WatchEventType.Modified, obj),
            LibraryWatchEventType.Deleted => new WatchEvent(WatchEventType.Deleted, obj),
            LibraryWatchEventType.Bookmark => new WatchEvent(WatchEventType.Bookmark, obj),
            _ => throw KubernetesStatus.FromStatusObject(null, obj),
        };
    }

    private static Exception InStreamFailure(string what, Exception failure) => failure switch
    {
        KubernetesException { Status: { } status } => KubernetesStatus.FromStatus(status),
        _ => new InvalidDataException($"{what}: malformed watch event: {failure.Message}", failure),
    };

    // ---- writes ----

    public Task<JsonObject> CreateAsync(ResourceType type, JsonObject obj, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var at = Address.Of(type, obj, requireName: false);
        return CallAsync($"create {at}", once, ct => Body(at.Namespace is { } ns
            ? api.CustomObjects.CreateNamespacedCustomObjectWithHttpMessagesAsync<JsonObject>(obj, type.Group, type.Version, ns, type.Plural, cancellationToken: ct)
            : api.CustomObjects.CreateClusterCustomObjectWithHttpMessagesAsync<JsonObject>(obj, type.Group, type.Version, type.Plural, cancellationToken: ct)), cancellationToken);
    }

    public Task<JsonObject> ReplaceAsync(ResourceType type, JsonObject obj, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var at = Address.Of(type, obj, requireName: true);
        return CallAsync($"replace {at}", idempotent, ct => Body(at.Namespace is { } ns
            ? api.CustomObjects.ReplaceNamespacedCustomObjectWithHttpMessagesAsync<JsonObject>(obj, type.Group, type.Version, ns, type.Plural, at.Name!, cancellationToken: ct)
            : api.CustomObjects.ReplaceClusterCustomObjectWithHttpMessagesAsync<JsonObject>(obj, type.Group, type.Version, type.Plural, at.Name!, cancellationToken: ct)), cancellationToken);
    }

    public Task<JsonObject> ApplyAsync(ResourceType type, JsonObject obj, ApplyOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(obj);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.FieldManager);
        if (obj["apiVersion"] is null || obj["kind"] is null)
        {
            throw new ArgumentException("server-side apply needs apiVersion and kind on the object", nameof(obj));
        }

        var at = Address.Of(type, obj, requireName: true);
        var patch = new V1Patch(obj, V1Patch.PatchType.ApplyPatch);

        // force=false is the server's default; leaving it out keeps the request line what kubectl sends.
        bool? force = options.Force ? true : null;
        return CallAsync($"apply {at}", idempotent, ct => Body(at.Namespace is { } ns
            ? api.CustomObjects.PatchNamespacedCustomObjectWithHttpMessagesAsync<JsonObject>(patch, type.Group, type.Version, ns, type.Plural, at.Name!, fieldManager: options.FieldManager, force: force, cancellationToken: ct)
            : api.CustomObjects.PatchClusterCustomObjectWithHttpMessagesAsync<JsonObject>(patch, type.Group, type.Version, type.Plural, at.Name!, fieldManager: options.FieldManager, force: force, cancellationToken: ct)), cancellationToken);
    }

    public async Task<bool> DeleteAsync(ResourceType type, string? @namespace, string name, DeleteOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var at = Address.Of(type, @namespace, name);
        var body = new V1DeleteOptions
        {
            ApiVersion = "v1",
            Kind = "DeleteOptions",
            PropagationPolicy = options.PropagationPolicy,
            Preconditions = options.PreconditionUid is null && options.PreconditionResourceVersion is null
                ? null
                : new V1Preconditions { Uid = options.PreconditionUid, ResourceVersion = options.PreconditionResourceVersion },
        };
        try
        {
            await CallAsync($"delete {at}", idempotent, ct => Body(at.Namespace is { } ns
                ? api.CustomObjects.DeleteNamespacedCustomObjectWithHttpMessagesAsync<JsonObject>(type.Group, type.Version, ns, type.Plural, at.Name!, body, cancellationToken: ct)
                : api.CustomObjects.DeleteClusterCustomObjectWithHttpMessagesAsync<JsonObject>(type.Group, type.Version, type.Plural, at.Name!, body, cancellationToken: ct)), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (KubernetesNotFoundException)
        {
            return false;
        }
    }

    // ---- the library's answers and failures ----

    private static async Task<T> Body<T>(Task<HttpOperationResponse<T>> call)
        where T : class
    {
        using var response = await call.ConfigureAwait(false);
        return response.Body ?? throw new InvalidDataException("the Kubernetes API server answered with an empty body");
    }

    private Task<T> CallAsync<T>(string what, ResiliencePipeline pipeline, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken) =>
        pipeline.ExecuteAsync(
            async ct =>
            {
                try
                {
                    return await call(ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (Translate(what, ex, ct) is { } translated)
                {
                    throw translated;
                }
            },
            cancellationToken).AsTask();

    /// <summary>The project's exception for a failure of the library's request, or null to let it pass as it is.</summary>
    private Exception? Translate(string what, Exception ex, CancellationToken cancellationToken) => ex switch
    {
        HttpOperationException { Response: { } response } => KubernetesStatus.ToException(response.StatusCode, response.Content, RetryAfter(response)),

        // The library cancels a request after its HttpClientTimeout; the caller did not.
        OperationCanceledException when !cancellationToken.IsCancellationRequested =>
            new KubernetesConnectionException(Server, $"{what} timed out after {options.RequestTimeout.TotalSeconds:0.#} s waiting for the Kubernetes API server at {Server}", ex),
        HttpRequestException or IOException => Unreachable(what, ex),
        JsonException => new InvalidDataException($"{what}: the answer of the Kubernetes API server at {Server} is not the JSON expected: {ex.Message}", ex),
        _ => null,
    };

    private KubernetesConnectionException Unreachable(string what, Exception ex)
    {
        var tls = ex is AuthenticationException || ex.InnerException is AuthenticationException;
        var detail = ex.InnerException is { } inner && !ex.Message.Contains(inner.Message, StringComparison.Ordinal)
            ? $"{ex.Message} ({inner.Message})"
            : ex.Message;
        var server = tls ? "the TLS handshake with the Kubernetes API server" : "the Kubernetes API server";
        return new KubernetesConnectionException(Server, $"{what}: cannot reach {server} at {Server}: {detail}", ex, isTransient: !tls);
    }

    private TimeSpan? RetryAfter(HttpResponseMessageWrapper response)
    {
        var header = response.Headers.FirstOrDefault(h => string.Equals(h.Key, "Retry-After", StringComparison.OrdinalIgnoreCase)).Value?.FirstOrDefault();
        return RetryConditionHeaderValue.TryParse(header, out var value)
            ? value switch
            {
                { Delta: { } delta } => delta,
                { Date: { } date } => date - options.TimeProvider.GetUtcNow() is var d && d > TimeSpan.Zero ? d : TimeSpan.Zero,
                _ => null,
            }
            : null;
    }

    private static ResiliencePipeline BuildRetryPipeline(KubernetesClientOptions options)
    {
        if (options.MaxRetryAttempts <= 0)
        {
            return ResiliencePipeline.Empty;
        }

        var builder = new ResiliencePipelineBuilder { TimeProvider = options.TimeProvider };
        builder.AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = options.MaxRetryAttempts,
            BackoffType = DelayBackoffType.Exponential,
            Delay = options.RetryBaseDelay,
            MaxDelay = options.RetryMaxDelay,
            UseJitter = options.UseJitter,
            ShouldHandle = args => new ValueTask<bool>(args.Outcome.Exception switch
            {
                KubernetesTooManyRequestsException => true,
                KubernetesServerErrorException e => e.StatusCode != HttpStatusCode.NotImplemented,
                KubernetesConnectionException e => e.IsTransient,
                _ => false,
            }),
            DelayGenerator = args => new ValueTask<TimeSpan?>(
                args.Outcome.Exception is KubernetesTooManyRequestsException { RetryAfter: { } retryAfter }
                    ? retryAfter < options.MaxRetryAfter ? retryAfter : options.MaxRetryAfter
                    : null),
            OnRetry = args =>
            {
                if (args.Outcome.Exception is { } ex)
                {
                    options.OnRetry?.Invoke(ex, args.AttemptNumber + 1, args.RetryDelay);
                }

                return default;
            },
        });
        return builder.Build();
    }

    // ---- objects ----

    private static ObjectList ParseList(ResourceType type, JsonObject doc)
    {
        var items = new List<JsonObject>();
        foreach (var node in doc["items"] as JsonArray ?? [])
        {
            if (node is JsonObject item)
            {
                // Lists of built-in types omit apiVersion/kind on items; fill them in so every object is self-describing.
                item["apiVersion"] ??= type.ApiVersion;
                item["kind"] ??= type.Kind;
                items.Add(item);
            }
        }

        var metadata = doc["metadata"] as JsonObject;
        var rv = metadata?["resourceVersion"] is JsonValue r && r.TryGetValue<string>(out var s) ? s : "";
        var cont = metadata?["continue"] is JsonValue c && c.TryGetValue<string>(out var t) && t.Length > 0 ? t : null;
        (doc["items"] as JsonArray)?.Clear(); // detach, so callers may put the items into other documents
        return new ObjectList(items, rv, cont);
    }

    /// <summary>
    /// A namespace and name checked for the URL: the library puts them into the request path unescaped, so a
    /// separator or escape in one would address another object. Namespace is null for cluster-scoped resources and
    /// for "all namespaces".
    /// </summary>
    private readonly record struct Address(ResourceType Type, string? Namespace, string? Name)
    {
        public static Address Of(ResourceType type, string? @namespace, string? name)
        {
            ArgumentNullException.ThrowIfNull(type);
            if (!type.Namespaced && !string.IsNullOrEmpty(@namespace))
            {
                throw new ArgumentException($"{type.Plural} are cluster-scoped; no namespace may be given (got \"{@namespace}\")", nameof(@namespace));
            }

            if (name is not null && type.Namespaced && string.IsNullOrEmpty(@namespace))
            {
                throw new ArgumentException($"{type.Plural} are namespaced; a namespace is required for \"{name}\"", nameof(@namespace));
            }

            return new Address(
                type,
                string.IsNullOrEmpty(@namespace) ? null : Segment(@namespace, "namespace"),
                name is null ? null : Segment(name, "name"));
        }

        public static Address Of(ResourceType type, JsonObject obj, bool requireName)
        {
            var metadata = obj["metadata"] as JsonObject;
            var name = metadata?["name"] is JsonValue n && n.TryGetValue<string>(out var s) ? s : null;
            var ns = metadata?["namespace"] is JsonValue v && v.TryGetValue<string>(out var t) ? t : null;
            if (requireName && string.IsNullOrEmpty(name))
            {
                throw new ArgumentException("the object needs metadata.name", nameof(obj));
            }

            if (type.Namespaced && string.IsNullOrEmpty(ns))
            {
                throw new ArgumentException($"{type.Plural} are namespaced; the object needs metadata.namespace", nameof(obj));
            }

            return Of(type, type.Namespaced ? ns : null, string.IsNullOrEmpty(name) ? null : name);
        }

        public override string ToString()
        {
            var resource = Type.Group.Length == 0 ? $"{Type.Plural} ({Type.Version})" : $"{Type.Plural}.{Type.Group} ({Type.Version})";
            var scope = Namespace is null ? "" : $" in {Namespace}";
            return Name is null ? resource + scope : $"{resource} {Name}{scope}";
        }
    }

    private static string Segment(string value, string what)
    {
        ArgumentException.ThrowIfNullOrEmpty(value, what);
        if (value.AsSpan().IndexOfAny("/?#%\\") >= 0 || value is "." or ".." || value.Any(char.IsWhiteSpace))
        {
            throw new ArgumentException($"the {what} \"{value}\" cannot be part of a Kubernetes API path", what);
        }

        return value;
    }

    /// <summary>
    /// The library's client, with the server certificate checked by <see cref="ServerCertificateValidator"/>, plus the
    /// GET of a discovery document (/api, /apis/GROUP), which its custom-object API cannot address; the request still
    /// goes through the library, with its credentials, TLS and error handling.
    /// </summary>
    private sealed class LibraryClient : k8s.Kubernetes
    {
        public LibraryClient(KubernetesClientConfiguration configuration)
            : this(configuration, new TransportAccess())
        {
        }

        private LibraryClient(KubernetesClientConfiguration configuration, TransportAccess transport)
            : base(configuration, transport)
        {
            // The library's own check accepts a certificate for any name once its chain ends at a kubeconfig CA. It
            // installs that check after running FirstMessageHandlerSetup, so ours is installed here, once the library
            // is done and before the first request.
            if (BaseUri.Scheme == Uri.UriSchemeHttps)
            {
                transport.Sockets.SslOptions.RemoteCertificateValidationCallback = new ServerCertificateValidator(configuration, BaseUri).Validate;
            }
        }

        public async Task<JsonObject> GetDiscoveryDocumentAsync(string relativeUri, CancellationToken cancellationToken)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(HttpClientTimeout);
            var response = await SendRequest<object?>(relativeUri, HttpMethod.Get, null, null, timeout.Token).ConfigureAwait(false);
            return await Body(CreateResultAsync<JsonObject>(response.RequestMessage!, response, false, timeout.Token)).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Passes every request on unchanged. The library puts it in front of the socket handler it builds, which is how
    /// the handler's TLS options can be reached after the library has set them.
    /// </summary>
    private sealed class TransportAccess : DelegatingHandler
    {
        public SocketsHttpHandler Sockets => InnerHandler as SocketsHttpHandler
            ?? throw new InvalidOperationException("the KubernetesClient library no longer sends through a SocketsHttpHandler");
    }
}
