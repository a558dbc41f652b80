using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using CapiCiliumAddon.Controller.Metrics;
using CapiCiliumAddon.Controller.Reconciliation;
using CapiCiliumAddon.Controller.Status;
using CapiCiliumAddon.Controller.Tests.Fakes;
using CapiCiliumAddon.Kubernetes;
using CapiCiliumAddon.Kubernetes.Events;
using CapiCiliumAddon.Testing.KubeApi;
using k8s;
using Microsoft.Extensions.Logging.Abstractions;

namespace CapiCiliumAddon.Controller.Tests.EndToEnd;

/// <summary>
/// Runs without a cluster: the controller's parts on the REAL <see cref="KubernetesClient"/>, i.e. on the
/// KubernetesClient library (HTTP, JSON, paths, queries, content types, watch streams) against an in-process server answering with the real kube-apiserver responses recorded in
/// tests/fixtures/kube-api. Every request must hit a recorded method+path; the few answers the recordings do not hold
/// (a 404 for an object not yet created, a label-selected list) are derived from recorded ones and say so.
/// </summary>
[TestFixture]
[CancelAfter(60_000)]
public sealed class RecordedApiReplayTests
{
    private const string Ns = "metal3";
    private const string FieldManagerQuery = "?fieldManager=capi-cilium-addon";

    private static CancellationToken Timeout() => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

    private static KubernetesClient Client(ReplayApiServer server) =>
        new(new KubernetesClientConfiguration { Host = server.Url.ToString() }, new KubernetesClientOptions { MaxRetryAttempts = 0 });

    /// <summary>The recorded 404 (get-cluster-missing-404) re-aimed at another object: the same Status shape.</summary>
    private static ReplayRoute NotFound(string path, string group, string plural, string name)
    {
        var status = KubeApiRecordings.Get("get-cluster-missing-404").Json;
        status["message"] = $"{plural}{(group.Length > 0 ? "." + group : "")} \"{name}\" not found";
        var details = new JsonObject { ["name"] = name, ["kind"] = plural };
        if (group.Length > 0) { details["group"] = group; }
        status["details"] = details;
        return new ReplayRoute("GET", path, 404, status.ToJsonString(), "derived from get-cluster-missing-404");
    }

    /// <summary>capi-1 as the recorded labelled list returns it (uid b15046b4-…, endpoint 10.250.250.29:6443).</summary>
    private static JsonObject RecordedCapi1() =>
        KubeApiRecordings.Get("list-clusters-all-ns-labelled-200").Json["items"]!.AsArray().OfType<JsonObject>()
            .Single(c => (string?)c["metadata"]!["name"] == "capi-1").DeepClone().AsObject();

