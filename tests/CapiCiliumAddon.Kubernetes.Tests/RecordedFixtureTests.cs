using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using CapiCiliumAddon.Testing.KubeApi;
using k8s;
using Microsoft.AspNetCore.WebUtilities;

namespace CapiCiliumAddon.Kubernetes.Tests;

/// <summary>
/// The client on the KubernetesClient library against the real kube-apiserver answers recorded in
/// tests/fixtures/kube-api, replayed by an in-process HTTP server: the request each call makes, and what it makes of
/// each answer (objects, lists, watch streams, and every error as its typed exception).
/// </summary>
public sealed class RecordedFixtureTests
{
    private static readonly KubernetesClientOptions NoRetry = new() { MaxRetryAttempts = 0 };
    private static readonly ResourceType ClusterV1Beta1 = ResourceType.Cluster.WithVersion("v1beta1");

    /// <summary>A client and a server that answers every request with the recording (its status and body, as received).</summary>
    private sealed class Replay : IAsyncDisposable
    {
        private Replay(Recording recording, FakeApiServer server, KubernetesClient client)
        {
            Recording = recording;
            Server = server;
            Client = client;
        }

        public Recording Recording { get; }

        public FakeApiServer Server { get; }

        public KubernetesClient Client { get; }

        public RecordedRequest Request => Server.Requests.Single();

        public static Task<Replay> StartAsync(string name) => StartAsync(KubeApiRecordings.Get(name));

        public static async Task<Replay> StartAsync(Recording recording, string? body = null)
        {
            var server = await FakeApiServer.StartAsync((ctx, _, _) => FakeApiServer.Json(ctx, recording.Status, body ?? recording.Body));
            return new Replay(recording, server, new KubernetesClient(new KubernetesClientConfiguration { Host = server.Url.ToString() }, NoRetry));
        }

        /// <summary>The request was the recorded one: method, path and query.</summary>
        public void AssertRequestMatchesRecording(string? target = null)
        {
            Assert.That(Request.Method, Is.EqualTo(Recording.Method));
            Assert.That(Request.Target, Is.EqualTo(target ?? Recording.Target));
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            await Server.DisposeAsync();
        }
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
    public async Task Error_fixture_maps_to_typed_exception_with_server_message_and_causes(ErrorCase error)
    {
        await using var replay = await Replay.StartAsync(error.Fixture);
        var status = replay.Recording.Json;

        var ex = Assert.CatchAsync<KubernetesApiException>(() => error.Call(replay.Client))!;

        Assert.That(ex, Is.TypeOf(error.Expected));
        Assert.That(ex.Reason, Is.EqualTo(error.Reason));
        Assert.That((int)ex.StatusCode, Is.EqualTo(replay.Recording.Status));
        Assert.That(ex.Message, Is.EqualTo((string)status["message"]!));
        Assert.That(ex.Message, Does.Contain(error.MessagePart));
        if (error.CauseField is not null)
        {
            Assert.That(ex.Causes.Select(c => c.Field), Does.Contain(error.CauseField));
            Assert.That(ex.Causes.All(c => c.Type is { Length: > 0 } && c.Message is { Length: > 0 }));
        }

        Assert.That(replay.Request.Method, Is.EqualTo(replay.Recording.Method));
        if (replay.Recording.Target.StartsWith('/') && (replay.Recording.Query.Length > 0 || error.Fixture.StartsWith("get", StringComparison.Ordinal)))
        {
            Assert.That(replay.Request.Target, Is.EqualTo(replay.Recording.Target));
        }
    }

    [Test]
    public async Task Ssa_conflict_names_the_other_manager_and_the_field()
    {
        await using var replay = await Replay.StartAsync("ssa-configmap-conflict-other-manager-409");
        var ex = Assert.ThrowsAsync<KubernetesConflictException>(() => replay.Client.ApplyAsync(ResourceType.ConfigMap, ConfigMap(), new ApplyOptions("someone-else"), default))!;
        Assert.That(ex.Causes, Has.Count.EqualTo(1));
        Assert.That(ex.Causes[0], Is.EqualTo(new StatusCause("FieldManagerConflict", ".data.cilium.yaml", "conflict with \"capi-cilium-addon\"")));
        replay.AssertRequestMatchesRecording();
    }

