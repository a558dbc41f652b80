using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using CapiCiliumAddon.Testing.KubeApi;
using k8s;
using Microsoft.AspNetCore.Http;

namespace CapiCiliumAddon.Kubernetes.Tests;

/// <summary>The client on the KubernetesClient library against an in-process Kestrel server: retries, timeouts, query strings, bodies, watch streams.</summary>
public sealed class ServerTests
{
    private const string EmptyConfigMap = """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","namespace":"ns","resourceVersion":"5"}}""";

    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    private static KubernetesClientOptions Fast(int retries = 3, Action<Exception, int, TimeSpan>? onRetry = null) => new()
    {
        MaxRetryAttempts = retries,
        RetryBaseDelay = TimeSpan.FromMilliseconds(1),
        RetryMaxDelay = TimeSpan.FromMilliseconds(50),
        UseJitter = false,
        RequestTimeout = Generous,
        OnRetry = onRetry,
    };

    private static KubernetesClient Client(FakeApiServer server, KubernetesClientOptions? options = null) => Client(server.Url, options);

    private static KubernetesClient Client(Uri server, KubernetesClientOptions? options = null) =>
        new(new KubernetesClientConfiguration { Host = server.ToString() }, options ?? Fast());

    private static CancellationToken Timeout() => new CancellationTokenSource(Generous).Token;