    [Test]
    public async Task TheReconcilerSendsTheRequestsTheRecordedServerAnswered_AndUnderstandsItsAnswers()
    {
        var ssaConfigMap = KubeApiRecordings.Get("ssa-configmap-create-201");
        var ssaCrs = KubeApiRecordings.Get("ssa-crs-create-201");
        var labelPatch = KubeApiRecordings.Get("ssa-cluster-add-label-200");
        var createEvent = KubeApiRecordings.Get("create-event-events-v1-201");
        var configMapPath = ssaConfigMap.Path;   // /api/v1/namespaces/metal3/configmaps/capi-1-cilium
        var crsPath = ssaCrs.Path;               // /apis/addons.cluster.x-k8s.io/v1beta2/namespaces/metal3/clusterresourcesets/capi-1-cilium
        var routes = new List<ReplayRoute>
        {
            ReplayRoute.From(labelPatch),
            ReplayRoute.From(ssaConfigMap),
            ReplayRoute.From(ssaCrs),
            ReplayRoute.From(createEvent),
            NotFound(configMapPath, "", "configmaps", "capi-1-cilium"),
            NotFound(crsPath, "addons.cluster.x-k8s.io", "clusterresourcesets", "capi-1-cilium"),
        };
        await using var server = await ReplayApiServer.StartAsync(routes);
        using var client = Client(server);
        var cluster = RecordedCapi1();
        var reconciler = new ClusterReconciler(
            client,
            new FakeRenderer(),
            (ns, name) => ns == Ns && name == "capi-1" ? cluster : null,
            new EventRecorder(client, new EventRecorderOptions { ReportingInstance = "capi-cilium-addon-0" }),
            new ControllerMetrics(),
            new ReconcilerOptions(),
            NullLogger.Instance);

        var result = await reconciler.ReconcileAsync($"{Ns}/capi-1", Timeout());

        var requests = server.Requests.ToArray();
        var trace = string.Join("\n", requests.Select(r => $"{r.Method} {r.Target} -> {r.Source}"));
        Assert.That(result.Result, Is.EqualTo("applied"), $"{result.Message}\n{trace}");
        Assert.That(requests.Select(r => r.Source), Has.None.EqualTo(ReplayApiServer.Unrecorded), trace);
        Assert.That(requests.Select(r => $"{r.Method} {r.Path}"), Is.EqualTo(new[]
        {
            $"PATCH {labelPatch.Path}",
            $"GET {configMapPath}",
            $"GET {crsPath}",
            $"PATCH {configMapPath}",
            // Nothing of ours existed for this Cluster, so no earlier render's parts can be left over: no clean-up lists.
            $"PATCH {crsPath}",
            $"POST {createEvent.Path}",
        }), trace);

        var patches = requests.Where(r => r.Method == "PATCH").ToArray();
        Assert.Multiple(() =>
        {
            foreach (var patch in patches)
            {
                // The library adds "; charset=utf-8"; the API server drops parameters before matching the patch type.
                Assert.That(MediaTypeHeaderValue.Parse(patch.ContentType!).MediaType, Is.EqualTo("application/apply-patch+yaml"), patch.Target);
                // The recordings of the first applies used force=true; the controller deliberately never forces, so
                // a field owned by another manager is a 409 it reports instead of taking over.
                Assert.That(patch.Query, Is.EqualTo(FieldManagerQuery), patch.Target);
            }

            // The label patch is byte-for-byte the recorded request line, and sends only the label (touches nothing else).
            Assert.That(patches[0].Target, Is.EqualTo(labelPatch.Target));
            var labelBody = JsonNode.Parse(patches[0].Body)!.AsObject();
            Assert.That(labelBody.Select(kv => kv.Key), Is.EquivalentTo(new[] { "apiVersion", "kind", "metadata" }));
            Assert.That(labelBody["metadata"]!["labels"]!.ToJsonString(), Is.EqualTo("""{"addon.capi-cilium.io/cluster-name":"capi-1"}"""));

            // Our objects carry the Cluster's uid from the recorded list as their owner, like the recorded ConfigMap.
            var recordedOwnerUid = (string?)ssaConfigMap.Json["metadata"]!["ownerReferences"]![0]!["uid"];
            foreach (var patch in patches.Skip(1))
            {
                var owner = JsonNode.Parse(patch.Body)!["metadata"]!["ownerReferences"]![0]!;
                Assert.That((string?)owner["uid"], Is.EqualTo(recordedOwnerUid), patch.Target);
                Assert.That((string?)owner["apiVersion"], Is.EqualTo("cluster.x-k8s.io/v1beta2"), patch.Target);
            }

            var eventPost = requests.Single(r => r.Method == "POST");
            Assert.That(eventPost.ContentType, Does.StartWith("application/json"));
            var ev = JsonNode.Parse(eventPost.Body)!.AsObject();
            Assert.That((string?)ev["apiVersion"], Is.EqualTo("events.k8s.io/v1"));
            Assert.That((string?)ev["regarding"]!["uid"], Is.EqualTo((string?)createEvent.Json["regarding"]!["uid"]), "regarding the same Cluster as the recorded Event");
            Assert.That((string?)ev["reportingController"], Is.EqualTo((string?)createEvent.Json["reportingController"]));
            Assert.That((string?)ev["reason"], Is.EqualTo("CiliumApplied"));
        });
    }

    [Test]
    public async Task TheStatusReportListsWithTheRecordedQuery_AndReadsTheRecordedObjects()
    {
        var list = KubeApiRecordings.Get("list-clusters-all-ns-labelled-200");
        var ssaCrs = KubeApiRecordings.Get("ssa-crs-create-201");
        var routes = new List<ReplayRoute>
        {
            ReplayRoute.From(list),
            // A GET of the CRS answers what the recorded apply stored (its response body).
            new("GET", ssaCrs.Path, 200, ssaCrs.Body, "derived: ssa-crs-create-201's stored object"),
        };
        await using var server = await ReplayApiServer.StartAsync(routes);
        using var client = Client(server);

        var rows = await new ClusterStatusReport(client, ResourceType.Cluster, ResourceType.ClusterResourceSet)
            .ReadAsync(null, "cni=cilium", Timeout());

        var requests = server.Requests.ToArray();
        var trace = string.Join("\n", requests.Select(r => $"{r.Method} {r.Target} -> {r.Source}"));
        Assert.That(requests.Select(r => $"{r.Method} {r.Target}"), Is.EqualTo(new[]
        {
            // The recorded list (labelSelector=cni%3Dcilium, all namespaces) plus the page size of ListAllAsync.
            $"GET {list.Target}&limit=500",
            $"GET {ssaCrs.Path}",
        }), trace);
        // The recorded CRS (made by hand with label cilium.example/cluster) lacks our managed-by label: not ours.
        Assert.That(rows, Is.EqualTo(new[]
        {
            new ClusterStatus("metal3/capi-1", "10.250.250.29:6443", "-", "foreign", "-"),
            new ClusterStatus("metal3/pending-0", "-", "-", "waiting-for-endpoint", "-"),
        }));
    }