    [Test]
    public async Task Get_parses_cluster_in_both_versions()
    {
        await using (var replay = await Replay.StartAsync("get-cluster-v1beta2-200"))
        {
            var cluster = await replay.Client.GetAsync(ResourceType.Cluster, "metal3", "capi-1", default);
            Assert.That((string?)cluster["metadata"]!["name"], Is.EqualTo("capi-1"));
            Assert.That((string?)cluster["apiVersion"], Is.EqualTo("cluster.x-k8s.io/v1beta2"));
            Assert.That(cluster["spec"]!["controlPlaneEndpoint"]!["host"], Is.Not.Null);
            replay.AssertRequestMatchesRecording();
        }

        await using (var replay = await Replay.StartAsync("get-cluster-v1beta1-200"))
        {
            var cluster = await replay.Client.GetAsync(ClusterV1Beta1, "metal3", "capi-1", default);
            Assert.That((string?)cluster["apiVersion"], Is.EqualTo("cluster.x-k8s.io/v1beta1"));
            replay.AssertRequestMatchesRecording();
        }
    }

    [Test]
    public async Task List_parses_items_and_resource_version()
    {
        await using var replay = await Replay.StartAsync("list-clusters-all-ns-labelled-200");
        var list = await replay.Client.ListAsync(ResourceType.Cluster, null, new ListOptions(LabelSelector: "cni=cilium"), default);
        Assert.That(list.Items, Is.Not.Empty);
        Assert.That(list.Items.All(i => (string?)i["kind"] == "Cluster" && i.Parent is null));
        Assert.That(list.ResourceVersion, Is.EqualTo("239"));
        Assert.That(list.Continue, Is.Null, "the recorded list has continue: \"\"");
        replay.AssertRequestMatchesRecording();
    }

    [Test]
    public async Task Paged_list_with_limit_1_returns_continue()
    {
        await using var replay = await Replay.StartAsync("list-clusters-paged-limit1-200");
        var page = await replay.Client.ListAsync(ResourceType.Cluster, null, new ListOptions(LabelSelector: "cni=cilium", Limit: 1), default);
        Assert.That(page.Items, Has.Count.EqualTo(1));
        Assert.That(page.Continue, Does.StartWith("eyJ2Ijoi"));
        Assert.That(page.ResourceVersion, Is.EqualTo("239"));
        replay.AssertRequestMatchesRecording();
    }

    [Test]
    public async Task Discovery_prefers_v1beta2_and_resolve_keeps_or_falls_back()
    {
        await using var replay = await Replay.StartAsync("discovery-group-cluster");
        Assert.That(await replay.Client.GetServedVersionsAsync("cluster.x-k8s.io", default), Is.EqualTo(new[] { "v1beta2", "v1beta1" }));
        Assert.That(replay.Server.Requests.First().Target, Is.EqualTo(replay.Recording.Target));

        Assert.That(await replay.Client.ResolveAsync(ResourceType.Cluster, default), Is.EqualTo(ResourceType.Cluster));
        Assert.That(await replay.Client.ResolveAsync(ClusterV1Beta1, default), Is.EqualTo(ClusterV1Beta1));
        Assert.That((await replay.Client.ResolveAsync(ResourceType.Cluster.WithVersion("v1beta3"), default)).Version, Is.EqualTo("v1beta2"));
    }

    [Test]
    public async Task Resolve_falls_back_to_v1beta1_on_an_older_cluster_api()
    {
        // The recorded discovery document as a Cluster API older than 1.11 serves it: v1beta1 only.
        var recorded = KubeApiRecordings.Get("discovery-group-cluster");
        var old = recorded.Json;
        old["versions"] = new JsonArray(old["versions"]!.AsArray().Where(v => (string?)v!["version"] == "v1beta1").Select(v => v!.DeepClone()).ToArray());
        old["preferredVersion"] = old["versions"]![0]!.DeepClone();
        await using var replay = await Replay.StartAsync(recorded, old.ToJsonString());

        Assert.That(await replay.Client.ResolveAsync(ResourceType.Cluster, default), Is.EqualTo(ClusterV1Beta1));
    }

    [Test]
    public async Task Discovery_of_an_unserved_group_is_empty_and_resolve_says_so()
    {
        await using var replay = await Replay.StartAsync("get-cluster-missing-404");
        Assert.That(await replay.Client.GetServedVersionsAsync("cluster.x-k8s.io", default), Is.Empty);
        var ex = Assert.ThrowsAsync<KubernetesNotFoundException>(() => replay.Client.ResolveAsync(ResourceType.Cluster, default))!;
        Assert.That(ex.Message, Does.Contain("cluster.x-k8s.io").And.Contain("not served"));
    }

