using System.Collections.Concurrent;
using CapiCiliumAddon.Controller.Tests.Fakes;
using CapiCiliumAddon.Kubernetes;
using NUnit.Framework;

namespace CapiCiliumAddon.Controller.Tests.Kubernetes;

[TestFixture]
[CancelAfter(60_000)]
public sealed class InformerTests
{
    private static readonly ResourceType Cluster = ResourceType.Cluster;

    private static (Informer Informer, ConcurrentQueue<InformerEvent> Events) Start(FakeKubernetesClient fake, CancellationToken ct, out Task run)
    {
        var informer = new Informer(fake, Cluster, new InformerOptions { LabelSelector = "cni=cilium", MinBackoff = TimeSpan.FromMilliseconds(5), MaxBackoff = TimeSpan.FromMilliseconds(50) });
        var events = new ConcurrentQueue<InformerEvent>();
        informer.AddHandler(events.Enqueue);
        run = informer.RunAsync(ct);
        return (informer, events);
    }

    private static string Describe(ConcurrentQueue<InformerEvent> events) => string.Join(",", events.Select(e => $"{e.Type}:{e.Key}"));

    [Test]
    public async Task InitialListFiltersBySelectorAndSyncs()
    {
        var fake = new FakeKubernetesClient();
        fake.Seed(Cluster, Objects.Cluster("a", "one"));
        fake.Seed(Cluster, Objects.Cluster("a", "plain", cilium: false));
        fake.Seed(Cluster, Objects.Cluster("b", "two"));
        using var cts = new CancellationTokenSource();
        var (informer, events) = Start(fake, cts.Token, out var run);
        await informer.WaitForSyncAsync(cts.Token);

        Assert.That(informer.HasSynced, Is.True);
        Assert.That(informer.Keys(), Is.EqualTo(new[] { "a/one", "b/two" }));
        Assert.That(informer.TryGet("a", "one", out var one), Is.True);
        Assert.That(one!["metadata"]!["name"]!.GetValue<string>(), Is.EqualTo("one"));
        Assert.That(informer.TryGet("a", "plain", out _), Is.False);
        Assert.That(Describe(events), Is.EqualTo("Added:a/one,Added:b/two"));
        cts.Cancel();
        Assert.That(async () => await run, Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task WatchDeliversAddModifyDeleteAndSelectorTransitions()
    {
        var fake = new FakeKubernetesClient();
        using var cts = new CancellationTokenSource();
        var (informer, events) = Start(fake, cts.Token, out _);
        await informer.WaitForSyncAsync(cts.Token);
        await fake.WaitForWatchAsync();

        fake.Seed(Cluster, Objects.Cluster("a", "one"));
        fake.Mutate(Cluster, "a", "one", o => o["spec"]!["paused"] = true);
        fake.Mutate(Cluster, "a", "one", o => o["metadata"]!["labels"]!.AsObject().Remove("cni"));
        await FakeKubernetesClient.WaitUntilAsync(() => events.Count >= 3);

        Assert.That(Describe(events), Is.EqualTo("Added:a/one,Modified:a/one,Deleted:a/one"));
        Assert.That(informer.List(), Is.Empty);
        cts.Cancel();
    }

    [Test]
    public async Task ResumesFromLastResourceVersionWhenTheStreamEnds()
    {
        var fake = new FakeKubernetesClient();
        fake.Seed(Cluster, Objects.Cluster("a", "one"));
        using var cts = new CancellationTokenSource();
        var (informer, events) = Start(fake, cts.Token, out _);
        await informer.WaitForSyncAsync(cts.Token);
        await fake.WaitForWatchAsync();
        var watchesBefore = fake.Calls.Count(c => c.Verb == "watch");

        fake.DropWatches();
        fake.Seed(Cluster, Objects.Cluster("a", "two")); // may land between the two watches: replayed from history
        await FakeKubernetesClient.WaitUntilAsync(() => events.Count >= 2);
        await FakeKubernetesClient.WaitUntilAsync(() => fake.Calls.Count(c => c.Verb == "watch") > watchesBefore);

        Assert.That(Describe(events), Is.EqualTo("Added:a/one,Added:a/two"));
        Assert.That(informer.ListCount, Is.EqualTo(1), "a clean stream end re-watches, it does not re-list");
        cts.Cancel();
    }

    [Test]
    public async Task RelistsAfterGoneWithSyntheticEventsAndNoDuplicates()
    {
        var fake = new FakeKubernetesClient();
        fake.Seed(Cluster, Objects.Cluster("a", "same"));
        fake.Seed(Cluster, Objects.Cluster("a", "changes"));
        fake.Seed(Cluster, Objects.Cluster("a", "vanishes"));
        using var cts = new CancellationTokenSource();
        var (informer, events) = Start(fake, cts.Token, out _);
        await informer.WaitForSyncAsync(cts.Token);
        await fake.WaitForWatchAsync();
        events.Clear();

        // Break the stream, then change things while nobody watches and compact history so the resume gets 410.
        var broken = false;
        fake.Fault = c => c.Verb == "watch" && !broken ? new KubernetesServerErrorException(System.Net.HttpStatusCode.ServiceUnavailable, "ServiceUnavailable", "down", []) : null;
        fake.DropWatches();
        await FakeKubernetesClient.WaitUntilAsync(() => fake.Calls.Count(c => c.Verb == "watch") >= 2);
        fake.Mutate(Cluster, "a", "changes", o => o["spec"]!["paused"] = true);
        await fake.DeleteAsync(Cluster, "a", "vanishes", new DeleteOptions(), CancellationToken.None);
        fake.Seed(Cluster, Objects.Cluster("a", "appears"));
        fake.Compact();
        broken = true;
        fake.Fault = null;

        await FakeKubernetesClient.WaitUntilAsync(() => informer.ListCount >= 2 && events.Count >= 3);
        await fake.WaitForWatchAsync();
        await Task.Delay(100);

        Assert.That(Describe(events), Is.EqualTo("Added:a/appears,Modified:a/changes,Deleted:a/vanishes"));
        Assert.That(informer.Keys(), Is.EqualTo(new[] { "a/appears", "a/changes", "a/same" }));
        cts.Cancel();
    }

    [Test]
    public async Task InStreamGoneRelists()
    {
        var fake = new FakeKubernetesClient();
        fake.Seed(Cluster, Objects.Cluster("a", "one"));
        using var cts = new CancellationTokenSource();
        var (informer, events) = Start(fake, cts.Token, out _);
        await informer.WaitForSyncAsync(cts.Token);
        await fake.WaitForWatchAsync();

        fake.BreakWatchesWithGone();
        await FakeKubernetesClient.WaitUntilAsync(() => informer.ListCount >= 2);
        await fake.WaitForWatchAsync();
        fake.Seed(Cluster, Objects.Cluster("a", "two"));
        await FakeKubernetesClient.WaitUntilAsync(() => events.Count >= 2);

        Assert.That(Describe(events), Is.EqualTo("Added:a/one,Added:a/two"));
        cts.Cancel();
    }

    [Test]
    public async Task BookmarksAdvanceTheResumePoint()
    {
        var fake = new FakeKubernetesClient();
        fake.Seed(Cluster, Objects.Cluster("a", "one"));
        using var cts = new CancellationTokenSource();
        var (informer, events) = Start(fake, cts.Token, out _);
        await informer.WaitForSyncAsync(cts.Token);
        await fake.WaitForWatchAsync();
        var before = long.Parse(informer.LastResourceVersion);

        // Unrelated (filtered-out) writes move the server's version; only a bookmark tells the informer.
        fake.Seed(Cluster, Objects.Cluster("a", "other", cilium: false));
        fake.Seed(Cluster, Objects.Cluster("a", "other2", cilium: false));
        fake.SendBookmarks();
        await FakeKubernetesClient.WaitUntilAsync(() => long.Parse(informer.LastResourceVersion) == fake.CurrentResourceVersion);
        Assert.That(long.Parse(informer.LastResourceVersion), Is.GreaterThan(before));

        // After compaction, a resume from the bookmark is still valid: no re-list needed.
        fake.Compact();
        fake.DropWatches();
        await FakeKubernetesClient.WaitUntilAsync(() => fake.Calls.Count(c => c.Verb == "watch") >= 2);
        await fake.WaitForWatchAsync();
        Assert.That(informer.ListCount, Is.EqualTo(1));
        Assert.That(events.Count, Is.EqualTo(1));
        cts.Cancel();
    }

    [Test]
    public async Task ListFailuresBackOffAndRetry()
    {
        var fake = new FakeKubernetesClient();
        fake.Seed(Cluster, Objects.Cluster("a", "one"));
        fake.FailNext(c => c.Verb == "list", FakeKubernetesClient.ServerError, 3);
        var errors = 0;
        var informer = new Informer(fake, Cluster, new InformerOptions { MinBackoff = TimeSpan.FromMilliseconds(5), OnError = _ => Interlocked.Increment(ref errors) });
        using var cts = new CancellationTokenSource();
        _ = informer.RunAsync(cts.Token);
        await informer.WaitForSyncAsync(cts.Token);
        Assert.That(errors, Is.EqualTo(3));
        Assert.That(informer.Keys(), Is.EqualTo(new[] { "a/one" }));
        cts.Cancel();
    }
}

[TestFixture]
[CancelAfter(30_000)]
public sealed class InformerSubscriptionTests
{
    [Test]
    public async Task ALateSubscriberIsToldAboutCachedObjectsThenChanges()
    {
        var fake = new FakeKubernetesClient();
        fake.Seed(ResourceType.Cluster, Objects.Cluster("a", "one"));
        var informer = new Informer(fake, ResourceType.Cluster);
        using var cts = new CancellationTokenSource();
        _ = informer.RunAsync(cts.Token);
        await informer.WaitForSyncAsync(cts.Token);
        var reader = informer.Subscribe();
        await fake.WaitForWatchAsync();
        await fake.DeleteAsync(ResourceType.Cluster, "a", "one", new DeleteOptions(), CancellationToken.None);

        var first = await reader.ReadAsync(cts.Token);
        var second = await reader.ReadAsync(cts.Token);
        Assert.That((first.Type, first.Key), Is.EqualTo((InformerEventType.Added, "a/one")));
        Assert.That((second.Type, second.Key), Is.EqualTo((InformerEventType.Deleted, "a/one")));
        await cts.CancelAsync();
    }
}
