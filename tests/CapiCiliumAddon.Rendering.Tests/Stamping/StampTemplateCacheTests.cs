using CapiCiliumAddon.Rendering.CiliumCli;
using CapiCiliumAddon.Rendering.Pipeline;
using CapiCiliumAddon.Rendering.Pipeline.Stamping;
using CapiCiliumAddon.Rendering.Planning;
using CapiCiliumAddon.Testing;

namespace CapiCiliumAddon.Rendering.Tests.Stamping;

/// <summary>Stamping one Cluster at a time, as the controller renders: one template per group, kept bounded.</summary>
public class StampTemplateCacheTests
{
    private TempDirectory _temp = null!;
    private IReadOnlyList<ChartDirectory> _charts = null!;
    private int _run;

    [SetUp]
    public void SetUp()
    {
        _temp = new TempDirectory();
        _charts = new[] { "1.17.18", "1.18.12", "1.19.6" }.Select(v => ChartDirectory.Load(FakeChart.Create(_temp.Combine($"chart-{v}"), v))).ToList();
    }

    [TearDown]
    public void TearDown() => _temp.Dispose();

    private RenderPlan Plan(int i, string version = "1.18.12", string? name = null, string cliVersion = "v0.19.7-12-ge694be34c") =>
        FleetPlans.Plan(_charts, i, version, name, cliVersion: cliVersion);

    private (StampTemplateCache Cache, AddonRenderPipeline Pipeline, string Record) NewCache(StampTemplateCacheOptions? options = null, Func<string, string, string>? cli = null)
    {
        var run = _run++;
        var record = _temp.Combine($"record-{run}");
        Directory.CreateDirectory(record);
        var bin = _temp.Combine($"bin-{run}");
        var runner = new CiliumCliRunner(new CiliumCliOptions(cli is null ? FakeCiliumCli.CreateWrapper(bin, "replay", record) : cli(bin, record)));
        var pipeline = new AddonRenderPipeline(runner);
        return (new StampTemplateCache(runner, pipeline, options), pipeline, record);
    }

    private static int Runs(string record) => FakeCiliumCli.ReadInvocations(record).Count(i => i.Argv.FirstOrDefault() == "install");

    private static void AssertSameObjects(ClusterResult direct, ClusterResult stamped)
    {
        Assert.That(stamped.State, Is.EqualTo(direct.State), () => string.Join("\n", stamped.Problems));
        Assert.That(stamped.Problems, Is.EqualTo(direct.Problems));
        Assert.That(stamped.Objects!.Objects.Select(o => o.Json.ToJsonString()), Is.EqualTo(direct.Objects!.Objects.Select(o => o.Json.ToJsonString())), direct.Key);
        Assert.That(stamped.Files, Is.EqualTo(direct.Files), direct.Key);
    }

    [TestCase("1.18.12")]
    [TestCase("1.19.6")]
    public async Task ClustersOfOneGroupCostTwoCliRunsAndRenderWhatDirectRendersGive(string version)
    {
        var (cache, pipeline, record) = NewCache();
        var plans = Enumerable.Range(0, 5).Select(i => Plan(i, version)).ToList();

        var results = new List<ClusterResult>();
        foreach (var plan in plans)
        {
            results.Add(await cache.RenderAsync(plan, CancellationToken.None));
        }

        Assert.That(Runs(record), Is.EqualTo(2), "the first Cluster's direct render, and the placeholder render when the second comes");
        Assert.That(results.Select(r => r.Kind), Is.EqualTo(new[] { RenderKind.Direct }.Concat(Enumerable.Repeat(RenderKind.Stamped, 4))));
        for (var i = 0; i < plans.Count; i++)
        {
            AssertSameObjects(await pipeline.RenderAsync(plans[i], CancellationToken.None), results[i]);
        }
    }

