using System.Text.Json.Nodes;
using CapiCiliumAddon.Controller.Metrics;
using CapiCiliumAddon.Controller.Reconciliation;
using CapiCiliumAddon.Controller.Status;
using CapiCiliumAddon.Controller.Tests.Fakes;
using CapiCiliumAddon.Kubernetes;
using CapiCiliumAddon.Kubernetes.Events;
using Microsoft.Extensions.Logging.Abstractions;

namespace CapiCiliumAddon.Controller.Tests.EndToEnd;

/// <summary>
/// Runs without a cluster: the controller's parts on the REAL <see cref="KubernetesClient"/> (HTTP, JSON, paths,
/// queries, content types) against an in-process server answering with the real kube-apiserver responses recorded in
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
        new(server.Url, new SocketsHttpHandler(), new KubernetesClientOptions { MaxRetryAttempts = 0 });

    /// <summary>The recorded 404 (get-cluster-missing-404) re-aimed at another object: the same Status shape.</summary>
    private static ReplayRoute NotFound(string path, string group, string plural, string name)
    {
        var status = Recordings.Get("get-cluster-missing-404").Json;
        status["message"] = $"{plural}{(group.Length > 0 ? "." + group : "")} \"{name}\" not found";
        var details = new JsonObject { ["name"] = name, ["kind"] = plural };
        if (group.Length > 0) { details["group"] = group; }
        status["details"] = details;
        return new ReplayRoute("GET", path, 404, status.ToJsonString(), "derived from get-cluster-missing-404");
    }

    /// <summary>capi-1 as the recorded labelled list returns it (uid b15046b4-…, endpoint 10.250.250.29:6443).</summary>
    private static JsonObject RecordedCapi1() =>
        Recordings.Get("list-clusters-all-ns-labelled-200").Json["items"]!.AsArray().OfType<JsonObject>()
            .Single(c => (string?)c["metadata"]!["name"] == "capi-1").DeepClone().AsObject();

    [Test]
    public async Task TheReconcilerSendsTheRequestsTheRecordedServerAnswered_AndUnderstandsItsAnswers()
    {
        var ssaConfigMap = Recordings.Get("ssa-configmap-create-201");
        var ssaCrs = Recordings.Get("ssa-crs-create-201");
        var labelPatch = Recordings.Get("ssa-cluster-add-label-200");
        var createEvent = Recordings.Get("create-event-events-v1-201");
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
                Assert.That(patch.ContentType, Is.EqualTo("application/apply-patch+yaml"), patch.Target);
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
        var list = Recordings.Get("list-clusters-all-ns-labelled-200");
        var ssaCrs = Recordings.Get("ssa-crs-create-201");
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
}
