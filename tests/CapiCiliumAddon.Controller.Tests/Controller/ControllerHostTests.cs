using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using System.Text.Json.Nodes;
using CapiCiliumAddon.Controller.Hosting;
using CapiCiliumAddon.Controller.Tests.Fakes;
using CapiCiliumAddon.Kubernetes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;

namespace CapiCiliumAddon.Controller.Tests.Controller;

[TestFixture]
[CancelAfter(120_000)]
public sealed class ControllerHostTests
{
    private static ControllerOptions Fast(string? metrics = null, bool leaderElect = false, string identity = "pod-0") => new()
    {
        MetricsAddress = metrics,
        LeaderElect = leaderElect,
        Identity = identity,
        LeaderElectionNamespace = "capi-cilium-system",
        LeaseDuration = TimeSpan.FromSeconds(4),
        RenewDeadline = TimeSpan.FromSeconds(2),
        RetryPeriod = TimeSpan.FromMilliseconds(100),
        BackoffBase = TimeSpan.FromMilliseconds(10),
        BackoffMax = TimeSpan.FromMilliseconds(200),
        InformerMinBackoff = TimeSpan.FromMilliseconds(10),
        InformerMaxBackoff = TimeSpan.FromMilliseconds(100),
        ShutdownTimeout = TimeSpan.FromSeconds(20),
    };

    private static bool Converged(FakeKubernetesClient fake, params string[] clusters) =>
        clusters.All(c => fake.Peek(ResourceType.ConfigMap, "metal3", $"{c}-cilium") is not null && fake.Peek(ResourceType.ClusterResourceSet, "metal3", $"{c}-cilium") is not null);

    [Test]
    public async Task ConvergesThroughConflictsThrottlingServerErrorsAndDroppedWatches()
    {
        var fake = new FakeKubernetesClient();
        fake.Seed(ResourceType.Cluster, Objects.Cluster("metal3", "capi-1"));
        fake.Seed(ResourceType.Cluster, Objects.Cluster("metal3", "capi-2", host: null));
        fake.FailNext(c => c.Verb == "list" && c.Type.Kind == "Cluster", FakeKubernetesClient.ServerError, 2);
        fake.FailNext(c => c.Verb == "apply" && c.Type.Kind == "Cluster", FakeKubernetesClient.Conflict);
        fake.FailNext(c => c.Verb == "apply" && c.Type.Kind == "ConfigMap", FakeKubernetesClient.TooManyRequests, 2);
        fake.FailNext(c => c.Verb == "get" && c.Type.Kind == "ClusterResourceSet", FakeKubernetesClient.ServerError, 2);
        var renderer = new FakeRenderer();
        using var host = ControllerHost.Build(Fast(), fake, renderer, NullLoggerFactory.Instance);
        var service = host.Services.GetRequiredService<ControllerService>();
        using var reconciles = new MetricCollector<long>(service.Metrics.ReconcilesTotal);
        await host.StartAsync();

        await FakeKubernetesClient.WaitUntilAsync(() => Converged(fake, "capi-1"));
        // The watch drops and a 410 forces a re-list while the endpoint of capi-2 appears.
        await fake.WaitForWatchAsync();
        fake.DropWatches();
        fake.Mutate(ResourceType.Cluster, "metal3", "capi-2", c => c["spec"]!["controlPlaneEndpoint"] = new JsonObject { ["host"] = "10.0.0.20", ["port"] = 6443 });
        fake.Compact();
        fake.BreakWatchesWithGone();
        await FakeKubernetesClient.WaitUntilAsync(() => Converged(fake, "capi-1", "capi-2"));

        Assert.That(reconciles.GetMeasurementSnapshot().Count(m => Equals(m.Tags["result"], "error")), Is.GreaterThanOrEqualTo(1));
        await host.StopAsync();
    }

    [Test]
    public async Task AWriteThatFailsAfterAGoodRenderIsRetriedWithoutRenderingAgain()
    {
        var fake = new FakeKubernetesClient();
        fake.Seed(ResourceType.Cluster, Objects.Cluster("metal3", "capi-1"));
        fake.FailNext(c => c.Verb == "apply" && c.Type.Kind == "ConfigMap", FakeKubernetesClient.ServerError, 2);
        fake.FailNext(c => c.Verb == "apply" && c.Type.Kind == "ClusterResourceSet", FakeKubernetesClient.TooManyRequests);
        var renderer = new FakeRenderer();
        using var host = ControllerHost.Build(Fast(), fake, renderer, NullLoggerFactory.Instance);
        await host.StartAsync();

        await FakeKubernetesClient.WaitUntilAsync(() => Converged(fake, "capi-1"));
        await host.StopAsync();

        Assert.That(renderer.Renders, Is.EqualTo(1), "one change, one render: retries re-write the same render");
    }