    [Test]
    public async Task Watch_stream_yields_events_in_order_with_bookmark()
    {
        await using var replay = await Replay.StartAsync("watch-clusters-stream");
        var events = new List<WatchEvent>();
        await foreach (var e in replay.Client.WatchAsync(ResourceType.Cluster, null, new WatchOptions(LabelSelector: "cni=cilium", ResourceVersion: "239", TimeoutSeconds: 6), default))
        {
            events.Add(e);
        }

        Assert.That(events.Select(e => e.Type), Is.EqualTo(new[]
        {
            WatchEventType.Modified, WatchEventType.Modified, WatchEventType.Deleted, WatchEventType.Added, WatchEventType.Deleted, WatchEventType.Bookmark,
        }));
        Assert.That(events.Select(e => (string?)e.Object["metadata"]!["resourceVersion"]), Is.EqualTo(new[] { "243", "244", "245", "246", "247", "247" }));
        Assert.That(events.Take(5).All(e => (string?)e.Object["kind"] == "Cluster" && e.Object["metadata"]?["name"] is not null));
        AssertSameWatch(replay.Request, replay.Recording.Target.Replace("<from list>", "239", StringComparison.Ordinal));
    }

    [Test]
    public async Task Watch_in_stream_410_throws_gone()
    {
        await using var replay = await Replay.StartAsync("watch-too-old-rv-410");
        var ex = Assert.ThrowsAsync<KubernetesGoneException>(async () =>
        {
            await foreach (var __ in replay.Client.WatchAsync(ResourceType.Cluster, null, new WatchOptions(ResourceVersion: "1", AllowBookmarks: false, TimeoutSeconds: 3), default))
            {
            }
        })!;
        Assert.That(ex.Reason, Is.EqualTo("Expired"));
        Assert.That(ex.Message, Is.EqualTo("too old resource version: 1 (236)"));
        AssertSameWatch(replay.Request, replay.Recording.Target);
    }

    [Test]
    public async Task Watch_events_before_an_in_stream_410_are_delivered_then_gone_is_thrown()
    {
        // The recorded stream, then the recorded ERROR event: a watch that ran into compaction midway.
        var stream = KubeApiRecordings.Get("watch-clusters-stream").Body.TrimEnd('\n') + "\n" + KubeApiRecordings.Get("watch-too-old-rv-410").Body.Trim() + "\n";
        await using var replay = await Replay.StartAsync(KubeApiRecordings.Get("watch-clusters-stream"), stream);
        var events = new List<WatchEventType>();
        Assert.ThrowsAsync<KubernetesGoneException>(async () =>
        {
            await foreach (var e in replay.Client.WatchAsync(ResourceType.Cluster, null, new WatchOptions(LabelSelector: "cni=cilium", ResourceVersion: "239", TimeoutSeconds: 6), default))
            {
                events.Add(e.Type);
            }
        });
        Assert.That(events, Has.Count.EqualTo(6));
    }

    /// <summary>
    /// The recordings were made with watch=1 and the parameters in another order; the library sends watch=true in the
    /// order of the OpenAPI operation. The API server reads query parameters by name and accepts both spellings of
    /// true, so the same parameters with the same values are the same request.
    /// </summary>
    private static void AssertSameWatch(RecordedRequest request, string recordedTarget)
    {
        static Dictionary<string, string> Parameters(string target) =>
            QueryHelpers.ParseQuery(target.Contains('?', StringComparison.Ordinal) ? target[target.IndexOf('?', StringComparison.Ordinal)..] : "")
                .ToDictionary(kv => kv.Key, kv => kv.Key == "watch" && kv.Value.ToString() == "1" ? "true" : kv.Value.ToString(), StringComparer.Ordinal);

        Assert.That(request.Method, Is.EqualTo("GET"));
        Assert.That(request.Path, Is.EqualTo(recordedTarget.Split('?')[0]));
        Assert.That(Parameters(request.Target), Is.EquivalentTo(Parameters(recordedTarget)));
    }

    [TestCase("ssa-configmap-create-201")]
    [TestCase("ssa-configmap-noop-200")]
    public async Task Ssa_sends_apply_patch_and_parses_the_answer(string fixture)
    {
        await using var replay = await Replay.StartAsync(fixture);
        var applied = await replay.Client.ApplyAsync(ResourceType.ConfigMap, ConfigMap(), new ApplyOptions("capi-cilium-addon", Force: true), default);
        Assert.That((string?)applied["metadata"]!["name"], Is.EqualTo("capi-1-cilium"));
        replay.AssertRequestMatchesRecording();

        // The library adds "; charset=utf-8"; the API server drops parameters before matching the patch type.
        Assert.That(MediaTypeHeaderValue.Parse(replay.Request.ContentType!).MediaType, Is.EqualTo("application/apply-patch+yaml"));
        Assert.That(JsonNode.DeepEquals(JsonNode.Parse(replay.Request.Body), ConfigMap()));
    }

