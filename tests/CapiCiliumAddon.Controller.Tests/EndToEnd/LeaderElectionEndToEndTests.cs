using System.Diagnostics;
using CapiCiliumAddon.Kubernetes;

namespace CapiCiliumAddon.Controller.Tests.EndToEnd;

/// <summary>
/// Two replicas on one Lease against a REAL kube-apiserver (opt-in, E2E_KUBECONFIG): only the holder renders and
/// writes, and the other takes over when it stops. Both write with the same field manager, so the writer is told
/// apart by each replica's own renderer count, its /metrics, and the reportingInstance (= identity) of the Events.
/// </summary>
[TestFixture]
[Category("EndToEnd")]
[NonParallelizable]
[CancelAfter(300_000)]
public sealed class LeaderElectionEndToEndTests
{
    [Test]
    public async Task WithTwoReplicasOnlyTheLeaderRendersAndWrites_AndTheOtherTakesOver()
    {
        await using var env = await EndToEndEnvironment.StartAsync();
        using var rendering = await EndToEndRendering.CreateAsync();
        var lease = "capi-cilium-e2e-" + Guid.NewGuid().ToString("N")[..6];
        await using var a = await Replica.StartAsync(env, rendering, leaderElect: true, identity: "e2e-replica-a", leaseName: lease);
        await using var b = await Replica.StartAsync(env, rendering, leaderElect: true, identity: "e2e-replica-b", leaseName: lease);
        await a.WaitReadyAsync();
        await b.WaitReadyAsync();

        string? holder = null;
        await EndToEndEnvironment.EventuallyAsync($"one replica holds Lease {lease}", EndToEndEnvironment.Bound, async () =>
        {
            holder = await HolderAsync(env, lease);
            return holder is "e2e-replica-a" or "e2e-replica-b" ? null : $"holder: {holder ?? "(no Lease)"}";
        });
        var (leader, follower) = holder == a.Identity ? (a, b) : (b, a);

        var clusters = new[] { ("e2e-le-1", "10.250.250.21"), ("e2e-le-2", "10.250.250.22"), ("e2e-le-3", "10.250.250.23") };
        var since = Stopwatch.StartNew();
        foreach (var (name, host) in clusters)
        {
            await env.CreateClusterAsync(name, host);
        }

        foreach (var (name, host) in clusters)
        {
            await EndToEndEnvironment.EventuallyAsync($"{name} has correct objects (two replicas)", EndToEndEnvironment.Bound,
                () => ControllerEndToEndTests.ObjectsProblemAsync(env, name, host), since);
        }

        Assert.That(await HolderAsync(env, lease), Is.EqualTo(leader.Identity), "the Lease did not change hands during the test");
        await Assert.MultipleAsync(async () =>
        {
            Assert.That(leader.Renderer.Renders, Is.EqualTo(3), $"renders on the leader {leader.Identity}");
            Assert.That(follower.Renderer.Renders, Is.Zero, $"renders on the follower {follower.Identity}");
            Assert.That(await follower.RendersAsync(), Is.Zero, "capi_cilium_renders_total on the follower");
            Assert.That(await follower.CounterAsync("capi_cilium_reconciles_total"), Is.Zero, "the follower reconciles nothing");
            if (rendering.IsFake)
            {
                // One group: the first Cluster's direct render and the placeholder render; the other two are stamped.
                Assert.That(rendering.FakeInstallRuns, Is.EqualTo(2), "`cilium install` runs in all (shared fake CLI records)");
            }

            foreach (var (name, _) in clusters)
            {
                var instances = (await env.EventsAboutAsync(name)).Select(e => (string?)e["reportingInstance"]).Distinct().ToList();
                Assert.That(instances, Is.EqualTo(new[] { leader.Identity }), $"reportingInstance of the Events about {name}");
            }
        });

        // The leader stops (graceful: releases the Lease); the follower takes over, renders only what is new.
        await leader.StopAsync();
        var failover = TimeSpan.FromSeconds(6) + EndToEndEnvironment.Bound; // LeaseDuration + the bound
        await EndToEndEnvironment.EventuallyAsync($"{follower.Identity} takes Lease {lease} over", failover, async () =>
        {
            var now = await HolderAsync(env, lease);
            return now == follower.Identity ? null : $"holder: {now ?? "(none)"}";
        });
        var sinceNew = Stopwatch.StartNew();
        await env.CreateClusterAsync("e2e-le-4", "10.250.250.24");
        await EndToEndEnvironment.EventuallyAsync("e2e-le-4 has correct objects from the new leader", EndToEndEnvironment.Bound,
            () => ControllerEndToEndTests.ObjectsProblemAsync(env, "e2e-le-4", "10.250.250.24"), sinceNew);
        Assert.That(follower.Renderer.Renders, Is.EqualTo(1), "the new leader renders only the new Cluster; the three others are current");
        Assert.That(leader.Renderer.Renders, Is.EqualTo(3), "the stopped replica rendered nothing more");
    }

    private static async Task<string?> HolderAsync(EndToEndEnvironment env, string lease)
    {
        var obj = await env.TryGetAsync(ResourceType.Lease, lease);
        var holder = (string?)obj?["spec"]?["holderIdentity"];
        return string.IsNullOrEmpty(holder) ? null : holder;
    }
}
