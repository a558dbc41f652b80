using System.Buffers;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using CapiCiliumAddon.Kubernetes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CapiCiliumAddon.Controller.Tests.Fakes;

/// <summary>What <see cref="FakeKubernetesHttpServer"/> serves, and how.</summary>
public sealed record FakeKubernetesHttpServerOptions
{
    /// <summary>0 picks a free port.</summary>
    public int Port { get; init; }

    /// <summary>
    /// The resources served, each in the version its <see cref="ResourceType"/> names; a group's versions are also
    /// what its discovery document lists (the first preferred), unless the store's ServedVersions says otherwise.
    /// </summary>
    public IReadOnlyList<ResourceType> Resources { get; init; } = DefaultResources;

    /// <summary>How often every watch that allows bookmarks gets one (the real server sends one about every minute).</summary>
    public TimeSpan BookmarkInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Endpoints of the caller's own (e.g. a benchmark's counters), matched before the Kubernetes API.</summary>
    public Action<IEndpointRouteBuilder>? MapEndpoints { get; init; }

    /// <summary>What the add-on reads and writes: core ConfigMaps, Secrets and Namespaces, Events, Leases, and the Cluster API types in v1beta2 and v1beta1.</summary>
    public static IReadOnlyList<ResourceType> DefaultResources { get; } =
    [
        ResourceType.ConfigMap, ResourceType.Secret, ResourceType.Namespace, ResourceType.Event, ResourceType.Lease,
        ResourceType.Cluster, ResourceType.Cluster.WithVersion("v1beta1"),
        ResourceType.ClusterResourceSet, ResourceType.ClusterResourceSet.WithVersion("v1beta1"),
        ResourceType.ClusterResourceSetBinding, ResourceType.ClusterResourceSetBinding.WithVersion("v1beta1"),
    ];
}

/// <summary>
/// A <see cref="FakeKubernetesClient"/> served over HTTP on 127.0.0.1 as the slice of the Kubernetes REST API the
/// add-on uses, so the real <see cref="KubernetesClient"/> (in this process or another) talks to it through real
/// sockets and JSON. Every request becomes one call of the store, which keeps all the semantics (resourceVersions,
/// label selectors, watch history and 410s, server-side apply ownership, preconditions, injected faults); this class
/// only translates: discovery (/api, /apis/GROUP), GET, list (labelSelector, limit, continue), watch (JSON lines,
/// bookmarks when allowed, resume from resourceVersion, an in-stream ERROR event for 410 Expired, the stream ends at
/// timeoutSeconds), POST, PUT, PATCH with application/apply-patch+yaml (fieldManager, force), DELETE with
/// preconditions. Failures are metav1.Status answers shaped like the real server's (tests/fixtures/kube-api); a
/// connection failure injected into the store drops the connection. Not served: other patch types (415), field
/// selectors (400), subresources and unknown resources (404), conversion between versions (objects keep the
/// apiVersion they were written with), and the real server's initial ADDED events of a watch started without a
/// resourceVersion (the store starts such a watch at its current version).
/// </summary>
public sealed class FakeKubernetesHttpServer : IAsyncDisposable
{
    private const string ApplyPatchContentType = "application/apply-patch+yaml";

    private readonly WebApplication app;
    private readonly CancellationTokenSource stopping = new();
    private readonly Task bookmarks;
    private readonly IReadOnlyList<ResourceType> resources;

    private FakeKubernetesHttpServer(WebApplication app, FakeKubernetesClient store, FakeKubernetesHttpServerOptions options)
    {
        this.app = app;
        Store = store;
        resources = options.Resources;
        bookmarks = SendBookmarksAsync(options.BookmarkInterval, stopping.Token);
    }

    /// <summary>The server's base URL, with a trailing slash.</summary>
    public Uri Url { get; private set; } = null!;

    public FakeKubernetesClient Store { get; }

    public static async Task<FakeKubernetesHttpServer> StartAsync(FakeKubernetesClient store, FakeKubernetesHttpServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        options ??= new FakeKubernetesHttpServerOptions();
        foreach (var group in options.Resources.GroupBy(r => r.Group))
        {
            store.ServedVersions.TryAdd(group.Key, [.. group.Select(r => r.Version).Distinct()]);
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, options.Port));
        var app = builder.Build();
        var server = new FakeKubernetesHttpServer(app, store, options);
        options.MapEndpoints?.Invoke(app);
        // Not MapFallback's default pattern: it skips paths whose last segment has a dot, as /apis/cluster.x-k8s.io has.
        app.MapFallback("{**path}", (RequestDelegate)server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Url = new Uri(address.TrimEnd('/') + "/");
        return server;
    }

