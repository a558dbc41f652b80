using System.Net;
using System.Text.Json.Nodes;

namespace CapiCiliumAddon.Kubernetes.Tests;

/// <summary>Replays the real kube-apiserver answers in tests/fixtures/kube-api.</summary>
public sealed class RecordedFixtureTests
{
    private static readonly string FixtureDirectory = Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "kube-api");
    private static readonly KubernetesClientOptions NoRetry = new() { MaxRetryAttempts = 0 };
    private static readonly ResourceType ClusterV1Beta1 = ResourceType.Cluster.WithVersion("v1beta1");

    private static readonly Dictionary<string, (string Method, string Path, int Status)> Index =
        File.ReadAllLines(Path.Combine(FixtureDirectory, "INDEX.tsv"))
            .Where(l => l.Length > 0)
            .Select(l => l.Split('\t'))
            .ToDictionary(f => f[0], f => (f[1], System.Text.RegularExpressions.Regex.Replace(f[2], @" \(.*\)$", ""), int.Parse(f[3].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture)));

    private static (KubernetesClient Client, ReplayHandler Handler) Replay(string name)
    {
        var file = Path.Combine(FixtureDirectory, name + (name.StartsWith("watch-clusters-stream", StringComparison.Ordinal) ? ".jsonl" : ".json"));
        var handler = new ReplayHandler((HttpStatusCode)Index[name].Status, File.ReadAllText(file));
        return (new KubernetesClient(new Uri("https://kube.example:6443/"), handler, NoRetry), handler);
    }

    private static void AssertRequestMatchesIndex(string name, ReplayHandler handler, string? pathOverride = null)
    {
        Assert.That(handler.Requests, Has.Count.EqualTo(1));
        Assert.That(handler.Requests[0].Method.Method, Is.EqualTo(Index[name].Method));
        Assert.That(handler.Requests[0].PathAndQuery, Is.EqualTo(pathOverride ?? Index[name].Path));
    }

    private static JsonObject Cluster(string name) => new()
    {
        ["apiVersion"] = "cluster.x-k8s.io/v1beta2",
        ["kind"] = "Cluster",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "metal3" },
    };

    private static JsonObject ConfigMap() => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "ConfigMap",
        ["metadata"] = new JsonObject { ["name"] = "capi-1-cilium", ["namespace"] = "metal3" },
        ["data"] = new JsonObject { ["cilium.yaml"] = "---\n" },
    };

    private static JsonObject Lease() => new()
    {
        ["apiVersion"] = "coordination.k8s.io/v1",
        ["kind"] = "Lease",
        ["metadata"] = new JsonObject { ["name"] = "capi-cilium-addon", ["namespace"] = "metal3", ["resourceVersion"] = "1" },
    };

    public sealed record ErrorCase(string Fixture, Type Expected, string Reason, string MessagePart, string? CauseField, Func<KubernetesClient, Task> Call)
    {
        public override string ToString() => Fixture;
    }

    public static IEnumerable<ErrorCase> ErrorCases()
    {
        var ct = CancellationToken.None;
        yield return new("get-cluster-missing-404", typeof(KubernetesNotFoundException), "NotFound", "\"nope\" not found", null,
            c => c.GetAsync(ResourceType.Cluster, "metal3", "nope", ct));
        yield return new("get-crs-binding-missing-404", typeof(KubernetesNotFoundException), "NotFound", "capi-1", null,
            c => c.GetAsync(ResourceType.ClusterResourceSetBinding, "metal3", "capi-1", ct));
        yield return new("create-cluster-conflict-409", typeof(KubernetesAlreadyExistsException), "AlreadyExists", "already exists", null,
            c => c.CreateAsync(ResourceType.Cluster, Cluster("capi-1"), ct));
        yield return new("update-lease-stale-rv-409", typeof(KubernetesConflictException), "Conflict", "the object has been modified", null,
            c => c.ReplaceAsync(ResourceType.Lease, Lease(), ct));
        yield return new("ssa-configmap-conflict-other-manager-409", typeof(KubernetesConflictException), "Conflict", "conflict with \"capi-cilium-addon\"", ".data.cilium.yaml",
            c => c.ApplyAsync(ResourceType.ConfigMap, ConfigMap(), new ApplyOptions("someone-else"), ct));
        yield return new("ssa-crs-invalid-strategy-422", typeof(KubernetesInvalidException), "Invalid", "Unsupported value: \"Sometimes\"", "spec.strategy",
            c => c.ApplyAsync(ResourceType.ClusterResourceSet, new JsonObject
            {
                ["apiVersion"] = "addons.cluster.x-k8s.io/v1beta2",
                ["kind"] = "ClusterResourceSet",
                ["metadata"] = new JsonObject { ["name"] = "bad-strategy", ["namespace"] = "metal3" },
                ["spec"] = new JsonObject { ["strategy"] = "Sometimes" },
            }, new ApplyOptions("capi-cilium-addon"), ct));
        yield return new("list-clusters-bad-selector-400", typeof(KubernetesBadRequestException), "BadRequest", "", null,
            c => c.ListAsync(ResourceType.Cluster, null, new ListOptions(LabelSelector: "cni===x,!"), ct));
        yield return new("post-malformed-json-400", typeof(KubernetesBadRequestException), "BadRequest", "json parse error", null,
            c => c.CreateAsync(ResourceType.ConfigMap, ConfigMap(), ct));
        yield return new("list-clusters-forbidden-403", typeof(KubernetesForbiddenException), "Forbidden", "cannot list resource \"clusters\"", null,
            c => c.ListAsync(ResourceType.Cluster, null, new ListOptions(), ct));
        yield return new("list-clusters-unauthorized-401", typeof(KubernetesUnauthorizedException), "Unauthorized", "Unauthorized", null,
            c => c.ListAsync(ResourceType.Cluster, null, new ListOptions(), ct));
    }

    [TestCaseSource(nameof(ErrorCases))]
    public void Error_fixture_maps_to_typed_exception_with_server_message_and_causes(ErrorCase error)
    {
        var (client, handler) = Replay(error.Fixture);
        using var _ = client;
        var status = JsonNode.Parse(File.ReadAllText(Path.Combine(FixtureDirectory, error.Fixture + ".json")))!;

        var ex = Assert.CatchAsync<KubernetesApiException>(() => error.Call(client))!;

        Assert.That(ex, Is.TypeOf(error.Expected));
        Assert.That(ex.Reason, Is.EqualTo(error.Reason));
        Assert.That((int)ex.StatusCode, Is.EqualTo(Index[error.Fixture].Status));
        Assert.That(ex.Message, Is.EqualTo((string)status["message"]!));
        Assert.That(ex.Message, Does.Contain(error.MessagePart));
        if (error.CauseField is not null)
        {
            Assert.That(ex.Causes.Select(c => c.Field), Does.Contain(error.CauseField));
            Assert.That(ex.Causes.All(c => c.Type is { Length: > 0 } && c.Message is { Length: > 0 }));
        }

        Assert.That(handler.Requests[0].Method.Method, Is.EqualTo(Index[error.Fixture].Method));
        if (Index[error.Fixture].Path.Contains('?', StringComparison.Ordinal) || error.Fixture.StartsWith("get", StringComparison.Ordinal))
        {
            Assert.That(handler.Requests[0].PathAndQuery, Is.EqualTo(Index[error.Fixture].Path));
        }
    }

    [Test]
    public void Ssa_conflict_names_the_other_manager_and_the_field()
    {
        var (client, _) = Replay("ssa-configmap-conflict-other-manager-409");
        using var __ = client;
        var ex = Assert.ThrowsAsync<KubernetesConflictException>(() => client.ApplyAsync(ResourceType.ConfigMap, ConfigMap(), new ApplyOptions("someone-else"), default))!;
        Assert.That(ex.Causes, Has.Count.EqualTo(1));
        Assert.That(ex.Causes[0], Is.EqualTo(new StatusCause("FieldManagerConflict", ".data.cilium.yaml", "conflict with \"capi-cilium-addon\"")));
    }

    [Test]
    public async Task Get_parses_cluster_in_both_versions()
    {
        var (client, handler) = Replay("get-cluster-v1beta2-200");
        using (client)
        {
            var cluster = await client.GetAsync(ResourceType.Cluster, "metal3", "capi-1", default);
            Assert.That((string?)cluster["metadata"]!["name"], Is.EqualTo("capi-1"));
            Assert.That((string?)cluster["apiVersion"], Is.EqualTo("cluster.x-k8s.io/v1beta2"));
            Assert.That(cluster["spec"]!["controlPlaneEndpoint"]!["host"], Is.Not.Null);
            AssertRequestMatchesIndex("get-cluster-v1beta2-200", handler);
        }

        (client, handler) = Replay("get-cluster-v1beta1-200");
        using (client)
        {
            var cluster = await client.GetAsync(ClusterV1Beta1, "metal3", "capi-1", default);
            Assert.That((string?)cluster["apiVersion"], Is.EqualTo("cluster.x-k8s.io/v1beta1"));
            AssertRequestMatchesIndex("get-cluster-v1beta1-200", handler);
        }
    }

    [Test]
    public async Task List_parses_items_and_resource_version()
    {
        var (client, handler) = Replay("list-clusters-all-ns-labelled-200");
        using var _ = client;
        var list = await client.ListAsync(ResourceType.Cluster, null, new ListOptions(LabelSelector: "cni=cilium"), default);
        Assert.That(list.Items, Is.Not.Empty);
        Assert.That(list.Items.All(i => (string?)i["kind"] == "Cluster" && i.Parent is null));
        Assert.That(list.ResourceVersion, Is.Not.Empty);
        Assert.That(list.Continue, Is.Null);
        AssertRequestMatchesIndex("list-clusters-all-ns-labelled-200", handler);
    }

    [Test]
    public async Task Paged_list_with_limit_1_returns_continue()
    {
        var (client, handler) = Replay("list-clusters-paged-limit1-200");
        using var _ = client;
        var page = await client.ListAsync(ResourceType.Cluster, null, new ListOptions(LabelSelector: "cni=cilium", Limit: 1), default);
        Assert.That(page.Items, Has.Count.EqualTo(1));
        Assert.That(page.Continue, Does.StartWith("eyJ2Ijoi"));
        Assert.That(page.ResourceVersion, Is.EqualTo("239"));
        AssertRequestMatchesIndex("list-clusters-paged-limit1-200", handler);
    }

    [Test]
    public async Task Discovery_prefers_v1beta2_and_resolve_keeps_or_falls_back()
    {
        var (client, handler) = Replay("discovery-group-cluster");
        using var _ = client;
        Assert.That(await client.GetServedVersionsAsync("cluster.x-k8s.io", default), Is.EqualTo(new[] { "v1beta2", "v1beta1" }));
        AssertRequestMatchesIndex("discovery-group-cluster", handler);

        Assert.That(await client.ResolveAsync(ResourceType.Cluster, default), Is.EqualTo(ResourceType.Cluster));
        Assert.That(await client.ResolveAsync(ClusterV1Beta1, default), Is.EqualTo(ClusterV1Beta1));
        Assert.That((await client.ResolveAsync(ResourceType.Cluster.WithVersion("v1beta3"), default)).Version, Is.EqualTo("v1beta2"));
    }

    [Test]
    public async Task Resolve_falls_back_to_v1beta1_on_an_older_cluster_api()
    {
        const string OldDiscovery = """
            {"kind":"APIGroup","apiVersion":"v1","name":"cluster.x-k8s.io",
             "versions":[{"groupVersion":"cluster.x-k8s.io/v1beta1","version":"v1beta1"}],
             "preferredVersion":{"groupVersion":"cluster.x-k8s.io/v1beta1","version":"v1beta1"}}
            """;
        using var client = new KubernetesClient(new Uri("https://kube.example/"), new ReplayHandler(HttpStatusCode.OK, OldDiscovery), NoRetry);
        var resolved = await client.ResolveAsync(ResourceType.Cluster, default);
        Assert.That(resolved, Is.EqualTo(ClusterV1Beta1));
    }

    [Test]
    public async Task Discovery_of_an_unserved_group_is_empty_and_resolve_says_so()
    {
        var (client, _) = Replay("get-cluster-missing-404");
        using var __ = client;
        Assert.That(await client.GetServedVersionsAsync("cluster.x-k8s.io", default), Is.Empty);
        var ex = Assert.ThrowsAsync<KubernetesNotFoundException>(() => client.ResolveAsync(ResourceType.Cluster, default))!;
        Assert.That(ex.Message, Does.Contain("cluster.x-k8s.io").And.Contain("not served"));
    }

    [Test]
    public async Task Watch_stream_yields_events_in_order_with_bookmark()
    {
        var (client, handler) = Replay("watch-clusters-stream");
        using var _ = client;
        var events = new List<WatchEvent>();
        await foreach (var e in client.WatchAsync(ResourceType.Cluster, null, new WatchOptions(LabelSelector: "cni=cilium", ResourceVersion: "239", TimeoutSeconds: 6), default))
        {
            events.Add(e);
        }

        Assert.That(events.Select(e => e.Type), Is.EqualTo(new[]
        {
            WatchEventType.Modified, WatchEventType.Modified, WatchEventType.Deleted, WatchEventType.Added, WatchEventType.Deleted, WatchEventType.Bookmark,
        }));
        Assert.That((string?)events[^1].Object["metadata"]!["resourceVersion"], Is.EqualTo("247"));
        Assert.That(events.Take(5).All(e => (string?)e.Object["kind"] == "Cluster" && e.Object["metadata"]?["name"] is not null));
        AssertRequestMatchesIndex("watch-clusters-stream", handler, Index["watch-clusters-stream"].Path.Replace("<from list>", "239", StringComparison.Ordinal));
    }

    [Test]
    public void Watch_in_stream_410_throws_gone()
    {
        var (client, handler) = Replay("watch-too-old-rv-410");
        using var _ = client;
        var ex = Assert.ThrowsAsync<KubernetesGoneException>(async () =>
        {
            await foreach (var __ in client.WatchAsync(ResourceType.Cluster, null, new WatchOptions(ResourceVersion: "1", AllowBookmarks: false, TimeoutSeconds: 3), default))
            {
            }
        })!;
        Assert.That(ex.Reason, Is.EqualTo("Expired"));
        Assert.That(ex.Message, Is.EqualTo("too old resource version: 1 (236)"));
        AssertRequestMatchesIndex("watch-too-old-rv-410", handler);
    }

    [TestCase("ssa-configmap-create-201", "capi-cilium-addon", true)]
    [TestCase("ssa-configmap-noop-200", "capi-cilium-addon", true)]
    public async Task Ssa_sends_apply_patch_and_parses_the_answer(string fixture, string manager, bool force)
    {
        var (client, handler) = Replay(fixture);
        using var _ = client;
        var applied = await client.ApplyAsync(ResourceType.ConfigMap, ConfigMap(), new ApplyOptions(manager, force), default);
        Assert.That((string?)applied["metadata"]!["name"], Is.EqualTo("capi-1-cilium"));
        AssertRequestMatchesIndex(fixture, handler);
        Assert.That(handler.Requests[0].ContentType, Is.EqualTo("application/apply-patch+yaml"));
        Assert.That(JsonNode.DeepEquals(JsonNode.Parse(handler.Requests[0].Body!), ConfigMap()));
    }

    [Test]
    public async Task Ssa_of_crs_and_cluster_label_use_the_recorded_paths()
    {
        var (client, handler) = Replay("ssa-crs-create-201");
        using (client)
        {
            var crs = new JsonObject
            {
                ["apiVersion"] = "addons.cluster.x-k8s.io/v1beta2",
                ["kind"] = "ClusterResourceSet",
                ["metadata"] = new JsonObject { ["name"] = "capi-1-cilium", ["namespace"] = "metal3" },
            };
            var result = await client.ApplyAsync(ResourceType.ClusterResourceSet, crs, new ApplyOptions("capi-cilium-addon", Force: true), default);
            Assert.That((string?)result["kind"], Is.EqualTo("ClusterResourceSet"));
            AssertRequestMatchesIndex("ssa-crs-create-201", handler);
        }

        (client, handler) = Replay("ssa-cluster-add-label-200");
        using (client)
        {
            await client.ApplyAsync(ResourceType.Cluster, Cluster("capi-1"), new ApplyOptions("capi-cilium-addon"), default);
            AssertRequestMatchesIndex("ssa-cluster-add-label-200", handler);
        }
    }

    [TestCase("create-event-events-v1-201")]
    [TestCase("create-lease-201")]
    [TestCase("create-crs-binding-applied-201")]
    [TestCase("create-cluster-v1beta2-201")]
    public async Task Create_posts_to_the_collection(string fixture)
    {
        var (client, handler) = Replay(fixture);
        using var _ = client;
        var type = fixture switch
        {
            "create-event-events-v1-201" => ResourceType.Event,
            "create-lease-201" => ResourceType.Lease,
            "create-crs-binding-applied-201" => ResourceType.ClusterResourceSetBinding,
            _ => ResourceType.Cluster,
        };
        var obj = new JsonObject
        {
            ["apiVersion"] = type.ApiVersion,
            ["kind"] = type.Kind,
            ["metadata"] = new JsonObject { ["generateName"] = "x-", ["namespace"] = "metal3" },
        };
        var created = await client.CreateAsync(type, obj, default);
        Assert.That((string?)created["kind"], Is.EqualTo(type.Kind));
        AssertRequestMatchesIndex(fixture, handler);
        Assert.That(handler.Requests[0].ContentType, Is.EqualTo("application/json"));
    }

    [Test]
    public async Task Update_lease_puts_to_the_object()
    {
        var (client, handler) = Replay("update-lease-200");
        using var _ = client;
        var updated = await client.ReplaceAsync(ResourceType.Lease, Lease(), default);
        Assert.That((string?)updated["kind"], Is.EqualTo("Lease"));
        AssertRequestMatchesIndex("update-lease-200", handler);
    }

    [Test]
    public async Task Delete_of_a_missing_object_is_false()
    {
        var (client, _) = Replay("get-crs-binding-missing-404");
        using var __ = client;
        Assert.That(await client.DeleteAsync(ResourceType.ClusterResourceSetBinding, "metal3", "capi-1", new DeleteOptions(), default), Is.False);
    }

    [Test]
    public void Cluster_without_endpoint_has_no_field()
    {
        var created = JsonNode.Parse(File.ReadAllText(Path.Combine(FixtureDirectory, "create-cluster-no-endpoint-201.json")))!;
        Assert.That(created["spec"]?["controlPlaneEndpoint"], Is.Null);
    }

    [Test]
    public void Non_status_bodies_become_the_message()
    {
        var ex = KubernetesApiException.FromStatus(HttpStatusCode.BadGateway, "upstream connect error or disconnect/reset before headers\n");
        Assert.That(ex, Is.TypeOf<KubernetesServerErrorException>());
        Assert.That(ex.Message, Is.EqualTo("upstream connect error or disconnect/reset before headers"));
        Assert.That(ex.Reason, Is.EqualTo("502"));

        var empty = KubernetesApiException.FromStatus(HttpStatusCode.NotFound, "");
        Assert.That(empty, Is.TypeOf<KubernetesNotFoundException>());
        Assert.That(empty.Message, Does.Contain("404"));

        var throttled = (KubernetesTooManyRequestsException)KubernetesApiException.FromStatus(
            HttpStatusCode.TooManyRequests,
            """{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too many requests","reason":"TooManyRequests","details":{"retryAfterSeconds":3},"code":429}""");
        Assert.That(throttled.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(3)));

        Assert.That(KubernetesApiException.FromStatus(HttpStatusCode.Gone, "gone"), Is.TypeOf<KubernetesGoneException>());
    }

    [Test]
    public void Paths_escape_and_scope_correctly()
    {
        Assert.That(KubernetesClient.CollectionPath(ResourceType.ConfigMap, "metal3"), Is.EqualTo("/api/v1/namespaces/metal3/configmaps"));
        Assert.That(KubernetesClient.CollectionPath(ResourceType.Cluster, null), Is.EqualTo("/apis/cluster.x-k8s.io/v1beta2/clusters"));
        Assert.That(KubernetesClient.ResourcePath(ResourceType.Namespace, null, "metal3"), Is.EqualTo("/api/v1/namespaces/metal3"));
        Assert.That(KubernetesClient.ResourcePath(ResourceType.Lease, "a b", "c/d"), Is.EqualTo("/apis/coordination.k8s.io/v1/namespaces/a%20b/leases/c%2Fd"));
        Assert.Throws<ArgumentException>(() => KubernetesClient.ResourcePath(ResourceType.ConfigMap, null, "x"));
        Assert.Throws<ArgumentException>(() => KubernetesClient.CollectionPath(ResourceType.Namespace, "metal3"));
    }
}
