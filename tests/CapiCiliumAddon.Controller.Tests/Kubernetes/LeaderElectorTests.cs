using System.Text.Json.Nodes;
using CapiCiliumAddon.Controller.Tests.EndToEnd;
using CapiCiliumAddon.Controller.Tests.Fakes;
using CapiCiliumAddon.Kubernetes;
using CapiCiliumAddon.Kubernetes.LeaderElection;
using CapiCiliumAddon.Testing.KubeApi;
using k8s;
using Microsoft.AspNetCore.Http;
using NUnit.Framework;

namespace CapiCiliumAddon.Controller.Tests.Kubernetes;

[TestFixture]
[CancelAfter(90_000)]
public sealed class LeaderElectorTests
{
    private static LeaderElectionOptions Options(string id) => new()
    {
        Namespace = "capi-cilium-system",
        Identity = id,
        LeaseDuration = TimeSpan.FromSeconds(4),
        RenewDeadline = TimeSpan.FromSeconds(2),
        RetryPeriod = TimeSpan.FromMilliseconds(100),
    };

    private static string? Holder(FakeKubernetesClient fake) =>
        fake.Peek(ResourceType.Lease, "capi-cilium-system", "capi-cilium-addon")?["spec"]?["holderIdentity"]?.GetValue<string>();

    private static Func<CancellationToken, Task> Lead(Action started, Action stopped) => async ct =>
    {
        started();
        try { await Task.Delay(Timeout.Infinite, ct); }
        finally { stopped(); }
    };

    [Test]
    public async Task RefusedConnectionsAreRetriedNotThrown()
    {
        // KubernetesClient reports transport failures as KubernetesConnectionException; the elector must keep trying.
        var fake = new FakeKubernetesClient();
        fake.FailNext(c => c.Type.Kind == "Lease", () => new KubernetesConnectionException(new Uri("https://127.0.0.1:6443"), "connection refused", null), 3);
        var elector = new LeaderElector(fake, Options("a"));
        using var stop = new CancellationTokenSource();
        var run = elector.RunAsync(Lead(() => { }, () => { }), stop.Token);

        await FakeKubernetesClient.WaitUntilAsync(() => elector.IsLeader || run.IsCompleted);
        Assert.That(run.IsFaulted, Is.False, () => run.Exception?.ToString() ?? "");
        Assert.That(Holder(fake), Is.EqualTo("a"));
        await stop.CancelAsync();
        await run;
    }

    [Test]
    public async Task OnTheRealClientARefusedConnectionIsRetried_AndTheLeaseIsReleasedOnStop()
    {
        // No API server yet: every attempt is a refused connection, which the library reports as HttpRequestException.
        var port = EndToEndEnvironment.FreePort();
        using var client = new KubernetesClient(new KubernetesClientConfiguration { Host = $"http://127.0.0.1:{port}/" }, new KubernetesClientOptions { MaxRetryAttempts = 0 });
        var refused = 0;
        var elector = new LeaderElector(client, Options("a") with { OnError = e => { if (e is KubernetesConnectionException) { Interlocked.Increment(ref refused); } } });
        using var stop = new CancellationTokenSource();
        var run = elector.RunAsync(Lead(() => { }, () => { }), stop.Token);
        await FakeKubernetesClient.WaitUntilAsync(() => Volatile.Read(ref refused) >= 3 || run.IsCompleted);
        Assert.That(run.IsCompleted, Is.False, () => run.Exception?.ToString() ?? "the elector stopped");

        // Then the API server comes up, with a Lease store of one object.
        string? stored = null;
        var version = 0;
        await using var server = await FakeApiServer.StartAsync((context, request, _) =>
        {
            if (request.Path != "/apis/coordination.k8s.io/v1/namespaces/capi-cilium-system/leases" + (request.Method == "POST" ? "" : "/capi-cilium-addon"))
            {
                return FakeApiServer.Status(context, 404, "NotFound", $"{request.Path} not found");
            }

            if (request.Method == "GET")
            {
                return stored is null ? FakeApiServer.Status(context, 404, "NotFound", "leases.coordination.k8s.io \"capi-cilium-addon\" not found") : FakeApiServer.Json(context, 200, stored);
            }

            var lease = JsonNode.Parse(request.Body)!.AsObject();
            lease["metadata"]!["resourceVersion"] = (++version).ToString(System.Globalization.CultureInfo.InvariantCulture);
            stored = lease.ToJsonString();
            return FakeApiServer.Json(context, request.Method == "POST" ? StatusCodes.Status201Created : StatusCodes.Status200OK, stored);
        }, port);

        await FakeKubernetesClient.WaitUntilAsync(() => elector.IsLeader || run.IsCompleted);
        Assert.That(elector.IsLeader, () => run.Exception?.ToString() ?? "not leading");
        Assert.That((string?)JsonNode.Parse(stored!)!["spec"]!["holderIdentity"], Is.EqualTo("a"));

        await stop.CancelAsync();
        await run;
        var released = JsonNode.Parse(stored!)!["spec"]!;
        Assert.That(released["holderIdentity"], Is.Null, "released on stop, so the next replica need not wait for the lease to expire");
        Assert.That(server.Requests.Last().Method, Is.EqualTo("PUT"));
    }

