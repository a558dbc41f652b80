using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Polly;
using Polly.Retry;

namespace CapiCiliumAddon.Kubernetes;

/// <summary>
/// <see cref="IKubernetesClient"/> over HttpClient and System.Text.Json. Idempotent requests (GET, LIST, PUT, apply,
/// DELETE) are retried on 429 (honouring Retry-After), 5xx and transport failures; POST is never retried.
/// </summary>
public sealed class KubernetesClient : IKubernetesClient, IDisposable
{
    private static readonly MediaTypeHeaderValue JsonMediaType = new("application/json");
    private static readonly MediaTypeHeaderValue ApplyPatchMediaType = new("application/apply-patch+yaml");

    private readonly HttpClient http;
    private readonly Uri server;
    private readonly string basePath;
    private readonly KubernetesClientOptions options;
    private readonly ResiliencePipeline idempotent;
    private readonly ResiliencePipeline once = ResiliencePipeline.Empty;

    public KubernetesClient(KubernetesClientConfiguration configuration, KubernetesClientOptions? options = null)
        : this(configuration.Server, configuration.CreateHandler(), options)
    {
        DefaultNamespace = configuration.Namespace;
    }

    /// <summary>For tests and custom transports: <paramref name="handler"/> is owned (disposed) by the client.</summary>
    public KubernetesClient(Uri server, HttpMessageHandler handler, KubernetesClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(handler);
        this.server = server;
        this.options = options ?? new KubernetesClientOptions();
        basePath = server.AbsolutePath.TrimEnd('/');
        http = new HttpClient(handler, disposeHandler: true)
        {
            BaseAddress = new Uri(server.GetLeftPart(UriPartial.Authority)),
            Timeout = Timeout.InfiniteTimeSpan,
        };
        http.DefaultRequestHeaders.UserAgent.TryParseAdd(this.options.UserAgent);
        http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        idempotent = BuildRetryPipeline(this.options);
    }

    public Uri Server => server;

    /// <summary>The namespace of the kubeconfig context or the pod's service account, when known.</summary>
    public string? DefaultNamespace { get; }

    public void Dispose() => http.Dispose();

    // ---- discovery ----

    public async Task<IReadOnlyList<string>> GetServedVersionsAsync(string group, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(group);
        JsonObject doc;
        try
        {
            doc = await SendJsonAsync(HttpMethod.Get, group.Length == 0 ? "/api" : "/apis/" + Escape(group), null, null, idempotent, cancellationToken).ConfigureAwait(false);
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
                if (v?.GetValue<string>() is { } s)
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
                $"the API group \"{wanted.Group}\" is not served by {server} (are the CRDs for {wanted.Plural}.{wanted.Group} installed?)",
                []);
        }