    [Test]
    public async Task ShutdownCancelsAHangingRender()
    {
        var fake = new FakeKubernetesClient();
        fake.Seed(ResourceType.Cluster, Objects.Cluster("metal3", "capi-1"));
        var renderer = new FakeRenderer { Gate = new TaskCompletionSource() };
        using var host = ControllerHost.Build(Fast(), fake, renderer, NullLoggerFactory.Instance);
        await host.StartAsync();
        await renderer.RenderStarted.Task.WaitAsync(TimeSpan.FromSeconds(60));

        await host.StopAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.That(renderer.RenderCancelled.Task.IsCompleted, Is.True);
        Assert.That(fake.Peek(ResourceType.ConfigMap, "metal3", "capi-1-cilium"), Is.Null);
    }

    [Test]
    public async Task OnlyTheLeaderRendersAndALeaderThatStopsHandsOver()
    {
        var fake = new FakeKubernetesClient();
        fake.Seed(ResourceType.Cluster, Objects.Cluster("metal3", "capi-1"));
        var r1 = new FakeRenderer();
        var r2 = new FakeRenderer();
        using var h1 = ControllerHost.Build(Fast(leaderElect: true, identity: "pod-1"), fake, r1, NullLoggerFactory.Instance);
        await h1.StartAsync();
        await FakeKubernetesClient.WaitUntilAsync(() => Converged(fake, "capi-1"));
        using var h2 = ControllerHost.Build(Fast(leaderElect: true, identity: "pod-2"), fake, r2, NullLoggerFactory.Instance);
        await h2.StartAsync();
        var s2 = h2.Services.GetRequiredService<ControllerService>();
        await s2.Informer.WaitForSyncAsync(CancellationToken.None);

        fake.Seed(ResourceType.Cluster, Objects.Cluster("metal3", "capi-2"));
        await FakeKubernetesClient.WaitUntilAsync(() => Converged(fake, "capi-2"));
        Assert.That(r2.Renders, Is.Zero, "the follower keeps its cache but does not work");
        Assert.That(s2.IsLeading, Is.False);

        await h1.StopAsync();
        await FakeKubernetesClient.WaitUntilAsync(() => s2.IsLeading);
        fake.Seed(ResourceType.Cluster, Objects.Cluster("metal3", "capi-3"));
        await FakeKubernetesClient.WaitUntilAsync(() => Converged(fake, "capi-3"));
        Assert.That(r2.Renders, Is.EqualTo(1), "the new leader renders only the new Cluster: the others are current");
        await h2.StopAsync();
    }

