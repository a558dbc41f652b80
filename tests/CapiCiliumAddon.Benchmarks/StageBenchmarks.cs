using BenchmarkDotNet.Attributes;
using CapiCiliumAddon.Rendering;
using CapiCiliumAddon.Rendering.Addons;
using CapiCiliumAddon.Rendering.Clusters;
using CapiCiliumAddon.Rendering.Output;
using CapiCiliumAddon.Rendering.Pipeline;
using CapiCiliumAddon.Rendering.Planning;

namespace CapiCiliumAddon.Benchmarks;

/// <summary>
/// Our own work per render, beyond the Cilium CLI's ~0.25 s (DESIGN.md §3), on the recorded real bare-metal output:
/// planning, post-processing (parse, Hubble Job, checks, objects, YAML) and the tree. Goal: together at most 5% of t_cli.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class StageBenchmarks
{
    private ClusterFacts facts = null!;
    private RenderPlanner planner = null!;
    private RenderPlan plan = null!;
    private string cliOutput = null!;
    private AddonObjects objects = null!;
    private string outputRoot = null!;
    private readonly Dictionary<string, IReadOnlyDictionary<string, string>> noConfigMaps = new(StringComparer.Ordinal);

    [GlobalSetup]
    public void Setup()
    {
        facts = BenchInputs.Facts(BenchInputs.RecordedCluster());
        planner = new RenderPlanner(BenchInputs.PlanContext());
        plan = ((PlanOutcome.Ready)planner.Plan(facts, noConfigMaps)).Plan;
        cliOutput = BenchInputs.RecordedOutput();
        var finished = AddonRenderPipeline.Finish(plan, cliOutput, [], AddonLimits.Default);
        if (finished.State != ClusterState.Rendered)
        {
            throw new InvalidOperationException("the recorded output does not pass post-processing: " + string.Join("; ", finished.Problems));
        }

        objects = finished.Objects!;
        outputRoot = Path.Combine(Path.GetTempPath(), "capi-cilium-stage-bench-" + Guid.NewGuid().ToString("N"));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var directory in new[] { outputRoot, outputRoot + "-same" })
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    /// <summary>RenderPlanner.Plan: settings layers, profile, lint, input hash.</summary>
    [Benchmark]
    public PlanOutcome Plan() => planner.Plan(facts, noConfigMaps);

    /// <summary>AddonRenderPipeline.Finish: everything after the CLI, up to the objects and their YAML.</summary>
    [Benchmark]
    public ClusterResult Finish() => AddonRenderPipeline.Finish(plan, cliOutput, [], AddonLimits.Default);

    /// <summary>ManifestTree.Files: the file contents of one Cluster's folder (pure).</summary>
    [Benchmark]
    public IReadOnlyList<KeyValuePair<string, string>> TreeFiles() => ManifestTree.Files(objects);

    /// <summary>ManifestTree.WriteCluster into an emptied folder: the files really written (atomically), as `render` does for a new Cluster.</summary>
    [Benchmark]
    public int TreeWriteNew()
    {
        var directory = ManifestTree.ClusterDirectory(outputRoot, plan.Cluster);
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        return ManifestTree.WriteCluster(outputRoot, plan.Cluster, ManifestTree.Files(objects)).Count;
    }

    /// <summary>ManifestTree.WriteCluster over identical files: a re-render that changes nothing (compare, no write).</summary>
    [Benchmark]
    public int TreeWriteUnchanged() => ManifestTree.WriteCluster(outputRoot + "-same", plan.Cluster, ManifestTree.Files(objects)).Count;
}
