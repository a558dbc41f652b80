using System.Globalization;
using System.Text.Json.Nodes;
using CapiCiliumAddon.Controller.Hosting;
using CapiCiliumAddon.Controller.Tests.Fakes;
using CapiCiliumAddon.Kubernetes;
using CapiCiliumAddon.Rendering.CiliumCli;
using CapiCiliumAddon.Rendering.Pipeline;
using CapiCiliumAddon.Rendering.Pipeline.Stamping;
using CapiCiliumAddon.Rendering.Planning;
using CapiCiliumAddon.Rendering.Settings;
using CapiCiliumAddon.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace CapiCiliumAddon.Controller.Tests.Controller;

/// <summary>
/// A fleet created from one template, with the REAL rendering core and the fake CLI behind the controller: the burst
/// costs a couple of CLI runs, not one per Cluster, and what is written is what unstamped reconciles write.
/// </summary>
[TestFixture]
[CancelAfter(300_000)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class StampedBurstTests
{
    private const int Burst = 200;

    /// <summary>Every this many Clusters one is also reconciled without stamping, to compare its objects byte for byte.</summary>
    private const int CompareEvery = 10;

    private TempDirectory _temp = null!;

    [SetUp]
    public void SetUp() => _temp = new TempDirectory();

    [TearDown]
    public void TearDown() => _temp.Dispose();

    private static JsonObject Cluster(int i)
    {
        var cluster = Objects.Cluster("fleet", string.Create(CultureInfo.InvariantCulture, $"edge-{i:D3}"),
            host: string.Create(CultureInfo.InvariantCulture, $"10.{i / 250}.{i % 250}.10"), port: 6443 + (i % 7));
        cluster["spec"]!["clusterNetwork"]!["pods"]!["cidrBlocks"] = new JsonArray(string.Create(CultureInfo.InvariantCulture, $"10.{100 + (i / 250)}.{i % 250}.0/24"));
        cluster["metadata"]!["uid"] = string.Create(CultureInfo.InvariantCulture, $"uid-edge-{i:D3}");
        return cluster;
    }

    private async Task<(CoreClusterAddonRenderer Renderer, string Record)> RealRenderer(string name, bool stamping)
    {
        var record = _temp.Combine($"record-{name}");
        var cli = FakeCiliumCli.CreateWrapper(_temp.Combine($"bin-{name}"), "replay", record);
        var runner = new CiliumCliRunner(new CiliumCliOptions(cli) { Timeout = TimeSpan.FromSeconds(60) });
        var chart = ChartDirectory.Load(FakeChart.Create(_temp.Combine("chart"), "1.18.12"));
        var context = new PlanContext(new ProfileLibrary(null), [chart], null, await runner.GetVersionAsync(CancellationToken.None), "0.1.0");
        var pipeline = new AddonRenderPipeline(runner);
        return (new CoreClusterAddonRenderer(new RenderPlanner(context), pipeline, stamping ? new StampTemplateCache(runner, pipeline) : null), record);
    }

    private static int InstallRuns(string record) => FakeCiliumCli.ReadInvocations(record).Count(i => i.Argv.FirstOrDefault() == "install");

    private static ControllerOptions Options() => new() { Workers = 2, ShutdownTimeout = TimeSpan.FromSeconds(30) };

    /// <summary>Runs a controller over <paramref name="fake"/> until <paramref name="done"/> holds; returns its counters (the caller disposes them).</summary>
    private static async Task<ControllerMetricTotals> RunUntilAsync(FakeKubernetesClient fake, IClusterAddonRenderer renderer, Func<ControllerMetricTotals, bool> done)
    {
        using var host = ControllerHost.Build(Options(), fake, renderer, NullLoggerFactory.Instance);
        var totals = new ControllerMetricTotals(host.Services.GetRequiredService<ControllerService>().Metrics);
        await host.StartAsync();
        await FakeKubernetesClient.WaitUntilAsync(() => done(totals), timeoutSeconds: 240);
        await host.StopAsync();
        return totals;
    }

    [Test]
    public async Task ABurstOfOneGroupCostsAtMostThreeCliRunsAndWritesWhatUnstampedReconcilesWrite()
    {
        var fake = new FakeKubernetesClient();
        for (var i = 0; i < Burst; i++)
        {
            fake.Seed(ResourceType.Cluster, Cluster(i));
        }

        var (stamped, record) = await RealRenderer("stamped", stamping: true);
        using var metrics = await RunUntilAsync(fake, stamped, m => m.Reconciles("applied") >= Burst);

        Assert.That(InstallRuns(record), Is.LessThanOrEqualTo(3), "`cilium install` runs for the whole burst");
        Assert.That(fake.All(ResourceType.ClusterResourceSet), Has.Count.EqualTo(Burst));
        Assert.That((metrics.RendersByKind("direct"), metrics.RendersByKind("stamped"), metrics.RendersByKind("fallback")), Is.EqualTo((1L, (long)Burst - 1, 0L)),
            "renders by kind: the group's first Cluster directly, every other one stamped");
        Assert.That(metrics.Reconciles("applied") + metrics.Reconciles("current"), Is.EqualTo(Burst),
            "one reconcile per Cluster: the event of our own label patch does not cause a second one");

        // A restart over the burst renders and writes nothing.
        var installsBefore = InstallRuns(record);
        fake.ClearCalls();
        var (restarted, _) = await RealRenderer("stamped", stamping: true);
        var counting = new CountingRenderer(restarted);
        (await RunUntilAsync(fake, counting, m => m.Reconciles("current") >= Burst)).Dispose();
        Assert.That((counting.Renders, InstallRuns(record) - installsBefore, fake.Writes.Count), Is.EqualTo((0, 0, 0)), "renders, CLI runs and writes after the restart");

        // The same Clusters reconciled without stamping (every tenth: one CLI run each) write the same objects.
        var unstampedApi = new FakeKubernetesClient();
        var compared = Enumerable.Range(0, Burst).Where(i => i % CompareEvery == 0).ToList();
        foreach (var i in compared)
        {
            unstampedApi.Seed(ResourceType.Cluster, Cluster(i));
        }

        var (unstamped, unstampedRecord) = await RealRenderer("unstamped", stamping: false);
        (await RunUntilAsync(unstampedApi, unstamped, m => m.Reconciles("applied") >= compared.Count)).Dispose();
        Assert.That(InstallRuns(unstampedRecord), Is.EqualTo(compared.Count));
        foreach (var type in new[] { ResourceType.ConfigMap, ResourceType.Secret, ResourceType.ClusterResourceSet })
        {
            var expected = unstampedApi.All(type).Select(Comparable).Order(StringComparer.Ordinal).ToList();
            var actual = fake.All(type).Where(o => compared.Any(i => ((string)o["metadata"]!["name"]!).StartsWith($"edge-{i:D3}-", StringComparison.Ordinal)))
                .Select(Comparable).Order(StringComparer.Ordinal).ToList();
            Assert.That(actual, Is.EqualTo(expected), $"{type.Kind}s of the compared Clusters, byte for byte");
        }

        Assert.That(unstampedApi.All(ResourceType.ConfigMap).Single(c => (string)c["metadata"]!["name"]! == "edge-190-cilium").ToJsonString(),
            Does.Contain("10.0.190.10").And.Contain("10.100.190.0/24"), "the compared objects carry their own Cluster's facts");
    }

    /// <summary>The stored object without what the API server sets (uid, resourceVersion), as JSON text.</summary>
    private static string Comparable(JsonObject stored)
    {
        var copy = stored.DeepClone().AsObject();
        copy["metadata"]!.AsObject().Remove("resourceVersion");
        copy["metadata"]!.AsObject().Remove("uid");
        return copy.ToJsonString();
    }
}