    [Test]
    public async Task ServesHealthReadinessAndPrometheusMetrics()
    {
        var fake = new FakeKubernetesClient();
        fake.Seed(ResourceType.Cluster, Objects.Cluster("metal3", "capi-1"));
        fake.Seed(ResourceType.Cluster, Objects.Cluster("metal3", "capi-2", host: null));
        using var host = ControllerHost.Build(Fast(metrics: "127.0.0.1:0"), fake, new FakeRenderer(), NullLoggerFactory.Instance);
        await host.StartAsync();
        var address = host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var http = new HttpClient { BaseAddress = new Uri(address) };
        await FakeKubernetesClient.WaitUntilAsync(() => Converged(fake, "capi-1"));
        var service = host.Services.GetRequiredService<ControllerService>();
        await FakeKubernetesClient.WaitUntilAsync(() => service.Reconciler.States.Count == 2);

        Assert.That(await http.GetStringAsync("/healthz"), Is.EqualTo("ok\n"));
        var ready = await http.GetAsync("/readyz");
        Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var metrics = await http.GetAsync("/metrics");
        Assert.That(metrics.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/plain"));
        var text = await metrics.Content.ReadAsStringAsync();
        Assert.That(text, Does.Contain("# TYPE capi_cilium_reconciles_total counter\n"));
        Assert.That(text, Does.Contain("# TYPE capi_cilium_render_duration_seconds histogram\n"));
        var samples = PrometheusSamples(text);
        Assert.That(samples["capi_cilium_reconciles_total{result=\"applied\"}"], Is.EqualTo(1));
        Assert.That(samples["capi_cilium_reconciles_total{result=\"waiting\"}"], Is.EqualTo(1));
        Assert.That(samples["capi_cilium_renders_total{result=\"success\"}"], Is.EqualTo(1));
        Assert.That(samples["capi_cilium_renders_by_kind_total{kind=\"direct\"}"], Is.EqualTo(1));
        Assert.That(samples["capi_cilium_render_duration_seconds_bucket{le=\"+Inf\"}"], Is.EqualTo(1));
        Assert.That(samples["capi_cilium_render_duration_seconds_bucket{le=\"60\"}"], Is.EqualTo(1));
        Assert.That(samples["capi_cilium_render_duration_seconds_count"], Is.EqualTo(1));
        Assert.That(samples, Does.ContainKey("capi_cilium_queue_depth"));
        Assert.That(samples["capi_cilium_clusters{state=\"ready\"}"], Is.EqualTo(1));
        Assert.That(samples["capi_cilium_clusters{state=\"waiting\"}"], Is.EqualTo(1));
        Assert.That(samples.Keys, Has.None.Contains("otel_scope").And.None.StartsWith("target_info"), "no exporter labels beyond the documented ones");
        await host.StopAsync();
    }

    [Test]
    public async Task TwoControllersInOneProcessServeOnlyTheirOwnMetrics()
    {
        // The end-to-end tests run a leader and a follower in one process; a follower must not report the leader's work.
        var busy = new FakeKubernetesClient();
        busy.Seed(ResourceType.Cluster, Objects.Cluster("metal3", "capi-1"));
        using var leader = ControllerHost.Build(Fast(metrics: "127.0.0.1:0"), busy, new FakeRenderer(), NullLoggerFactory.Instance);
        using var idle = ControllerHost.Build(Fast(metrics: "127.0.0.1:0"), new FakeKubernetesClient(), new FakeRenderer(), NullLoggerFactory.Instance);
        await leader.StartAsync();
        await idle.StartAsync();
        await FakeKubernetesClient.WaitUntilAsync(() => Converged(busy, "capi-1"));

        async Task<Dictionary<string, double>> Scrape(IHost host)
        {
            var address = host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var http = new HttpClient { BaseAddress = new Uri(address) };
            return PrometheusSamples(await http.GetStringAsync("/metrics"));
        }

        Assert.That((await Scrape(leader))["capi_cilium_reconciles_total{result=\"applied\"}"], Is.EqualTo(1));
        Assert.That((await Scrape(idle)).Keys, Has.None.StartsWith("capi_cilium_reconciles_total").And.None.StartsWith("capi_cilium_renders_total"));
        await idle.StopAsync();
        await leader.StopAsync();
    }

    /// <summary>Every sample of a Prometheus text exposition by series (`name{label="value",...}`, or the bare name without labels), as a scraper reads it.</summary>
    private static Dictionary<string, double> PrometheusSamples(string exposition)
    {
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in exposition.Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#')))
        {
            var match = Regex.Match(line, @"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$");
            Assert.That(match.Success, Is.True, $"not a Prometheus sample line: {line}");
            var labels = match.Groups[2].Value;
            var series = labels.Length == 0 ? match.Groups[1].Value : $"{match.Groups[1].Value}{{{labels}}}";
            samples.Add(series, double.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture));
        }

        return samples;
    }

    [Test]
    public async Task ReadinessWaitsForTheClusterCache()
    {
        var fake = new FakeKubernetesClient();
        fake.Fault = c => c.Verb == "list" ? FakeKubernetesClient.ServerError() : null;
        using var host = ControllerHost.Build(Fast(metrics: "127.0.0.1:0"), fake, new FakeRenderer(), NullLoggerFactory.Instance);
        await host.StartAsync();
        var address = host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var http = new HttpClient { BaseAddress = new Uri(address) };
        var unready = await http.GetAsync("/readyz");
        Assert.That(unready.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(await unready.Content.ReadAsStringAsync(), Is.EqualTo("cluster cache not synced\n"));
        Assert.That((await http.GetAsync("/healthz")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        fake.Fault = null;
        await FakeKubernetesClient.WaitUntilAsync(() => http.GetAsync("/readyz").Result.StatusCode == HttpStatusCode.OK);
        await host.StopAsync();
    }
}