    [Test]
    public async Task Ssa_of_crs_and_cluster_label_use_the_recorded_paths()
    {
        await using (var replay = await Replay.StartAsync("ssa-crs-create-201"))
        {
            var crs = new JsonObject
            {
                ["apiVersion"] = "addons.cluster.x-k8s.io/v1beta2",
                ["kind"] = "ClusterResourceSet",
                ["metadata"] = new JsonObject { ["name"] = "capi-1-cilium", ["namespace"] = "metal3" },
            };
            var result = await replay.Client.ApplyAsync(ResourceType.ClusterResourceSet, crs, new ApplyOptions("capi-cilium-addon", Force: true), default);
            Assert.That((string?)result["kind"], Is.EqualTo("ClusterResourceSet"));
            replay.AssertRequestMatchesRecording();
        }

        await using (var replay = await Replay.StartAsync("ssa-cluster-add-label-200"))
        {
            await replay.Client.ApplyAsync(ResourceType.Cluster, Cluster("capi-1"), new ApplyOptions("capi-cilium-addon"), default);
            replay.AssertRequestMatchesRecording();
        }
    }

    [TestCase("create-event-events-v1-201")]
    [TestCase("create-lease-201")]
    [TestCase("create-crs-binding-applied-201")]
    [TestCase("create-cluster-v1beta2-201")]
    public async Task Create_posts_to_the_collection(string fixture)
    {
        await using var replay = await Replay.StartAsync(fixture);
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
        var created = await replay.Client.CreateAsync(type, obj, default);
        Assert.That((string?)created["kind"], Is.EqualTo(type.Kind));
        replay.AssertRequestMatchesRecording();
        Assert.That(MediaTypeHeaderValue.Parse(replay.Request.ContentType!).MediaType, Is.EqualTo("application/json"));
    }

    [Test]
    public async Task The_recorded_lease_and_event_read_as_the_librarys_typed_models()
    {
        await using (var replay = await Replay.StartAsync("create-lease-201"))
        {
            var lease = await replay.Client.CreateAsync(new k8s.Models.V1Lease
            {
                Metadata = new k8s.Models.V1ObjectMeta { Name = "capi-cilium-addon", NamespaceProperty = "metal3" },
                Spec = new k8s.Models.V1LeaseSpec { HolderIdentity = "pod-0", AcquireTime = new DateTime(2026, 11, 21, 10, 0, 0, DateTimeKind.Utc) },
            }, default);
            var recorded = replay.Recording.Json;
            Assert.That(lease.Spec.HolderIdentity, Is.EqualTo((string?)recorded["spec"]!["holderIdentity"]));
            Assert.That(lease.Metadata.ResourceVersion, Is.EqualTo((string?)recorded["metadata"]!["resourceVersion"]));
            replay.AssertRequestMatchesRecording();

            // A time on a whole second still goes out as metav1.MicroTime: six fractional digits, or the server refuses it.
            var sent = JsonNode.Parse(replay.Request.Body)!;
            Assert.That((string?)sent["spec"]!["acquireTime"], Is.EqualTo("2026-11-21T10:00:00.000000Z"));
            Assert.That((string?)sent["apiVersion"], Is.EqualTo("coordination.k8s.io/v1"));
            Assert.That((string?)sent["kind"], Is.EqualTo("Lease"));
        }

        await using (var replay = await Replay.StartAsync("create-event-events-v1-201"))
        {
            var ev = await replay.Client.CreateAsync(new k8s.Models.Eventsv1Event
            {
                Metadata = new k8s.Models.V1ObjectMeta { Name = "capi-1.x", NamespaceProperty = "metal3" },
                EventTime = DateTime.UtcNow,
            }, default);
            var recorded = replay.Recording.Json;
            Assert.That(ev.Regarding.Uid, Is.EqualTo((string?)recorded["regarding"]!["uid"]));
            Assert.That(ev.EventTime, Is.Not.Null);
            replay.AssertRequestMatchesRecording();
        }
    }

    [Test]
    public async Task Update_lease_puts_to_the_object()
    {
        await using var replay = await Replay.StartAsync("update-lease-200");
        var updated = await replay.Client.ReplaceAsync(ResourceType.Lease, Lease(), default);
        Assert.That((string?)updated["kind"], Is.EqualTo("Lease"));
        replay.AssertRequestMatchesRecording();
    }

    [Test]
    public async Task Delete_of_a_missing_object_is_false()
    {
        await using var replay = await Replay.StartAsync("get-crs-binding-missing-404");
        Assert.That(await replay.Client.DeleteAsync(ResourceType.ClusterResourceSetBinding, "metal3", "capi-1", new DeleteOptions(), default), Is.False);
        Assert.That(replay.Request.Method, Is.EqualTo("DELETE"));
        Assert.That(replay.Request.Target, Is.EqualTo(replay.Recording.Target));
    }

    [Test]
    public void Cluster_without_endpoint_has_no_field()
    {
        var created = KubeApiRecordings.Get("create-cluster-no-endpoint-201").Json;
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
}