    [Test]
    public async Task OneOfTwoLeadsAndReleaseOnStopHandsOver()
    {
        var fake = new FakeKubernetesClient();
        var a = new LeaderElector(fake, Options("a"));
        var b = new LeaderElector(fake, Options("b"));
        var leading = 0;
        var maxLeading = 0;
        void Started() { var n = Interlocked.Increment(ref leading); InterlockedMax(ref maxLeading, n); }
        void Stopped() => Interlocked.Decrement(ref leading);
        using var ca = new CancellationTokenSource();
        using var cb = new CancellationTokenSource();
        var ra = a.RunAsync(Lead(Started, Stopped), ca.Token);
        await FakeKubernetesClient.WaitUntilAsync(() => a.IsLeader);
        var rb = b.RunAsync(Lead(Started, Stopped), cb.Token);
        await Task.Delay(500);
        Assert.That(b.IsLeader, Is.False);
        Assert.That(Holder(fake), Is.EqualTo("a"));

        await ca.CancelAsync();
        await ra;
        // Released: b takes over without waiting for the 4 s lease to run out from its last observation.
        await FakeKubernetesClient.WaitUntilAsync(() => b.IsLeader);
        Assert.That(Holder(fake), Is.EqualTo("b"));
        Assert.That(maxLeading, Is.EqualTo(1));
        await cb.CancelAsync();
        await rb;
        Assert.That(Holder(fake), Is.Null.Or.Empty);
    }

    [Test]
    public async Task ALeaderThatCannotRenewStepsDownAndTheOtherTakesOver()
    {
        var fake = new FakeKubernetesClient();
        var aClient = new FaultyClient(fake);
        var a = new LeaderElector(aClient, Options("a"));
        var b = new LeaderElector(fake, Options("b"));
        var aStopped = new TaskCompletionSource();
        using var cts = new CancellationTokenSource();
        var ra = a.RunAsync(Lead(() => { }, () => aStopped.TrySetResult()), cts.Token);
        await FakeKubernetesClient.WaitUntilAsync(() => a.IsLeader);
        var rb = b.RunAsync(Lead(() => { }, () => { }), cts.Token);

        aClient.Failing = true;
        await aStopped.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(a.IsLeader, Is.False);
        await FakeKubernetesClient.WaitUntilAsync(() => b.IsLeader);
        var lease = fake.Peek(ResourceType.Lease, "capi-cilium-system", "capi-cilium-addon")!;
        Assert.That(lease["spec"]!["holderIdentity"]!.GetValue<string>(), Is.EqualTo("b"));
        Assert.That(lease["spec"]!["leaseTransitions"]!.GetValue<int>(), Is.EqualTo(1));
        await cts.CancelAsync();
        await Task.WhenAll(ra, rb);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current) { }
    }
}

/// <summary>Delegates to another client, failing every call with a 500 while <see cref="Failing"/>.</summary>
public sealed class FaultyClient(IKubernetesClient inner) : IKubernetesClient
{
    public volatile bool Failing;

    private void Check() { if (Failing) { throw FakeKubernetesClient.ServerError(); } }

    public Task<IReadOnlyList<string>> GetServedVersionsAsync(string group, CancellationToken ct) { Check(); return inner.GetServedVersionsAsync(group, ct); }

    public Task<JsonObject> GetAsync(ResourceType type, string? ns, string name, CancellationToken ct) { Check(); return inner.GetAsync(type, ns, name, ct); }

    public Task<ObjectList> ListAsync(ResourceType type, string? ns, ListOptions o, CancellationToken ct) { Check(); return inner.ListAsync(type, ns, o, ct); }

    public Task<ObjectList> ListAllAsync(ResourceType type, string? ns, ListOptions o, CancellationToken ct) { Check(); return inner.ListAllAsync(type, ns, o, ct); }

    public IAsyncEnumerable<WatchEvent> WatchAsync(ResourceType type, string? ns, WatchOptions o, CancellationToken ct) { Check(); return inner.WatchAsync(type, ns, o, ct); }

    public Task<JsonObject> CreateAsync(ResourceType type, JsonObject obj, CancellationToken ct) { Check(); return inner.CreateAsync(type, obj, ct); }

    public Task<JsonObject> ReplaceAsync(ResourceType type, JsonObject obj, CancellationToken ct) { Check(); return inner.ReplaceAsync(type, obj, ct); }

    public Task<JsonObject> ApplyAsync(ResourceType type, JsonObject obj, ApplyOptions o, CancellationToken ct) { Check(); return inner.ApplyAsync(type, obj, o, ct); }

    public Task<bool> DeleteAsync(ResourceType type, string? ns, string name, DeleteOptions o, CancellationToken ct) { Check(); return inner.DeleteAsync(type, ns, name, o, ct); }
}
