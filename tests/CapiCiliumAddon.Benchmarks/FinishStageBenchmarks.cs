using BenchmarkDotNet.Attributes;
using CapiCiliumAddon.Rendering;
using CapiCiliumAddon.Rendering.Addons;
using CapiCiliumAddon.Rendering.Manifests;
using CapiCiliumAddon.Rendering.Pipeline;
using CapiCiliumAddon.Rendering.Planning;

namespace CapiCiliumAddon.Benchmarks;

/// <summary>
/// The parts of <see cref="AddonRenderPipeline.Finish"/>, each alone on the recorded output, to show where its time
/// and allocations go (the same calls, in the same order, as Finish makes).
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class FinishStageBenchmarks
{
    private const string ChartVersion = "1.18.12";
    private RenderPlan plan = null!;
    private string cliOutput = null!;
    private RenderedManifest parsed = null!;
    private RenderedManifest withJob = null!;
    private ExpectedRender expected = null!;
    private AddonIdentity identity = null!;

    [GlobalSetup]
    public void Setup()
    {
        var facts = BenchInputs.Facts(BenchInputs.RecordedCluster());
        plan = ((PlanOutcome.Ready)new RenderPlanner(BenchInputs.PlanContext()).Plan(facts, new Dictionary<string, IReadOnlyDictionary<string, string>>())).Plan;
        cliOutput = BenchInputs.RecordedOutput();
        parsed = RenderedManifest.Parse(cliOutput, plan.Cluster.Key).Manifest!;
        withJob = HubbleCertificates.EnsureBootstrapJob(parsed, ChartVersion);
        expected = AddonRenderPipeline.Expected(plan, ChartVersion);
        identity = new AddonIdentity(plan.Cluster.Namespace, plan.Cluster.Name, plan.SelectorLabel);
    }

    [Benchmark]
    public ManifestParseResult Parse() => RenderedManifest.Parse(cliOutput, plan.Cluster.Key);

    [Benchmark]
    public RenderedManifest HubbleJob() => HubbleCertificates.EnsureBootstrapJob(parsed, ChartVersion);

    [Benchmark]
    public IReadOnlyList<Problem> Checks() => RenderChecks.Check(withJob, expected);

    [Benchmark]
    public AddonObjects BuildObjects() => AddonObjectsBuilder.Build(identity, withJob, plan.OutputAnnotations, AddonLimits.Default);
}