    [Test]
    public async Task TheInformerFollowsTheRecordedWatch_ResumesFromItsBookmark_AndRelistsAfterTheInStream410()
    {
        var list = KubeApiRecordings.Get("list-clusters-all-ns-labelled-200");
        var stream = KubeApiRecordings.Get("watch-clusters-stream");
        var expired = KubeApiRecordings.Get("watch-too-old-rv-410");
        var watches = 0;
        await using var server = await FakeApiServer.StartAsync(async (context, request, _) =>
        {
            if (request.Path != list.Path)
            {
                await FakeApiServer.Status(context, 404, "NotFound", $"{request.Path} is not in the recordings");
                return;
            }

            if (context.Request.Query["watch"] != "true")
            {
                await FakeApiServer.Json(context, 200, list.Body);
                return;
            }

            switch (Interlocked.Increment(ref watches))
            {
                case 1:
                    await FakeApiServer.Json(context, 200, stream.Body);
                    break;
                case 2:
                    // The watch resumes from the bookmark's resourceVersion, which etcd has compacted meanwhile.
                    await FakeApiServer.Json(context, 200, expired.Body.Trim() + "\n");
                    break;
                default:
                    context.Response.ContentType = "application/json";
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                    await Task.Delay(System.Threading.Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                    break;
            }
        });
        using var client = new KubernetesClient(new KubernetesClientConfiguration { Host = server.Url.ToString() }, new KubernetesClientOptions { MaxRetryAttempts = 0 });
        var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        var informer = new Informer(client, ResourceType.Cluster, new InformerOptions
        {
            LabelSelector = "cni=cilium",
            MinBackoff = TimeSpan.FromMilliseconds(10),
            OnError = errors.Enqueue,
        });
        var seen = new System.Collections.Concurrent.ConcurrentQueue<string>();
        informer.AddHandler(e => seen.Enqueue($"{e.Type} {e.Key} {e.Object["metadata"]!["resourceVersion"]}"));
        using var stop = new CancellationTokenSource();
        var run = informer.RunAsync(stop.Token);

        await FakeKubernetesClient.WaitUntilAsync(() => Volatile.Read(ref watches) >= 3 || run.IsCompleted);
        await stop.CancelAsync();
        Assert.CatchAsync<OperationCanceledException>(() => run);

        var requests = server.Requests.Select(r => $"{r.Method} {r.Target}").ToArray();
        var trace = string.Join("\n", requests);
        Assert.That(requests, Is.EqualTo(new[]
        {
            $"GET {list.Target}&limit=500",
            $"GET {list.Path}?allowWatchBookmarks=true&labelSelector=cni%3Dcilium&resourceVersion=239&timeoutSeconds=300&watch=true",
            $"GET {list.Path}?allowWatchBookmarks=true&labelSelector=cni%3Dcilium&resourceVersion=247&timeoutSeconds=300&watch=true",
            $"GET {list.Target}&limit=500",
            $"GET {list.Path}?allowWatchBookmarks=true&labelSelector=cni%3Dcilium&resourceVersion=239&timeoutSeconds=300&watch=true",
        }), trace);
        Assert.That(seen, Is.EqualTo(new[]
        {
            // The recorded list (resourceVersion 239).
            "Added metal3/capi-1 238",
            "Added metal3/pending-0 239",

            // The recorded stream: two updates, the label removed (DELETED for the selector), restored, the Cluster deleted;
            // then a bookmark at 247, from which the next watch resumes.
            "Modified metal3/pending-0 243",
            "Modified metal3/pending-0 244",
            "Deleted metal3/pending-0 245",
            "Added metal3/pending-0 246",
            "Deleted metal3/pending-0 247",

            // The in-stream 410: a re-list, whose difference to the cache is pending-0 being back; capi-1 did not change.
            "Added metal3/pending-0 239",
        }), trace);
        Assert.That(informer.ListCount, Is.EqualTo(2));
        Assert.That(errors.Single(), Is.TypeOf<KubernetesGoneException>().With.Message.EqualTo("too old resource version: 1 (236)"));
    }
}
