using CapiCiliumAddon.Controller.Queue;
using NUnit.Framework;

namespace CapiCiliumAddon.Controller.Tests.Controller;

[TestFixture]
[CancelAfter(30_000)]
public sealed class WorkQueueTests
{
    [Test]
    public async Task AddingAWaitingKeyTwiceQueuesItOnce()
    {
        using var q = new WorkQueue();
        q.Add("a/one");
        q.Add("a/two");
        q.Add("a/one");
        Assert.That(q.Depth, Is.EqualTo(2));
        Assert.That(await q.GetAsync(CancellationToken.None), Is.EqualTo("a/one"));
        Assert.That(await q.GetAsync(CancellationToken.None), Is.EqualTo("a/two"));
        Assert.That(q.Depth, Is.EqualTo(0));
    }

    [Test]
    public async Task AKeyBeingProcessedIsNotHandedOutUntilDoneThenRequeued()
    {
        using var q = new WorkQueue();
        q.Add("a/one");
        var key = await q.GetAsync(CancellationToken.None);
        q.Add("a/one");
        q.Add("a/one");
        Assert.That(q.Depth, Is.EqualTo(0), "a change during a reconcile must not start a second one");
        using var short1 = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        Assert.That(async () => await q.GetAsync(short1.Token), Throws.InstanceOf<OperationCanceledException>());

        q.Done(key!);
        Assert.That(q.Depth, Is.EqualTo(1));
        Assert.That(await q.GetAsync(CancellationToken.None), Is.EqualTo("a/one"));
        q.Done("a/one");
        Assert.That(q.Depth, Is.EqualTo(0));
    }

    [Test]
    public async Task NeverTwoConcurrentReconcilesOfOneKey()
    {
        using var q = new WorkQueue();
        using var cts = new CancellationTokenSource();
        var active = 0;
        var overlap = false;
        var processed = 0;
        async Task Worker()
        {
            while (await q.GetAsync(cts.Token) is { } key)
            {
                if (Interlocked.Increment(ref active) > 1) { overlap = true; }
                await Task.Delay(2);
                Interlocked.Decrement(ref active);
                Interlocked.Increment(ref processed);
                q.Done(key);
            }
        }

        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(Worker)).ToList();
        for (var i = 0; i < 200; i++)
        {
            q.Add("a/one");
            if (i % 10 == 0) { await Task.Delay(1); }
        }

        await Task.Delay(200);
        q.ShutDown();
        await Task.WhenAll(workers);
        Assert.That(overlap, Is.False);
        Assert.That(processed, Is.GreaterThanOrEqualTo(1));
    }

    [Test]
    public async Task FailuresBackOffExponentiallyPerKeyUntilForgotten()
    {
        using var q = new WorkQueue(TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(80));
        Assert.That(q.AddRateLimited("a/one"), Is.EqualTo(TimeSpan.FromMilliseconds(10)));
        Assert.That(q.AddRateLimited("a/one"), Is.EqualTo(TimeSpan.FromMilliseconds(20)));
        Assert.That(q.AddRateLimited("a/one"), Is.EqualTo(TimeSpan.FromMilliseconds(40)));
        Assert.That(q.AddRateLimited("a/one"), Is.EqualTo(TimeSpan.FromMilliseconds(80)));
        Assert.That(q.AddRateLimited("a/one"), Is.EqualTo(TimeSpan.FromMilliseconds(80)), "capped");
        Assert.That(q.AddRateLimited("b/two"), Is.EqualTo(TimeSpan.FromMilliseconds(10)), "per key");
        q.Forget("a/one");
        Assert.That(q.AddRateLimited("a/one"), Is.EqualTo(TimeSpan.FromMilliseconds(10)));

        var first = await q.GetAsync(CancellationToken.None);
        var second = await q.GetAsync(CancellationToken.None);
        Assert.That(new[] { first, second }, Is.EquivalentTo(new[] { "a/one", "b/two" }), "delayed adds arrive, deduplicated");
    }

    [Test]
    public async Task ShutDownReleasesWaitingWorkers()
    {
        using var q = new WorkQueue();
        var waiting = q.GetAsync(CancellationToken.None);
        q.ShutDown();
        Assert.That(await waiting, Is.Null);
    }
}
