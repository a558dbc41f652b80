using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using System.Text.Json.Nodes;
using CapiCiliumAddon.Controller.Metrics;
using CapiCiliumAddon.Controller.Reconciliation;
using CapiCiliumAddon.Controller.Tests.Fakes;
using CapiCiliumAddon.Kubernetes;
using CapiCiliumAddon.Kubernetes.Events;
using CapiCiliumAddon.Rendering;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;

namespace CapiCiliumAddon.Controller.Tests.Controller;

[TestFixture]
[CancelAfter(30_000)]
public sealed class ClusterReconcilerTests
{
    private const string Ns = "metal3";
    private static readonly ResourceType Crs = ResourceType.ClusterResourceSet;
    private FakeKubernetesClient fake = null!;
    private FakeRenderer renderer = null!;
    private ControllerMetrics metrics = null!;
    private MetricCollector<long> renders = null!;

    [SetUp]
    public void SetUp()
    {
        fake = new FakeKubernetesClient();
        renderer = new FakeRenderer();
        metrics = new ControllerMetrics();
        renders = new MetricCollector<long>(metrics.RendersTotal);
    }

    [TearDown]
    public void TearDown()
    {
        renders.Dispose();
        metrics.Dispose();
    }

    private ClusterReconciler NewReconciler() => new(
        fake,
        renderer,
        (ns, name) => fake.Peek(ResourceType.Cluster, ns, name),
        new EventRecorder(fake, new EventRecorderOptions { ReportingInstance = "test" }),
        metrics,
        new ReconcilerOptions(),
        NullLogger.Instance);

    private List<JsonObject> Events(string? reason = null) =>
        fake.All(ResourceType.Event).Where(e => reason is null || e["reason"]!.GetValue<string>() == reason).ToList();

    private List<FakeCall> ObjectWrites() => fake.Writes.Where(w => w.Type.Plural != "events").ToList();

    private static string Uid(JsonObject o) => o["metadata"]!["uid"]!.GetValue<string>();