        return wanted.WithVersion(versions[0]);
    }

    // ---- reads ----

    public Task<JsonObject> GetAsync(ResourceType type, string? @namespace, string name, CancellationToken cancellationToken) =>
        SendJsonAsync(HttpMethod.Get, ResourcePath(type, @namespace, name), null, null, idempotent, cancellationToken);

    public async Task<ObjectList> ListAsync(ResourceType type, string? @namespace, ListOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var query = new QueryBuilder()
            .Add("labelSelector", options.LabelSelector)
            .Add("fieldSelector", options.FieldSelector)
            .Add("limit", options.Limit?.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Add("continue", options.Continue);
        var doc = await SendJsonAsync(HttpMethod.Get, CollectionPath(type, @namespace) + query, null, null, idempotent, cancellationToken).ConfigureAwait(false);
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

    public async IAsyncEnumerable<WatchEvent> WatchAsync(
        ResourceType type,
        string? @namespace,
        WatchOptions options,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var query = new QueryBuilder()
            .Add("labelSelector", options.LabelSelector)
            .Add("watch", "1")
            .Add("allowWatchBookmarks", options.AllowBookmarks ? "true" : null)
            .Add("resourceVersion", options.ResourceVersion)
            .Add("timeoutSeconds", options.TimeoutSeconds?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var path = CollectionPath(type, @namespace) + query;

        using var response = await SendAsync(HttpMethod.Get, path, null, null, idempotent, streaming: true, cancellationToken).ConfigureAwait(false);
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using var _ = stream.ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (true)
        {
            string? line;
            try
            {
                line = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException)
            {
                throw new KubernetesConnectionException(server, $"watch {RequestUri(path)} broke: {ex.Message}", ex);
            }

            if (line is null)
            {
                yield break;
            }

            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            yield return ParseWatchEvent(line);
        }
    }

    /// <summary>One line of a watch stream. An ERROR event is thrown as the typed exception of its Status.</summary>
    public static WatchEvent ParseWatchEvent(string line)
    {
        JsonObject doc;
        try
        {
            doc = JsonNode.Parse(line) as JsonObject ?? throw new InvalidDataException("a watch event is not a JSON object");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"malformed watch event: {ex.Message}", ex);
        }

        var typeName = doc["type"] is JsonValue t && t.TryGetValue<string>(out var s) ? s : "";
        var obj = doc["object"] as JsonObject ?? throw new InvalidDataException($"watch event {typeName} has no object");
        var type = typeName switch
        {
            "ADDED" => WatchEventType.Added,
            "MODIFIED" => WatchEventType.Modified,
            "DELETED" => WatchEventType.Deleted,
            "BOOKMARK" => WatchEventType.Bookmark,
            "ERROR" => throw KubernetesStatus.FromStatusObject(null, obj),
            _ => throw new InvalidDataException($"unknown watch event type \"{typeName}\""),
        };
        doc.Remove("object");
        return new WatchEvent(type, obj);
    }

    // ---- writes ----

    public Task<JsonObject> CreateAsync(ResourceType type, JsonObject obj, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var (ns, _) = NamespaceAndName(type, obj, requireName: false);
        return SendJsonAsync(HttpMethod.Post, CollectionPath(type, ns), obj, JsonMediaType, once, cancellationToken);
    }

    public Task<JsonObject> ReplaceAsync(ResourceType type, JsonObject obj, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var (ns, name) = NamespaceAndName(type, obj, requireName: true);
        return SendJsonAsync(HttpMethod.Put, ResourcePath(type, ns, name!), obj, JsonMediaType, idempotent, cancellationToken);
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

        var (ns, name) = NamespaceAndName(type, obj, requireName: true);
        var query = new QueryBuilder()
            .Add("fieldManager", options.FieldManager)
            .Add("force", options.Force ? "true" : null);
        return SendJsonAsync(HttpMethod.Patch, ResourcePath(type, ns, name!) + query, obj, ApplyPatchMediaType, idempotent, cancellationToken);
    }

    public async Task<bool> DeleteAsync(ResourceType type, string? @namespace, string name, DeleteOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var body = new JsonObject
        {
            ["kind"] = "DeleteOptions",
            ["apiVersion"] = "v1",
            ["propagationPolicy"] = options.PropagationPolicy,
        };
        if (options.PreconditionUid is not null || options.PreconditionResourceVersion is not null)
        {
            var preconditions = new JsonObject();
            if (options.PreconditionUid is not null)
            {
                preconditions["uid"] = options.PreconditionUid;
            }

            if (options.PreconditionResourceVersion is not null)
            {
                preconditions["resourceVersion"] = options.PreconditionResourceVersion;
            }

            body["preconditions"] = preconditions;
        }

        try
        {
            using var response = await SendAsync(HttpMethod.Delete, ResourcePath(type, @namespace, name), body, JsonMediaType, idempotent, streaming: false, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (KubernetesNotFoundException)
        {
            return false;
        }
    }

    // ---- paths ----

    /// <summary>The collection path, e.g. /apis/cluster.x-k8s.io/v1beta2/namespaces/metal3/clusters; all namespaces when <paramref name="namespace"/> is null.</summary>
    public static string CollectionPath(ResourceType type, string? @namespace)
    {
        ArgumentNullException.ThrowIfNull(type);
        var root = type.Group.Length == 0 ? "/api/" + Escape(type.Version) : $"/apis/{Escape(type.Group)}/{Escape(type.Version)}";
        if (!type.Namespaced)
        {
            if (!string.IsNullOrEmpty(@namespace))
            {
                throw new ArgumentException($"{type.Plural} are cluster-scoped; no namespace may be given (got \"{@namespace}\")", nameof(@namespace));
            }

            return $"{root}/{Escape(type.Plural)}";
        }

        return string.IsNullOrEmpty(@namespace)
            ? $"{root}/{Escape(type.Plural)}"
            : $"{root}/namespaces/{Escape(@namespace)}/{Escape(type.Plural)}";
    }

    public static string ResourcePath(ResourceType type, string? @namespace, string name)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (type.Namespaced && string.IsNullOrEmpty(@namespace))
        {
            throw new ArgumentException($"{type.Plural} are namespaced; a namespace is required for \"{name}\"", nameof(@namespace));
        }

        return CollectionPath(type, @namespace) + "/" + Escape(name);
    }

    private static (string? Namespace, string? Name) NamespaceAndName(ResourceType type, JsonObject obj, bool requireName)
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

        return (type.Namespaced ? ns : null, name);
    }

    private static string Escape(string segment) => Uri.EscapeDataString(segment);

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

    // ---- transport ----

    private async Task<JsonObject> SendJsonAsync(HttpMethod method, string path, JsonObject? body, MediaTypeHeaderValue? contentType, ResiliencePipeline pipeline, CancellationToken cancellationToken)
    {
        return await pipeline.ExecuteAsync(
            async ct =>
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(options.RequestTimeout);
                try
                {
                    using var response = await SendOnceAsync(method, path, body, contentType, streaming: false, timeout.Token).ConfigureAwait(false);
                    var stream = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
                    await using var _ = stream.ConfigureAwait(false);
                    var node = await JsonNode.ParseAsync(stream, cancellationToken: timeout.Token).ConfigureAwait(false);
                    return node as JsonObject ?? throw new InvalidDataException($"{method} {path}: the answer is not a JSON object");
                }
                catch (OperationCanceledException ex) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
                {
                    throw TimedOut(method, path, ex);
                }
                catch (Exception ex) when (ex is IOException or HttpRequestException)
                {
                    throw Unreachable(method, path, ex);
                }
                catch (JsonException ex)
                {
                    throw new InvalidDataException($"{method} {RequestUri(path)}: the answer is not JSON: {ex.Message}", ex);
                }
            },
            cancellationToken).ConfigureAwait(false);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, JsonObject? body, MediaTypeHeaderValue? contentType, ResiliencePipeline pipeline, bool streaming, CancellationToken cancellationToken)
    {
        return await pipeline.ExecuteAsync(
            async ct =>
            {
                // For a watch the timeout covers only the wait for headers; the body runs until the server closes it.
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(options.RequestTimeout);
                try
                {
                    return await SendOnceAsync(method, path, body, contentType, streaming, timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException ex) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
                {
                    throw TimedOut(method, path, ex);
                }
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One HTTP exchange; a non-2xx answer is read and thrown as its typed exception.</summary>
    private async Task<HttpResponseMessage> SendOnceAsync(HttpMethod method, string path, JsonObject? body, MediaTypeHeaderValue? contentType, bool streaming, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, basePath + path);
        if (body is not null)
        {
            var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body));
            content.Headers.ContentType = contentType ?? JsonMediaType;
            request.Content = content;
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, streaming ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw Unreachable(method, path, ex);
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            string text;
            try
            {
                text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException)
            {
                text = "";
            }

            var retryAfter = response.Headers.RetryAfter switch
            {
                { Delta: { } delta } => delta,
                { Date: { } date } => date - options.TimeProvider.GetUtcNow() is var d && d > TimeSpan.Zero ? d : TimeSpan.Zero,
                _ => (TimeSpan?)null,
            };
            throw KubernetesStatus.ToException(response.StatusCode, text, retryAfter);
        }
    }

    private KubernetesConnectionException Unreachable(HttpMethod method, string path, Exception ex)
    {
        if (ex is KubernetesConnectionException known)
        {
            return known;
        }

        var tls = ex is AuthenticationException || ex.InnerException is AuthenticationException;
        var detail = ex.InnerException is { } inner && !ex.Message.Contains(inner.Message, StringComparison.Ordinal)
            ? $"{ex.Message} ({inner.Message})"
            : ex.Message;
        var what = tls ? "TLS handshake with the Kubernetes API server" : "Kubernetes API server";
        return new KubernetesConnectionException(server, $"{method} {RequestUri(path)} failed: cannot reach the {what} at {server}: {detail}", ex, isTransient: !tls);
    }

    private KubernetesConnectionException TimedOut(HttpMethod method, string path, Exception ex) =>
        new(server, $"{method} {RequestUri(path)} timed out after {options.RequestTimeout.TotalSeconds:0.#}s waiting for the Kubernetes API server at {server}", ex);

    private Uri RequestUri(string path) => new(http.BaseAddress!, basePath + path);

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

    private sealed class QueryBuilder
    {
        private readonly StringBuilder query = new();

        public QueryBuilder Add(string name, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                query.Append(query.Length == 0 ? '?' : '&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
            }

            return this;
        }

        public override string ToString() => query.ToString();

        public static implicit operator string(QueryBuilder builder) => builder.ToString();
    }
}
