using System.Globalization;
using System.Text.Json.Nodes;
using CapiCiliumAddon.Controller.Hosting;
using CapiCiliumAddon.Controller.Tests.EndToEnd;
using CapiCiliumAddon.Controller.Tests.Fakes;
using CapiCiliumAddon.Kubernetes;
using CapiCiliumAddon.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace CapiCiliumAddon.Controller.Tests.Controller;

/// <summary>
/// The controller with the REAL <see cref="KubernetesClient"/>, loaded from a kubeconfig, against the in-memory API
/// server served over HTTP (<see cref="FakeKubernetesHttpServer"/>, what the `burst` benchmark runs in a process of its
/// own): the server answers every request the controller makes, and the objects written are those an in-memory run
/// writes.
/// </summary>
[TestFixture]
[CancelAfter(60_000)]
public sealed class ControllerOverHttpTests
{
    private const int Burst = 5;

    private static FakeKubernetesClient Seeded()
    {
        var fake = new FakeKubernetesClient();
        for (var i = 1; i <= Burst; i++)
        {
            fake.Seed(ResourceType.Cluster, Objects.Cluster("fleet", string.Create(CultureInfo.InvariantCulture, $"edge-{i}"), host: string.Create(CultureInfo.InvariantCulture, $"10.0.{i}.10")));
        }

        fake.ClearCalls();
        return fake;
    }

    private static async Task<ControllerMetricTotals> RunUntilAppliedAsync(IKubernetesClient client, IClusterAddonRenderer renderer)
    {
        var options = new ControllerOptions { Workers = 2, ShutdownTimeout = TimeSpan.FromSeconds(30) };
        using var host = ControllerHost.Build(options, client, renderer, NullLoggerFactory.Instance);
        var totals = new ControllerMetricTotals(host.Services.GetRequiredService<ControllerService>().Metrics);
        await host.StartAsync();
        await FakeKubernetesClient.WaitUntilAsync(() => totals.Reconciles("applied") >= Burst, timeoutSeconds: 45);
        await host.StopAsync();
        return totals;
    }

    [Test]
    public async Task ABurstThroughTheHttpServerWritesWhatTheInMemoryRunWrites()
    {
        using var rendering = await EndToEndRendering.CreateAsync();
        using var temp = new TempDirectory();

        var inMemory = Seeded();
        (await RunUntilAppliedAsync(inMemory, rendering.NewRenderer())).Dispose();

        var served = Seeded();
        await using var server = await FakeKubernetesHttpServer.StartAsync(served);
        using var client = new KubernetesClient(KubernetesConfiguration.Load(server.WriteKubeconfig(temp.Combine("kubeconfig"))));
        Assert.That(await client.ResolveAsync(ResourceType.Cluster, CancellationToken.None), Is.EqualTo(ResourceType.Cluster), "discovery through the real client");
        served.ClearCalls();
        using var totals = await RunUntilAppliedAsync(client, rendering.NewRenderer());

        Assert.That(totals.Reconciles("error") + totals.Reconciles("conflict"), Is.Zero, "failed reconciles over HTTP");
        foreach (var type in new[] { ResourceType.Cluster, ResourceType.ConfigMap, ResourceType.Secret, ResourceType.ClusterResourceSet })
        {
            Assert.That(served.All(type).Select(Comparable), Is.EqualTo(inMemory.All(type).Select(Comparable)), $"{type.Kind}s, byte for byte");
        }

        Assert.That(served.All(ResourceType.ConfigMap), Has.Count.EqualTo(Burst));
        Assert.That(Events(served), Is.EqualTo(Events(inMemory)).And.Count.EqualTo(Burst), "Events: regarding, reason, note");
        Assert.That(Requests(served), Is.EqualTo(Requests(inMemory)), "requests by verb and kind: none failed or was retried over HTTP");
    }

    /// <summary>
    /// The stored object without its resourceVersion and uid, as JSON text: the stores number them in the order writes
    /// arrive, which the two runs' timing decides. The Clusters' uids (in our objects' owner references) are seeded alike.
    /// </summary>
    private static string Comparable(JsonObject stored)
    {
        var copy = stored.DeepClone().AsObject();
        copy["metadata"]!.AsObject().Remove("resourceVersion");
        copy["metadata"]!.AsObject().Remove("uid");
        return copy.ToJsonString();
    }

    private static List<string> Events(FakeKubernetesClient fake) =>
        [.. fake.All(ResourceType.Event).Select(e => $"{e["regarding"]!["name"]} {e["reason"]} {e["note"]}").Order(StringComparer.Ordinal)];

    private static List<string> Requests(FakeKubernetesClient fake) =>
        [.. fake.Calls.GroupBy(c => $"{c.Verb} {c.Type.Kind}").Select(g => $"{g.Key}: {g.Count()}").Order(StringComparer.Ordinal)];
}