    [Test]
    public async Task ClustersArrivingWhileTheTemplateIsMadeWaitForItInsteadOfMakingTheirOwn()
    {
        var (cache, _, record) = NewCache();

        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => cache.RenderAsync(Plan(i), CancellationToken.None)));

        Assert.That(Runs(record), Is.EqualTo(2));
        Assert.That(results.Count(r => r.Kind == RenderKind.Direct), Is.EqualTo(1));
        Assert.That(results.Select(r => r.State), Is.All.EqualTo(ClusterState.Rendered));
    }

    [Test]
    public async Task AGroupWithOneClusterCostsOneCliRun()
    {
        var (cache, _, record) = NewCache();

        var only = await cache.RenderAsync(Plan(0, "1.18.12"), CancellationToken.None);
        var other = await cache.RenderAsync(Plan(1, "1.17.18"), CancellationToken.None);

        Assert.That((only.Kind, other.Kind), Is.EqualTo((RenderKind.Direct, RenderKind.Direct)));
        Assert.That(Runs(record), Is.EqualTo(2), "no placeholder render until a group has a second Cluster");
    }

    [Test]
    public async Task TheLeastRecentlyUsedGroupIsDroppedBeyondTheCountBound()
    {
        var (cache, _, record) = NewCache(new StampTemplateCacheOptions(MaxTemplates: 1));

        await cache.RenderAsync(Plan(0, "1.18.12"), CancellationToken.None);
        await cache.RenderAsync(Plan(1, "1.17.18"), CancellationToken.None);
        var again = await cache.RenderAsync(Plan(2, "1.18.12"), CancellationToken.None);

        Assert.That(again.Kind, Is.EqualTo(RenderKind.Direct), "the 1.18 group was dropped for the 1.17 one, so this Cluster is its new sample");
        Assert.That(Runs(record), Is.EqualTo(3));
        Assert.That(cache.Size.Templates, Is.EqualTo(1));
    }

    [Test]
    public async Task RendersBeyondTheMemoryBoundAreDropped()
    {
        var (cache, _, record) = NewCache(new StampTemplateCacheOptions(MaxBytes: 100_000));

        await cache.RenderAsync(Plan(0), CancellationToken.None);
        var second = await cache.RenderAsync(Plan(1), CancellationToken.None);

        Assert.That(cache.Size, Is.EqualTo((0, 0L)), "a ~60 KB render is ~120 KB in memory: more than the bound");
        Assert.That((second.Kind, Runs(record)), Is.EqualTo((RenderKind.Direct, 2)));
    }

    [Test]
    public async Task AnotherCliVersionDropsEveryGroupMadeWithTheOldOne()
    {
        var (cache, _, record) = NewCache();
        await cache.RenderAsync(Plan(0, "1.18.12"), CancellationToken.None);
        await cache.RenderAsync(Plan(1, "1.17.18"), CancellationToken.None);
        Assert.That(cache.Size.Templates, Is.EqualTo(2));

        var upgraded = await cache.RenderAsync(Plan(2, "1.18.12", cliVersion: "v0.19.8"), CancellationToken.None);

        Assert.That(upgraded.Kind, Is.EqualTo(RenderKind.Direct), "a sample of its own, not the 1.18 group's of the old CLI");
        Assert.That(cache.Size.Templates, Is.EqualTo(1), "only the group of the new CLI version");
        Assert.That(Runs(record), Is.EqualTo(3));
    }

    [Test]
    public async Task AGroupThatCannotBeStampedRendersDirectlyWithoutMakingTheTemplateAgain()
    {
        var (cache, pipeline, record) = NewCache(cli: StampingRendererTests.PerturbingWrapper("direct", "s/enable-policy: \"default\"/enable-policy: \"always\"/"));

        var results = new List<ClusterResult>();
        for (var i = 0; i < 4; i++)
        {
            results.Add(await cache.RenderAsync(Plan(i), CancellationToken.None));
        }

        Assert.That(Runs(record), Is.EqualTo(1 + 1 + 3), "the sample, the template once, then one direct render per other Cluster");
        Assert.That(results.Select(r => r.Kind), Is.EqualTo(new[] { RenderKind.Direct, RenderKind.Fallback, RenderKind.Fallback, RenderKind.Fallback }));
        Assert.That(results[1].Problems.Single().Message, Does.Contain("cannot be stamped from one render").And.Contain("enable-policy"),
            "said once, by the Cluster whose coming made the template");
        Assert.That(results.Where((_, i) => i != 1).SelectMany(r => r.Problems), Is.Empty);
        AssertSameObjects(await pipeline.RenderAsync(Plan(3), CancellationToken.None), results[3]);
    }

    [Test]
    public async Task AStampedRenderThatFailsTheChecksOfADirectOneIsRenderedDirectly()
    {
        // A plan expecting another endpoint than its values carry: the stamped render is checked against the plan
        // like a direct one, fails, and is not trusted: the Cluster gets a run of its own, which fails the same way.
        var (cache, pipeline, record) = NewCache();
        await cache.RenderAsync(Plan(0), CancellationToken.None);
        var inconsistent = Plan(1) with { Endpoint = new Rendering.Clusters.ControlPlaneEndpoint("10.9.9.9", 6443) };

        var result = await cache.RenderAsync(inconsistent, CancellationToken.None);

        Assert.That((result.Kind, result.State), Is.EqualTo((RenderKind.Fallback, ClusterState.Failed)));
        Assert.That(Runs(record), Is.EqualTo(3), "the template pair, then this Cluster's own run");
        var direct = await pipeline.RenderAsync(inconsistent, CancellationToken.None);
        Assert.That(result.Problems, Is.EqualTo(direct.Problems));
        Assert.That(result.Problems.Select(p => p.Field), Does.Contain("spec.template.spec.containers[cilium-agent].env[KUBERNETES_SERVICE_HOST]"));
    }
}