    private static JsonObject ConfigMap(string? resourceVersion = null)
    {
        var metadata = new JsonObject { ["name"] = "x", ["namespace"] = "ns" };
        if (resourceVersion is not null)
        {
            metadata["resourceVersion"] = resourceVersion;
        }

        return new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = metadata };
    }

    [Test]
    public async Task Retry_after_429_waits_the_servers_delay_then_succeeds()
    {
        await using var server = await FakeApiServer.StartAsync((ctx, _, n) =>
        {
            if (n == 0)
            {
                ctx.Response.Headers.RetryAfter = "1";
                return FakeApiServer.Json(ctx, 429, """{"kind":"Status","apiVersion":"v1","status":"Failure","message":"slow down","reason":"TooManyRequests","code":429}""");
            }

            return FakeApiServer.Json(ctx, 200, EmptyConfigMap);
        });
        using var client = Client(server);

        var cm = await client.GetAsync(ResourceType.ConfigMap, "ns", "x", Timeout());

        Assert.That((string?)cm["metadata"]!["name"], Is.EqualTo("x"));
        var requests = server.Requests.ToArray();
        Assert.That(requests, Has.Length.EqualTo(2));

        // Base delay is 1 ms: only Retry-After explains a wait this long (a lower bound, safe on a loaded machine).
        Assert.That(requests[1].At - requests[0].At, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(900)));
    }

    [Test]
    public async Task Server_error_then_success_is_retried()
    {
        await using var server = await FakeApiServer.StartAsync((ctx, _, n) => n == 0
            ? FakeApiServer.Json(ctx, 500, """{"kind":"Status","apiVersion":"v1","status":"Failure","message":"etcdserver: leader changed","reason":"InternalError","code":500}""")
            : FakeApiServer.Json(ctx, 200, EmptyConfigMap));
        var retries = new List<Exception>();
        using var client = Client(server, Fast(onRetry: (ex, _, _) => retries.Add(ex)));

        await client.ApplyAsync(ResourceType.ConfigMap, ConfigMap(), new ApplyOptions("m"), Timeout());

        Assert.That(server.Requests, Has.Count.EqualTo(2));
        Assert.That(retries.Single(), Is.TypeOf<KubernetesServerErrorException>().With.Message.EqualTo("etcdserver: leader changed"));
    }

    [Test]
    public async Task Retries_are_bounded_and_the_last_error_surfaces()
    {
        await using var server = await FakeApiServer.StartAsync((ctx, _, _) =>
        {
            ctx.Response.StatusCode = 503;
            return ctx.Response.WriteAsync("upstream connect error");
        });
        using var client = Client(server, Fast(retries: 2));

        var ex = Assert.ThrowsAsync<KubernetesServerErrorException>(() => client.GetAsync(ResourceType.ConfigMap, "ns", "x", Timeout()))!;

        Assert.That(ex.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(ex.Message, Is.EqualTo("upstream connect error"));
        Assert.That(server.Requests, Has.Count.EqualTo(3));
    }

    [Test]
    public async Task Post_is_not_retried()
    {
        await using var server = await FakeApiServer.StartAsync((ctx, _, _) =>
            FakeApiServer.Json(ctx, 503, """{"kind":"Status","apiVersion":"v1","status":"Failure","message":"unavailable","reason":"ServiceUnavailable","code":503}"""));
        using var client = Client(server);

        Assert.ThrowsAsync<KubernetesServerErrorException>(() => client.CreateAsync(ResourceType.ConfigMap, ConfigMap(), Timeout()));
        Assert.That(server.Requests, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Conflict_is_not_retried()
    {
        await using var server = await FakeApiServer.StartAsync((ctx, _, _) =>
            FakeApiServer.Json(ctx, 409, """{"kind":"Status","apiVersion":"v1","status":"Failure","message":"the object has been modified","reason":"Conflict","code":409}"""));
        using var client = Client(server);

        Assert.ThrowsAsync<KubernetesConflictException>(() => client.ReplaceAsync(ResourceType.ConfigMap, ConfigMap("4"), Timeout()));
        Assert.That(server.Requests, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Connection_refused_then_server_up_succeeds()
    {
        var port = FreePort();
        var url = new Uri($"http://127.0.0.1:{port}/");
        var firstFailure = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = Fast(retries: 50, onRetry: (ex, _, _) => firstFailure.TrySetResult(ex)) with { RetryBaseDelay = TimeSpan.FromMilliseconds(20), RetryMaxDelay = TimeSpan.FromMilliseconds(200) };
        using var client = Client(url, options);

        var get = client.GetAsync(ResourceType.ConfigMap, "ns", "x", Timeout());
        var failure = await firstFailure.Task.WaitAsync(Generous);
        Assert.That(failure, Is.TypeOf<KubernetesConnectionException>());
        Assert.That(failure.Message, Does.Contain(url.ToString().TrimEnd('/')));

        await using var server = await FakeApiServer.StartAsync((ctx, _, _) => FakeApiServer.Json(ctx, 200, EmptyConfigMap), port, null);
        var cm = await get.WaitAsync(Generous);
        Assert.That((string?)cm["metadata"]!["name"], Is.EqualTo("x"));
    }

    [Test]
    public void Connection_refused_gives_up_after_the_bounded_retries_naming_the_server()
    {
        var url = new Uri($"http://127.0.0.1:{FreePort()}/");
        var retries = 0;
        using var client = Client(url, Fast(retries: 2, onRetry: (_, _, _) => Interlocked.Increment(ref retries)));

        var ex = Assert.ThrowsAsync<KubernetesConnectionException>(() => client.ListAsync(ResourceType.Cluster, null, new ListOptions(), Timeout()))!;

        Assert.That(retries, Is.EqualTo(2));
        Assert.That(ex.Server, Is.EqualTo(url));
        Assert.That(ex.Message, Does.Contain($"127.0.0.1:{url.Port}"));
        Assert.That(ex.InnerException, Is.InstanceOf<HttpRequestException>());
    }

    [Test]
    public async Task List_all_follows_continue_across_three_pages()
    {
        await using var server = await FakeApiServer.StartAsync((ctx, _, _) =>
        {
            var page = ctx.Request.Query["continue"].ToString() switch
            {
                "" => """{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"10","continue":"p2"},"items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"}}]}""",
                "p2" => """{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"10","continue":"p3"},"items":[{"metadata":{"name":"c"}},{"metadata":{"name":"d"}}]}""",
                _ => """{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"11"},"items":[{"metadata":{"name":"e"}}]}""",
            };
            return FakeApiServer.Json(ctx, 200, page);
        });
        using var client = Client(server);

        var all = await client.ListAllAsync(ResourceType.ConfigMap, "ns", new ListOptions(LabelSelector: "app=x", Limit: 2), Timeout());

        Assert.That(all.Items.Select(i => (string?)i["metadata"]!["name"]), Is.EqualTo(new[] { "a", "b", "c", "d", "e" }));
        Assert.That(all.Items.All(i => (string?)i["kind"] == "ConfigMap" && (string?)i["apiVersion"] == "v1"));
        Assert.That(all.ResourceVersion, Is.EqualTo("11"));
        Assert.That(all.Continue, Is.Null);
        Assert.That(server.Requests.Select(r => r.Target), Is.EqualTo(new[]
        {
            "/api/v1/namespaces/ns/configmaps?labelSelector=app%3Dx&limit=2",
            "/api/v1/namespaces/ns/configmaps?continue=p2&labelSelector=app%3Dx&limit=2",
            "/api/v1/namespaces/ns/configmaps?continue=p3&labelSelector=app%3Dx&limit=2",
        }));
    }

    [Test]
    public async Task List_all_restarts_once_when_the_continue_token_expires()
    {
        var expired = 0;
        await using var server = await FakeApiServer.StartAsync((ctx, _, _) =>
        {
            if (ctx.Request.Query["continue"] == "old" && Interlocked.Increment(ref expired) == 1)
            {
                return FakeApiServer.Json(ctx, 410, """{"kind":"Status","apiVersion":"v1","status":"Failure","message":"The provided continue parameter is too old","reason":"Expired","code":410}""");
            }

            return ctx.Request.Query["continue"].ToString() == ""
                ? FakeApiServer.Json(ctx, 200, """{"metadata":{"resourceVersion":"20","continue":"old"},"items":[{"metadata":{"name":"a"}}]}""")
                : FakeApiServer.Json(ctx, 200, """{"metadata":{"resourceVersion":"21"},"items":[{"metadata":{"name":"b"}}]}""");
        });
        using var client = Client(server);

        var all = await client.ListAllAsync(ResourceType.ConfigMap, null, new ListOptions(), Timeout());

        Assert.That(all.Items.Select(i => (string?)i["metadata"]!["name"]), Is.EqualTo(new[] { "a", "b" }));
        Assert.That(server.Requests, Has.Count.EqualTo(4));
        Assert.That(server.Requests.First().Target, Is.EqualTo("/api/v1/configmaps?limit=500"));
    }

    [Test]
    public async Task Query_strings_are_escaped()
    {
        await using var server = await FakeApiServer.StartAsync((ctx, _, _) => FakeApiServer.Json(ctx, 200, """{"metadata":{"resourceVersion":"1"},"items":[]}"""));
        using var client = Client(server);

        await client.ListAsync(ResourceType.Cluster, "metal3", new ListOptions("env in (a,b),!x", "metadata.name=c&d", 7, "tok/+="), Timeout());

        Assert.That(server.Requests.Single().Target, Is.EqualTo(
            "/apis/cluster.x-k8s.io/v1beta2/namespaces/metal3/clusters?continue=tok%2F%2B%3D&fieldSelector=metadata.name%3Dc%26d&labelSelector=env%20in%20%28a%2Cb%29%2C%21x&limit=7"));
    }

    [Test]
    public async Task Ssa_sends_content_type_field_manager_and_force()
    {
        await using var server = await FakeApiServer.StartAsync((ctx, _, _) => FakeApiServer.Json(ctx, 200, EmptyConfigMap));
        using var client = Client(server);

        await client.ApplyAsync(ResourceType.ConfigMap, ConfigMap(), new ApplyOptions("capi-cilium-addon", Force: true), Timeout());
        await client.ApplyAsync(ResourceType.ConfigMap, ConfigMap(), new ApplyOptions("capi-cilium-addon"), Timeout());

        var requests = server.Requests.ToArray();
        Assert.That(requests[0].Method, Is.EqualTo("PATCH"));

        // The library adds "; charset=utf-8"; the API server drops parameters before matching the patch type.
        Assert.That(MediaTypeHeaderValue.Parse(requests[0].ContentType!).MediaType, Is.EqualTo("application/apply-patch+yaml"));
        Assert.That(requests[0].Target, Is.EqualTo("/api/v1/namespaces/ns/configmaps/x?fieldManager=capi-cilium-addon&force=true"));
        Assert.That(requests[1].Target, Is.EqualTo("/api/v1/namespaces/ns/configmaps/x?fieldManager=capi-cilium-addon"));
        Assert.That(JsonNode.DeepEquals(JsonNode.Parse(requests[0].Body), ConfigMap()));
    }

    [Test]
    public async Task Delete_sends_preconditions_and_propagation_policy()
    {
        await using var server = await FakeApiServer.StartAsync((ctx, _, _) => FakeApiServer.Json(ctx, 200, """{"kind":"Status","apiVersion":"v1","status":"Success"}"""));
        using var client = Client(server);

        var deleted = await client.DeleteAsync(ResourceType.ConfigMap, "ns", "x", new DeleteOptions("uid-1", "42", "Foreground"), Timeout());

        Assert.That(deleted, Is.True);
        var request = server.Requests.Single();
        Assert.That(request.Method, Is.EqualTo("DELETE"));
        Assert.That(request.Target, Is.EqualTo("/api/v1/namespaces/ns/configmaps/x"));
        var body = JsonNode.Parse(request.Body)!;
        Assert.That((string?)body["kind"], Is.EqualTo("DeleteOptions"));
        Assert.That((string?)body["propagationPolicy"], Is.EqualTo("Foreground"));
        Assert.That((string?)body["preconditions"]!["uid"], Is.EqualTo("uid-1"));
        Assert.That((string?)body["preconditions"]!["resourceVersion"], Is.EqualTo("42"));
    }

    [Test]
    public async Task Watch_streams_events_as_the_server_writes_them()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await FakeApiServer.StartAsync(async (ctx, _, _) =>
        {
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync("""{"type":"ADDED","object":{"kind":"ConfigMap","metadata":{"name":"a"}}}""" + "\n");
            await ctx.Response.Body.FlushAsync();
            await release.Task.WaitAsync(Generous);
            await ctx.Response.WriteAsync("""{"type":"DELETED","object":{"kind":"ConfigMap","metadata":{"name":"a"}}}""" + "\n");
        });
        using var client = Client(server);

        var seen = new List<WatchEventType>();
        await foreach (var e in client.WatchAsync(ResourceType.ConfigMap, "ns", new WatchOptions(ResourceVersion: "5", TimeoutSeconds: 30), Timeout()))
        {
            seen.Add(e.Type);
            release.TrySetResult(); // the first event arrived before the server wrote the second: it is streamed
        }

        Assert.That(seen, Is.EqualTo(new[] { WatchEventType.Added, WatchEventType.Deleted }));
        Assert.That(server.Requests.Single().Target, Is.EqualTo("/api/v1/namespaces/ns/configmaps?allowWatchBookmarks=true&resourceVersion=5&timeoutSeconds=30&watch=true"));
    }

    [Test]
    public async Task A_watch_runs_past_the_request_timeout()
    {
        await using var server = await FakeApiServer.StartAsync(async (ctx, _, _) =>
        {
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync("""{"type":"ADDED","object":{"kind":"ConfigMap","metadata":{"name":"a","resourceVersion":"6"}}}""" + "\n");
            await ctx.Response.Body.FlushAsync();
            await Task.Delay(TimeSpan.FromSeconds(2.5));
            await ctx.Response.WriteAsync("""{"type":"MODIFIED","object":{"kind":"ConfigMap","metadata":{"name":"a","resourceVersion":"7"}}}""" + "\n");
        });
        using var client = Client(server, Fast(retries: 0) with { RequestTimeout = TimeSpan.FromSeconds(1) });

        var seen = new List<string?>();
        await foreach (var e in client.WatchAsync(ResourceType.ConfigMap, "ns", new WatchOptions(ResourceVersion: "5", TimeoutSeconds: 30), Timeout()))
        {
            seen.Add((string?)e.Object["metadata"]!["resourceVersion"]);
        }

        Assert.That(seen, Is.EqualTo(new[] { "6", "7" }), "a watch is bounded by its timeoutSeconds, not by the timeout of a request");
    }

    [Test]
    public async Task A_watch_left_open_past_its_timeout_is_a_dead_connection()
    {
        await using var server = await FakeApiServer.StartAsync(async (ctx, _, _) =>
        {
            ctx.Response.ContentType = "application/json";
            await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
            await Task.Delay(System.Threading.Timeout.Infinite, ctx.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
        });
        using var client = Client(server, Fast(retries: 0) with { WatchGracePeriod = TimeSpan.FromSeconds(1) });

        var ex = Assert.ThrowsAsync<KubernetesConnectionException>(async () =>
        {
            await foreach (var _ in client.WatchAsync(ResourceType.ConfigMap, "ns", new WatchOptions(ResourceVersion: "5", TimeoutSeconds: 1), Timeout()))
            {
            }
        })!;

        Assert.That(ex.IsTransient);
        Assert.That(ex.Message, Does.Contain("past its 1 s timeout"));
    }

    [Test]
    public async Task A_request_past_the_request_timeout_is_a_transient_connection_failure_and_retried()
    {
        await using var server = await FakeApiServer.StartAsync(async (ctx, _, n) =>
        {
            if (n == 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(5), ctx.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return;
            }

            await FakeApiServer.Json(ctx, 200, EmptyConfigMap);
        });
        var retries = new List<Exception>();
        using var client = Client(server, Fast(onRetry: (ex, _, _) => retries.Add(ex)) with { RequestTimeout = TimeSpan.FromSeconds(1) });

        var cm = await client.GetAsync(ResourceType.ConfigMap, "ns", "x", Timeout());

        Assert.That((string?)cm["metadata"]!["name"], Is.EqualTo("x"));
        Assert.That(retries.Single(), Is.TypeOf<KubernetesConnectionException>().With.Message.Contains("timed out after 1 s"));
    }

    [Test]
    public async Task A_watch_the_server_closes_without_an_event_is_empty()
    {
        await using var server = await FakeApiServer.StartAsync((ctx, _, _) =>
        {
            ctx.Response.ContentType = "application/json";
            return Task.CompletedTask;
        });
        using var client = Client(server);

        var events = new List<WatchEvent>();
        await foreach (var e in client.WatchAsync(ResourceType.Cluster, null, new WatchOptions(ResourceVersion: "9", TimeoutSeconds: 1), Timeout()))
        {
            events.Add(e);
        }

        Assert.That(events, Is.Empty);
    }

    [Test]
    public async Task A_malformed_watch_line_ends_the_watch_with_an_error_after_the_events_before_it()
    {
        await using var server = await FakeApiServer.StartAsync(async (ctx, _, _) =>
        {
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync(
                """{"type":"ADDED","object":{"kind":"ConfigMap","metadata":{"name":"a","resourceVersion":"6"}}}""" + "\n" +
                "upstream connect error\n" +
                """{"type":"ADDED","object":{"kind":"ConfigMap","metadata":{"name":"b","resourceVersion":"7"}}}""" + "\n");
        });
        using var client = Client(server);

        var seen = new List<string?>();
        var ex = Assert.ThrowsAsync<InvalidDataException>(async () =>
        {
            await foreach (var e in client.WatchAsync(ResourceType.ConfigMap, "ns", new WatchOptions(ResourceVersion: "5", TimeoutSeconds: 30), Timeout()))
            {
                seen.Add((string?)e.Object["metadata"]!["name"]);
            }
        })!;

        Assert.That(seen, Is.EqualTo(new[] { "a" }), "nothing after the line that could not be read: the informer re-lists rather than miss it");
        Assert.That(ex.Message, Does.Contain("malformed watch event"));
    }

    [Test]
    public async Task Requests_carry_the_user_agent_of_the_options()
    {
        await using var server = await FakeApiServer.StartAsync((ctx, _, _) => FakeApiServer.Json(ctx, 200, EmptyConfigMap));
        using var client = Client(server, Fast() with { UserAgent = "capi-cilium-e2e" });

        await client.GetAsync(ResourceType.ConfigMap, "ns", "x", Timeout());

        Assert.That(server.Requests.Single().UserAgent, Is.EqualTo("capi-cilium-e2e"));
    }

    [TestCase("a/b")]
    [TestCase("..")]
    [TestCase("x?watch=1")]
    public void A_name_that_would_change_the_request_path_is_refused(string name)
    {
        using var client = Client(new Uri("http://127.0.0.1:1/"));

        var ex = Assert.ThrowsAsync<ArgumentException>(() => client.GetAsync(ResourceType.ConfigMap, "ns", name, Timeout()))!;

        Assert.That(ex.Message, Does.Contain(name));
    }

    [Test]
    public void Cancellation_is_not_retried_or_wrapped()
    {
        using var client = Client(new Uri($"http://127.0.0.1:{FreePort()}/"), Fast(retries: 100) with { RetryBaseDelay = TimeSpan.FromSeconds(30), RetryMaxDelay = TimeSpan.FromSeconds(30) });
        using var cts = new CancellationTokenSource();
        var task = client.GetAsync(ResourceType.ConfigMap, "ns", "x", cts.Token);
        cts.Cancel();
        Assert.CatchAsync<OperationCanceledException>(() => task);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