    [Test]
    public async Task AReadyClusterGetsItsLabelThenConfigMapThenCrsOwnedByIt()
    {
        var cluster = fake.Seed(ResourceType.Cluster, Objects.Cluster(Ns, "capi-1"));
        var result = await NewReconciler().ReconcileAsync("metal3/capi-1", CancellationToken.None);

        Assert.That(result.Result, Is.EqualTo("applied"));
        Assert.That(ObjectWrites().Select(w => $"{w.Verb} {w.Type.Kind} {w.Name}"), Is.EqualTo(new[]
        {
            "apply Cluster capi-1", "apply ConfigMap capi-1-cilium", "apply ClusterResourceSet capi-1-cilium",
        }));
        Assert.That(fake.Writes.Where(w => w.Verb == "apply").Select(w => w.FieldManager), Is.All.EqualTo("capi-cilium-addon"));

        var live = fake.Peek(ResourceType.Cluster, Ns, "capi-1")!;
        Assert.That(live["metadata"]!["labels"]!["addon.capi-cilium.io/cluster-name"]!.GetValue<string>(), Is.EqualTo("capi-1"));
        Assert.That(live["metadata"]!["labels"]!["cni"]!.GetValue<string>(), Is.EqualTo("cilium"));
        Assert.That(live["spec"]!.ToJsonString(), Is.EqualTo(cluster["spec"]!.ToJsonString()));

        foreach (var obj in new[] { fake.Peek(ResourceType.ConfigMap, Ns, "capi-1-cilium")!, fake.Peek(Crs, Ns, "capi-1-cilium")! })
        {
            var owner = obj["metadata"]!["ownerReferences"]!.AsArray().Single()!;
            Assert.That(owner["uid"]!.GetValue<string>(), Is.EqualTo(Uid(cluster)));
            Assert.That(owner["kind"]!.GetValue<string>(), Is.EqualTo("Cluster"));
            Assert.That(owner["apiVersion"]!.GetValue<string>(), Is.EqualTo("cluster.x-k8s.io/v1beta2"));
            Assert.That(owner["controller"]!.GetValue<bool>(), Is.False);
            Assert.That(owner["blockOwnerDeletion"]!.GetValue<bool>(), Is.False);
        }

        Assert.That(renderer.Renders, Is.EqualTo(1));
        Assert.That(renders.GetMeasurementSnapshot().Select(m => m.Tags["result"]), Is.EqualTo(new[] { "success" }));
        Assert.That(Events("CiliumApplied"), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task WithoutAnEndpointItWaitsWithAnEventThenRendersOnceTheEndpointAppears()
    {
        fake.Seed(ResourceType.Cluster, Objects.Cluster(Ns, "capi-1", host: null));
        var reconciler = NewReconciler();
        var result = await reconciler.ReconcileAsync("metal3/capi-1", CancellationToken.None);

        Assert.That(result.Result, Is.EqualTo("waiting"));
        Assert.That(ObjectWrites(), Is.Empty);
        Assert.That(renderer.Renders, Is.Zero);
        var ev = Events("WaitingForControlPlaneEndpoint").Single();
        Assert.That(ev["note"]!.GetValue<string>(), Does.Contain("spec.controlPlaneEndpoint.host"));

        fake.Mutate(ResourceType.Cluster, Ns, "capi-1", c => c["spec"]!["controlPlaneEndpoint"] = new JsonObject { ["host"] = "10.0.0.10", ["port"] = 6443 });
        result = await reconciler.ReconcileAsync("metal3/capi-1", CancellationToken.None);
        Assert.That(result.Result, Is.EqualTo("applied"));
        Assert.That(fake.Peek(ResourceType.ConfigMap, Ns, "capi-1-cilium"), Is.Not.Null);
        Assert.That(fake.Peek(Crs, Ns, "capi-1-cilium"), Is.Not.Null);
    }

    [Test]
    public async Task AClusterWithoutTheCniLabelGetsNothing()
    {
        fake.Seed(ResourceType.Cluster, Objects.Cluster(Ns, "plain", cilium: false));
        var result = await NewReconciler().ReconcileAsync("metal3/plain", CancellationToken.None);
        Assert.That(result.Failed, Is.False);
        Assert.That(fake.Writes, Is.Empty);
        Assert.That(renderer.Renders, Is.Zero);
        Assert.That(fake.Peek(ResourceType.Cluster, Ns, "plain")!["metadata"]!["labels"]!.AsObject().ContainsKey("addon.capi-cilium.io/cluster-name"), Is.False);
    }

    [Test]
    public async Task RemovingTheLabelOrTheClusterDeletesOurObjectsOnly()
    {
        fake.Seed(ResourceType.Cluster, Objects.Cluster(Ns, "capi-1"));
        fake.Seed(ResourceType.Cluster, Objects.Cluster(Ns, "capi-2"));
        var reconciler = NewReconciler();
        await reconciler.ReconcileAsync("metal3/capi-1", CancellationToken.None);
        await reconciler.ReconcileAsync("metal3/capi-2", CancellationToken.None);
        fake.Seed(ResourceType.ConfigMap, Objects.ConfigMap(Ns, "unrelated", labels: new() { ["app.kubernetes.io/managed-by"] = "capi-cilium-addon" }));

        fake.Mutate(ResourceType.Cluster, Ns, "capi-1", c => c["metadata"]!["labels"]!.AsObject().Remove("cni"));
        var result = await reconciler.ReconcileAsync("metal3/capi-1", CancellationToken.None);
        Assert.That(result.Result, Is.EqualTo("deleted"));
        Assert.That(fake.Peek(ResourceType.Cluster, Ns, "capi-1")!["metadata"]!["labels"]!.AsObject().ContainsKey("addon.capi-cilium.io/cluster-name"), Is.False,
            "our selector label is released with the objects");
        Assert.That(fake.Peek(ResourceType.ConfigMap, Ns, "capi-1-cilium"), Is.Null);
        Assert.That(fake.Peek(Crs, Ns, "capi-1-cilium"), Is.Null);
        Assert.That(fake.Peek(ResourceType.ConfigMap, Ns, "capi-2-cilium"), Is.Not.Null);
        Assert.That(fake.Peek(ResourceType.ConfigMap, Ns, "unrelated"), Is.Not.Null);
        var deletes = fake.Writes.Where(w => w.Verb == "delete").Select(w => w.Type.Kind).ToList();
        Assert.That(deletes, Is.EqualTo(new[] { "ClusterResourceSet", "ConfigMap" }), "CRS first");

        await fake.DeleteAsync(ResourceType.Cluster, Ns, "capi-2", new DeleteOptions(), CancellationToken.None);
        await reconciler.ReconcileAsync("metal3/capi-2", CancellationToken.None);
        Assert.That(fake.Peek(ResourceType.ConfigMap, Ns, "capi-2-cilium"), Is.Null);
        Assert.That(fake.Peek(Crs, Ns, "capi-2-cilium"), Is.Null);
    }

    [Test]
    public async Task ARestartOverCurrentObjectsRendersNothingAndWritesNothing()
    {
        fake.Seed(ResourceType.Cluster, Objects.Cluster(Ns, "capi-1"));
        await NewReconciler().ReconcileAsync("metal3/capi-1", CancellationToken.None);
        fake.ClearCalls();
        var rendersBefore = renderer.Renders;

        var result = await NewReconciler().ReconcileAsync("metal3/capi-1", CancellationToken.None);
        Assert.That(result.Result, Is.EqualTo("current"));
        Assert.That(renderer.Renders, Is.EqualTo(rendersBefore));
        Assert.That(fake.Writes, Is.Empty);
    }

    [Test]
    public async Task AForeignConfigMapWithOurNameSurvivesAndAnEventSaysSo()
    {
        fake.Seed(ResourceType.Cluster, Objects.Cluster(Ns, "capi-1"));
        var foreign = fake.Seed(ResourceType.ConfigMap, Objects.ConfigMap(Ns, "capi-1-cilium", new() { ["mine"] = "do not touch" }));
        var result = await NewReconciler().ReconcileAsync("metal3/capi-1", CancellationToken.None);

        Assert.That(result.Failed, Is.True, "retried later with backoff");
        Assert.That(renderer.Renders, Is.Zero);
        Assert.That(fake.Peek(ResourceType.ConfigMap, Ns, "capi-1-cilium")!.ToJsonString(), Is.EqualTo(foreign.ToJsonString()));
        Assert.That(fake.Peek(Crs, Ns, "capi-1-cilium"), Is.Null);
        var ev = Events("ObjectNotOwned").Single();
        Assert.That(ev["type"]!.GetValue<string>(), Is.EqualTo("Warning"));
        Assert.That(ev["note"]!.GetValue<string>(), Does.Contain("ConfigMap metal3/capi-1-cilium"));
    }

    [Test]
    public async Task AnObjectOwnedByAnotherClusterIsNotOverwritten()
    {
        fake.Seed(ResourceType.Cluster, Objects.Cluster(Ns, "capi-1"));
        var cm = Objects.ConfigMap(Ns, "capi-1-cilium", labels: new() { ["app.kubernetes.io/managed-by"] = "capi-cilium-addon" });
        cm["metadata"]!["ownerReferences"] = new JsonArray(new JsonObject { ["apiVersion"] = "cluster.x-k8s.io/v1beta2", ["kind"] = "Cluster", ["name"] = "other", ["uid"] = "other-uid" });
        fake.Seed(ResourceType.ConfigMap, cm);
        var result = await NewReconciler().ReconcileAsync("metal3/capi-1", CancellationToken.None);
        Assert.That(result.Result, Is.EqualTo("conflict"));
        Assert.That(Events("ObjectNotOwned").Single()["note"]!.GetValue<string>(), Does.Contain("belongs to Cluster other"));
    }

    [Test]
    public async Task AFieldOwnedByAnotherManagerIsAConflictNotAnOverwrite()
    {
        fake.Seed(ResourceType.Cluster, Objects.Cluster(Ns, "capi-1"));
        var reconciler = NewReconciler();
        await reconciler.ReconcileAsync("metal3/capi-1", CancellationToken.None);
        // Someone else takes over a data key with force, and the input changes.
        var cm = fake.Peek(ResourceType.ConfigMap, Ns, "capi-1-cilium")!;
        await fake.ApplyAsync(ResourceType.ConfigMap, new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject { ["name"] = "capi-1-cilium", ["namespace"] = Ns },
            ["data"] = new JsonObject { ["cilium.yaml"] = "hijacked" },
        }, new ApplyOptions("someone-else", Force: true), CancellationToken.None);
        fake.Mutate(ResourceType.Cluster, Ns, "capi-1", c => c["spec"]!["controlPlaneEndpoint"]!["port"] = 7443);

        var result = await reconciler.ReconcileAsync("metal3/capi-1", CancellationToken.None);
        Assert.That(result.Result, Is.EqualTo("conflict"));
        Assert.That(fake.Peek(ResourceType.ConfigMap, Ns, "capi-1-cilium")!["data"]!["cilium.yaml"]!.GetValue<string>(), Is.EqualTo("hijacked"));
        Assert.That(Events("ObjectNotOwned").Single()["note"]!.GetValue<string>(), Does.Contain(".data.cilium.yaml"));
        Assert.That(cm, Is.Not.Null);
    }

    [Test]
    public async Task AnAppliedBindingAndAChangedHashRaiseTheApplyOnceEvent()
    {
        fake.Seed(ResourceType.Cluster, Objects.Cluster(Ns, "capi-1"));
        var reconciler = NewReconciler();
        await reconciler.ReconcileAsync("metal3/capi-1", CancellationToken.None);
        Assert.That(Events("ApplyOnceNotReapplied"), Is.Empty);
        fake.Seed(ResourceType.ClusterResourceSetBinding, JsonNode.Parse("""
            {"apiVersion":"addons.cluster.x-k8s.io/v1beta2","kind":"ClusterResourceSetBinding",
             "metadata":{"name":"capi-1","namespace":"metal3"},
             "spec":{"clusterName":"capi-1","bindings":[{"clusterResourceSetName":"capi-1-cilium",
               "resources":[{"applied":true,"hash":"sha256:2b7f","kind":"ConfigMap","name":"capi-1-cilium"}]}]}}
            """)!.AsObject());

        fake.Mutate(ResourceType.Cluster, Ns, "capi-1", c => c["spec"]!["controlPlaneEndpoint"]!["port"] = 7443);
        var result = await reconciler.ReconcileAsync("metal3/capi-1", CancellationToken.None);
        Assert.That(result.Result, Is.EqualTo("applied"));
        var ev = Events("ApplyOnceNotReapplied").Single();
        Assert.That(ev["type"]!.GetValue<string>(), Is.EqualTo("Normal"));
        Assert.That(ev["note"]!.GetValue<string>(), Does.Contain("ApplyOnce"));
    }

    [Test]
    public async Task PartsOfAnEarlierLargerRenderAreDeleted()
    {
        var c = Objects.Cluster(Ns, "capi-1");
        c["metadata"]!["annotations"] = new JsonObject { ["test/parts"] = "3" };
        fake.Seed(ResourceType.Cluster, c);
        var reconciler = NewReconciler();
        await reconciler.ReconcileAsync("metal3/capi-1", CancellationToken.None);
        Assert.That(fake.Peek(ResourceType.ConfigMap, Ns, "capi-1-cilium-3"), Is.Not.Null);

        fake.Mutate(ResourceType.Cluster, Ns, "capi-1", o => o["metadata"]!["annotations"]!["test/parts"] = "2");
        await reconciler.ReconcileAsync("metal3/capi-1", CancellationToken.None);
        Assert.That(fake.Peek(ResourceType.ConfigMap, Ns, "capi-1-cilium-3"), Is.Null);
        Assert.That(fake.Peek(ResourceType.ConfigMap, Ns, "capi-1-cilium-2"), Is.Not.Null);
        Assert.That(fake.Peek(Crs, Ns, "capi-1-cilium")!["spec"]!["resources"]!.AsArray(), Has.Count.EqualTo(2));
    }

    [Test]
    public async Task ObjectsOfARecreatedClusterOfTheSameNameAreReplaced()
    {
        fake.Seed(ResourceType.Cluster, Objects.Cluster(Ns, "capi-1"));
        var reconciler = NewReconciler();
        await reconciler.ReconcileAsync("metal3/capi-1", CancellationToken.None);
        await fake.DeleteAsync(ResourceType.Cluster, Ns, "capi-1", new DeleteOptions(), CancellationToken.None);
        var again = fake.Seed(ResourceType.Cluster, Objects.Cluster(Ns, "capi-1"));

        var result = await reconciler.ReconcileAsync("metal3/capi-1", CancellationToken.None);
        Assert.That(result.Result, Is.EqualTo("applied"));
        var owner = fake.Peek(ResourceType.ConfigMap, Ns, "capi-1-cilium")!["metadata"]!["ownerReferences"]![0]!;
        Assert.That(owner["uid"]!.GetValue<string>(), Is.EqualTo(Uid(again)));
    }

    [Test]
    public async Task InvalidClustersAndFailedRendersRaiseWarningsListingTheProblems()
    {
        var c = Objects.Cluster(Ns, "bad");
        c["metadata"]!["annotations"] = new JsonObject { ["test/invalid"] = "yes" };
        fake.Seed(ResourceType.Cluster, c);
        fake.Seed(ResourceType.Cluster, Objects.Cluster(Ns, "capi-1"));
        renderer.FailWith = [Problem.Error("DaemonSet kube-system/cilium", "env.KUBERNETES_SERVICE_HOST", "missing")];
        var reconciler = NewReconciler();

        var invalid = await reconciler.ReconcileAsync("metal3/bad", CancellationToken.None);
        var failed = await reconciler.ReconcileAsync("metal3/capi-1", CancellationToken.None);

        Assert.That(invalid.Result, Is.EqualTo("invalid"));
        Assert.That(Events("InvalidCluster").Single()["note"]!.GetValue<string>(), Does.Contain("test/invalid"));
        Assert.That(failed.Failed, Is.True);
        Assert.That(Events("RenderFailed").Single()["note"]!.GetValue<string>(), Does.Contain("KUBERNETES_SERVICE_HOST"));
        Assert.That(fake.Peek(ResourceType.ConfigMap, Ns, "capi-1-cilium"), Is.Null);
        Assert.That(reconciler.States["metal3/bad"], Is.EqualTo(ClusterStates.Invalid));
    }

    [Test]
    public async Task ValuesConfigMapsAreReadAndMissingOnesAreAbsent()
    {
        var c = Objects.Cluster(Ns, "capi-1");
        c["metadata"]!["annotations"] = new JsonObject { [FakeRenderer.ValuesAnnotation] = "values" };
        fake.Seed(ResourceType.Cluster, c);
        var reconciler = NewReconciler();
        await reconciler.ReconcileAsync("metal3/capi-1", CancellationToken.None);
        var hashWithout = fake.Peek(ResourceType.ConfigMap, Ns, "capi-1-cilium")!["metadata"]!["annotations"]!["addon.capi-cilium.io/input-hash"]!.GetValue<string>();

        fake.Seed(ResourceType.ConfigMap, Objects.ConfigMap(Ns, "values", new() { ["values.yaml"] = "debug: true" }));
        await reconciler.ReconcileAsync("metal3/capi-1", CancellationToken.None);
        var hashWith = fake.Peek(ResourceType.ConfigMap, Ns, "capi-1-cilium")!["metadata"]!["annotations"]!["addon.capi-cilium.io/input-hash"]!.GetValue<string>();
        Assert.That(hashWith, Is.Not.EqualTo(hashWithout));
        Assert.That(renderer.Renders, Is.EqualTo(2));
    }

    [Test]
    public async Task ApiFailuresBecomeAnEventAndARetry()
    {
        fake.Seed(ResourceType.Cluster, Objects.Cluster(Ns, "capi-1"));
        fake.FailNext(c => c.Verb == "apply" && c.Type.Kind == "ClusterResourceSet", FakeKubernetesClient.ServerError);
        var reconciler = NewReconciler();
        var result = await reconciler.ReconcileAsync("metal3/capi-1", CancellationToken.None);
        Assert.That(result.Failed, Is.True);
        Assert.That(Events("ReconcileFailed").Single()["note"]!.GetValue<string>(), Does.Contain("500"));

        result = await reconciler.ReconcileAsync("metal3/capi-1", CancellationToken.None);
        Assert.That(result.Result, Is.EqualTo("applied"));
        Assert.That(fake.Peek(Crs, Ns, "capi-1-cilium"), Is.Not.Null);
    }

    [Test]
    public async Task AClusterBeingDeletedGetsNoRenderAndLosesOurObjects()
    {
        fake.Seed(ResourceType.Cluster, Objects.Cluster(Ns, "capi-1"));
        var reconciler = NewReconciler();
        await reconciler.ReconcileAsync("metal3/capi-1", CancellationToken.None);
        fake.Mutate(ResourceType.Cluster, Ns, "capi-1", c =>
        {
            c["metadata"]!["deletionTimestamp"] = "2026-11-21T20:00:00Z";
            c["spec"]!["controlPlaneEndpoint"]!["port"] = 7443;
        });

        var result = await reconciler.ReconcileAsync("metal3/capi-1", CancellationToken.None);
        Assert.That(result.Result, Is.EqualTo("deleted"));
        Assert.That(renderer.Renders, Is.EqualTo(1));
        Assert.That(fake.Peek(ResourceType.ConfigMap, Ns, "capi-1-cilium"), Is.Null);
    }
}