    /// <summary>Writes a kubeconfig for this server; see <see cref="WriteKubeconfig(Uri, string)"/>.</summary>
    public string WriteKubeconfig(string path) => WriteKubeconfig(Url, path);

    /// <summary>
    /// Writes a kubeconfig whose current context points at <paramref name="server"/> and returns its path. Its user
    /// has a bearer token because the library's loader refuses a user without a credential; the server ignores it.
    /// </summary>
    public static string WriteKubeconfig(Uri server, string path)
    {
        ArgumentNullException.ThrowIfNull(server);
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            current-context: fake
            clusters:
            - name: fake
              cluster:
                server: {server.ToString().TrimEnd('/')}
            contexts:
            - name: fake
              context:
                cluster: fake
                user: fake
            users:
            - name: fake
              user:
                token: fake

            """.ReplaceLineEndings("\n"));
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        await bookmarks;
        await app.StopAsync();
        await app.DisposeAsync();
        stopping.Dispose();
    }

    private async Task SendBookmarksAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                Store.SendBookmarks();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    // ---- requests ----

    private sealed record Route(ResourceType Type, string? Namespace, string? Name)
    {
        /// <summary>details of a Status about this object, as the real server gives them (kind is the plural).</summary>
        public JsonObject Details()
        {
            var details = new JsonObject();
            if (Name is not null)
            {
                details["name"] = Name;
                details["group"] = Type.Group;
                details["kind"] = Type.Plural;
            }

            return details;
        }

        public string Describe(string name) => Type.Group.Length == 0 ? $"{Type.Plural} \"{name}\"" : $"{Type.Plural}.{Type.Group} \"{name}\"";
    }

    private async Task HandleAsync(HttpContext context)
    {
        var segments = (context.Request.Path.Value ?? "").Trim('/').Split('/');
        var cancellationToken = context.RequestAborted;
        Route? route = null;
        try
        {
            switch (segments)
            {
                case ["api"]:
                    await WriteAsync(context, StatusCodes.Status200OK, CoreDiscovery(await Store.GetServedVersionsAsync("", cancellationToken)));
                    return;
                case ["apis", var group]:
                    var versions = await Store.GetServedVersionsAsync(group, cancellationToken);
                    await (versions.Count == 0 ? WriteNotFoundAsync(context) : WriteAsync(context, StatusCodes.Status200OK, GroupDiscovery(group, versions)));
                    return;
            }

            route = Resolve(segments);
            if (route is null)
            {
                await WriteNotFoundAsync(context);
                return;
            }

            var method = context.Request.Method;
            if (route.Name is null && method == HttpMethods.Get)
            {
                await (IsWatch(context.Request.Query) ? WatchAsync(context, route) : ListAsync(context, route));
            }
            else if (route.Name is not null && method == HttpMethods.Get)
            {
                await WriteAsync(context, StatusCodes.Status200OK, await Store.GetAsync(route.Type, route.Namespace, route.Name, cancellationToken));
            }
            else if (route.Name is null && method == HttpMethods.Post && (route.Namespace is not null || !route.Type.Namespaced))
            {
                var obj = await ReadObjectAsync(context, route);
                if (string.IsNullOrEmpty(FakeKubernetesClient.Name(obj)))
                {
                    throw new KubernetesInvalidException("Invalid", $"{route.Type.Kind} \"\" is invalid: metadata.name: Required value: name or generateName is required", [new StatusCause("FieldValueRequired", "metadata.name", "Required value: name or generateName is required")]);
                }

                route = route with { Name = FakeKubernetesClient.Name(obj) };
                await WriteAsync(context, StatusCodes.Status201Created, await Store.CreateAsync(route.Type, obj, cancellationToken));
            }
            else if (route.Name is not null && method == HttpMethods.Put)
            {
                await WriteAsync(context, StatusCodes.Status200OK, await Store.ReplaceAsync(route.Type, await ReadObjectAsync(context, route), cancellationToken));
            }
            else if (route.Name is not null && method == HttpMethods.Patch)
            {
                await ApplyAsync(context, route);
            }
            else if (route.Name is not null && method == HttpMethods.Delete)
            {
                await DeleteAsync(context, route);
            }
            else
            {
                await WriteStatusAsync(context, StatusCodes.Status405MethodNotAllowed, "MethodNotAllowed", $"the server does not allow this method on the requested resource", []);
            }
        }
        catch (KubernetesApiException e) when (!context.Response.HasStarted)
        {
            await WriteStatusAsync(context, e, route);
        }
        catch (KubernetesConnectionException)
        {
            context.Abort();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>/api/v1/[namespaces/NS/]PLURAL[/NAME] and /apis/GROUP/VERSION/[namespaces/NS/]PLURAL[/NAME]; null for anything else.</summary>
    private Route? Resolve(string[] segments)
    {
        string group, version;
        string[] rest;
        switch (segments)
        {
            case ["api", var coreVersion, .. var coreRest]:
                (group, version, rest) = ("", coreVersion, coreRest);
                break;
            case ["apis", var apiGroup, var groupVersion, .. var groupRest]:
                (group, version, rest) = (apiGroup, groupVersion, groupRest);
                break;
            default:
                return null;
        }

        string? @namespace = null;
        string? name = null;
        string plural;
        switch (rest)
        {
            case ["namespaces", var ns, var namespacedPlural, .. var named] when named.Length <= 1:
                (@namespace, plural, name) = (ns, namespacedPlural, named.FirstOrDefault());
                break;
            case [var clusterPlural, .. var named] when named.Length <= 1:
                (plural, name) = (clusterPlural, named.FirstOrDefault());
                break;
            default:
                return null;
        }

        var type = resources.FirstOrDefault(r => r.Group == group && r.Version == version && r.Plural == plural);
        return type is null
            // A namespaced resource's name is never the only thing after its plural, unless listed across namespaces.
            || (type.Namespaced && @namespace is null && name is not null)
            || (!type.Namespaced && @namespace is not null)
            ? null
            : new Route(type, @namespace, name);
    }

    private async Task ListAsync(HttpContext context, Route route)
    {
        var query = context.Request.Query;
        RejectFieldSelector(query);
        int? limit = null;
        if (query.TryGetValue("limit", out var limitText) && limitText.ToString().Length > 0)
        {
            limit = int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)
                ? parsed
                : throw new KubernetesBadRequestException("BadRequest", $"invalid limit \"{limitText}\"", []);
        }

        var options = new ListOptions(LabelSelector: NonEmpty(query["labelSelector"]), Limit: limit, Continue: NonEmpty(query["continue"]));
        var list = await Store.ListAsync(route.Type, route.Namespace, options, context.RequestAborted);
        var metadata = new JsonObject { ["resourceVersion"] = list.ResourceVersion };
        if (list.Continue is not null)
        {
            metadata["continue"] = list.Continue;
        }

        var builtIn = IsBuiltIn(route.Type);
        var items = new JsonArray();
        foreach (var item in list.Items)
        {
            if (builtIn)
            {
                // Lists of Kubernetes' own types carry no apiVersion and kind on their items; custom resources' do.
                item.Remove("apiVersion");
                item.Remove("kind");
            }

            items.Add(item);
        }

        await WriteAsync(context, StatusCodes.Status200OK, new JsonObject
        {
            ["apiVersion"] = route.Type.ApiVersion,
            ["items"] = items,
            ["kind"] = route.Type.Kind + "List",
            ["metadata"] = metadata,
        });
    }

    private async Task WatchAsync(HttpContext context, Route route)
    {
        var query = context.Request.Query;
        RejectFieldSelector(query);
        int? timeoutSeconds = int.TryParse(query["timeoutSeconds"], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) ? seconds : null;
        var options = new WatchOptions(
            LabelSelector: NonEmpty(query["labelSelector"]),
            ResourceVersion: NonEmpty(query["resourceVersion"]),
            AllowBookmarks: query["allowWatchBookmarks"] is var allow && (allow == "true" || allow == "1"),
            TimeoutSeconds: timeoutSeconds);

        // Like the real server: 200 and the headers at once, then one JSON event per line; a failure is an ERROR event.
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        await context.Response.StartAsync(context.RequestAborted);
        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
        using var until = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        if (timeoutSeconds is { } timeout)
        {
            until.CancelAfter(TimeSpan.FromSeconds(timeout));
        }

        try
        {
            await foreach (var ev in Store.WatchAsync(route.Type, route.Namespace, options, until.Token))
            {
                await WriteLineAsync(context, new JsonObject { ["type"] = ev.Type.ToString().ToUpperInvariant(), ["object"] = ev.Object }, until.Token);
            }
        }
        catch (OperationCanceledException) when (until.IsCancellationRequested)
        {
            // timeoutSeconds passed (the stream ends cleanly, as the real server ends it) or the client went away.
        }
        catch (KubernetesApiException e)
        {
            await WriteLineAsync(context, new JsonObject { ["type"] = "ERROR", ["object"] = Status(e, route) }, context.RequestAborted);
        }
    }

    private async Task ApplyAsync(HttpContext context, Route route)
    {
        var contentType = context.Request.ContentType ?? "";
        if (!contentType.StartsWith(ApplyPatchContentType, StringComparison.OrdinalIgnoreCase))
        {
            await WriteStatusAsync(context, StatusCodes.Status415UnsupportedMediaType, "UnsupportedMediaType",
                $"the body of the request was in an unknown format - accepted media types include: {ApplyPatchContentType} (this test server serves server-side apply only)", []);
            return;
        }

        var query = context.Request.Query;
        if (NonEmpty(query["fieldManager"]) is not { } fieldManager)
        {
            throw new KubernetesBadRequestException("BadRequest", "PATCH requests with apply content type require fieldManager", []);
        }

        var force = query["force"] == "true";
        var obj = await ReadObjectAsync(context, route);
        var created = !Store.Contains(route.Type, route.Namespace, route.Name!);
        var applied = await Store.ApplyAsync(route.Type, obj, new ApplyOptions(fieldManager, force), context.RequestAborted);
        await WriteAsync(context, created ? StatusCodes.Status201Created : StatusCodes.Status200OK, applied);
    }

    private async Task DeleteAsync(HttpContext context, Route route)
    {
        string? uid = null;
        string? resourceVersion = null;
        var propagation = "Background";
        if (context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true && await ReadJsonAsync(context, "DeleteOptions") is { } body)
        {
            uid = body["preconditions"]?["uid"]?.GetValue<string>();
            resourceVersion = body["preconditions"]?["resourceVersion"]?.GetValue<string>();
            propagation = body["propagationPolicy"]?.GetValue<string>() ?? propagation;
        }

        var options = new DeleteOptions(uid, resourceVersion, propagation);
        if (!await Store.DeleteAsync(route.Type, route.Namespace, route.Name!, options, context.RequestAborted))
        {
            throw new KubernetesNotFoundException("NotFound", $"{route.Describe(route.Name!)} not found", []);
        }

        var details = route.Details();
        await WriteAsync(context, StatusCodes.Status200OK, new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Success",
            ["details"] = details,
        });
    }

    /// <summary>The request's object, placed where the URL says (namespace, name); a mismatch is a 400 as on the real server.</summary>
    private static async Task<JsonObject> ReadObjectAsync(HttpContext context, Route route)
    {
        var obj = await ReadJsonAsync(context, route.Type.Kind) as JsonObject
            ?? throw new KubernetesBadRequestException("BadRequest", $"the object provided is unrecognized (must be of type {route.Type.Kind}): not a JSON object", []);
        var metadata = obj["metadata"] as JsonObject ?? [];
        obj["metadata"] = metadata;
        if (route.Namespace is not null)
        {
            if (FakeKubernetesClient.Ns(obj) is { Length: > 0 } ns && ns != route.Namespace)
            {
                throw new KubernetesBadRequestException("BadRequest", "the namespace of the provided object does not match the namespace sent on the request", []);
            }

            metadata["namespace"] = route.Namespace;
        }

        if (route.Name is not null)
        {
            if (FakeKubernetesClient.Name(obj) is { Length: > 0 } name && name != route.Name)
            {
                throw new KubernetesBadRequestException("BadRequest", $"the name of the object ({name}) does not match the name on the URL ({route.Name})", []);
            }

            metadata["name"] = route.Name;
        }

        return obj;
    }

    private static async Task<JsonNode?> ReadJsonAsync(HttpContext context, string kind)
    {
        try
        {
            return await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        }
        catch (JsonException e)
        {
            throw new KubernetesBadRequestException("BadRequest", $"the object provided is unrecognized (must be of type {kind}): couldn't get version/kind; json parse error: {e.Message}", []);
        }
    }

    // ---- answers ----

    private static JsonObject CoreDiscovery(IReadOnlyList<string> versions) => new()
    {
        ["kind"] = "APIVersions",
        ["versions"] = new JsonArray([.. versions.Select(v => (JsonNode?)v)]),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = "127.0.0.1" }),
    };

    private static JsonObject GroupDiscovery(string group, IReadOnlyList<string> versions) => new()
    {
        ["kind"] = "APIGroup",
        ["apiVersion"] = "v1",
        ["name"] = group,
        ["versions"] = new JsonArray([.. versions.Select(v => (JsonNode?)new JsonObject { ["groupVersion"] = $"{group}/{v}", ["version"] = v })]),
        ["preferredVersion"] = new JsonObject { ["groupVersion"] = $"{group}/{versions[0]}", ["version"] = versions[0] },
    };

    private static Task WriteNotFoundAsync(HttpContext context) =>
        WriteStatusAsync(context, StatusCodes.Status404NotFound, "NotFound", "the server could not find the requested resource", []);

    private static Task WriteStatusAsync(HttpContext context, int code, string reason, string message, IReadOnlyList<StatusCause> causes) =>
        WriteAsync(context, code, Status(code, reason, message, causes, new JsonObject()));

    private static Task WriteStatusAsync(HttpContext context, KubernetesApiException e, Route? route)
    {
        if (e is KubernetesTooManyRequestsException { RetryAfter: { } retryAfter })
        {
            context.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        return WriteAsync(context, (int)e.StatusCode, Status(e, route));
    }

    private static JsonObject Status(KubernetesApiException e, Route? route)
    {
        // The real server names the object in details, except for an apply conflict, whose causes name the fields.
        var details = e.Causes.Count == 0 ? route?.Details() ?? [] : [];
        if (e is KubernetesTooManyRequestsException { RetryAfter: { } retryAfter })
        {
            details["retryAfterSeconds"] = (int)Math.Ceiling(retryAfter.TotalSeconds);
        }

        return Status((int)e.StatusCode, e.Reason, e.Message, e.Causes, details);
    }

    private static JsonObject Status(int code, string reason, string message, IReadOnlyList<StatusCause> causes, JsonObject details)
    {
        if (causes.Count > 0)
        {
            details["causes"] = new JsonArray([.. causes.Select(c => (JsonNode?)new JsonObject { ["reason"] = c.Type, ["message"] = c.Message, ["field"] = c.Field })]);
        }

        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = message,
            ["reason"] = reason,
        };
        if (details.Count > 0)
        {
            status["details"] = details;
        }

        status["code"] = code;
        return status;
    }

    private static async Task WriteAsync(HttpContext context, int status, JsonNode body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        using (var writer = new Utf8JsonWriter(context.Response.BodyWriter))
        {
            body.WriteTo(writer);
        }

        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    private static async Task WriteLineAsync(HttpContext context, JsonObject line, CancellationToken cancellationToken)
    {
        using (var writer = new Utf8JsonWriter(context.Response.BodyWriter))
        {
            line.WriteTo(writer);
        }

        context.Response.BodyWriter.Write("\n"u8);
        await context.Response.BodyWriter.FlushAsync(cancellationToken);
    }

    private static bool IsWatch(IQueryCollection query) => query["watch"] is var watch && (watch == "true" || watch == "1");

    private static void RejectFieldSelector(IQueryCollection query)
    {
        if (NonEmpty(query["fieldSelector"]) is { } selector)
        {
            throw new KubernetesBadRequestException("BadRequest", $"fieldSelector \"{selector}\": field selectors are not served by this test server", []);
        }
    }

    private static string? NonEmpty(Microsoft.Extensions.Primitives.StringValues value) => value.ToString() is { Length: > 0 } text ? text : null;

    /// <summary>Kubernetes' own API groups: the core group, groups without a dot, and *.k8s.io (custom resources' groups have a dot and cannot end so).</summary>
    private static bool IsBuiltIn(ResourceType type) => !type.Group.Contains('.', StringComparison.Ordinal) || type.Group.EndsWith(".k8s.io", StringComparison.Ordinal);
}
