using System.Text.Json.Nodes;
using CapiCiliumAddon.Rendering;
using CapiCiliumAddon.Rendering.Addons;
using CapiCiliumAddon.Rendering.Clusters;
using CapiCiliumAddon.Rendering.Pipeline;
using CapiCiliumAddon.Rendering.Planning;

namespace CapiCiliumAddon.Controller;

/// <summary>The controller's port implemented by the rendering core: the same planner and pipeline the CLI uses.</summary>
public sealed class CoreClusterAddonRenderer(RenderPlanner planner, AddonRenderPipeline pipeline) : IClusterAddonRenderer
{
    public IReadOnlyList<string> ReferencedConfigMaps(JsonObject cluster) =>
        cluster["metadata"]?["annotations"]?[AddonKeys.ValuesConfigMapAnnotation] is JsonValue value
        && value.TryGetValue<string>(out var name) && name.Length > 0
            ? [name]
            : [];

    public AddonPlanOutcome Plan(JsonObject cluster, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> configMaps)
    {
        var read = ClusterReader.Read(cluster);
        if (!read.IsValid)
        {
            return new AddonPlanOutcome.Invalid(read.Problems);
        }

        return planner.Plan(read.Facts!, configMaps) switch
        {
            PlanOutcome.Ready ready => new AddonPlanOutcome.Ready(ToAddonPlan(ready.Plan)),
            PlanOutcome.NotReady notReady => new AddonPlanOutcome.NotReady(notReady.Reason),
            PlanOutcome.Invalid invalid => new AddonPlanOutcome.Invalid(invalid.Problems),
            var other => throw new InvalidOperationException($"unexpected plan outcome {other}"),
        };
    }

    public async Task<AddonRenderOutcome> RenderAsync(AddonPlan plan, CancellationToken cancellationToken)
    {
        var result = await pipeline.RenderAsync((RenderPlan)plan.Payload, cancellationToken).ConfigureAwait(false);
        var warnings = result.Problems.Where(p => p.Severity == ProblemSeverity.Warning).ToList();
        return result.State == ClusterState.Rendered
            ? new AddonRenderOutcome.Rendered(result.Objects!.Objects.Select(o => (JsonObject)o.Json.DeepClone()).ToList(), warnings)
            : new AddonRenderOutcome.Failed(result.Problems);
    }

    /// <summary>
    /// Only the first ConfigMap and the ClusterResourceSet are named up front: how many parts a render needs is known
    /// only after rendering, and the CRS (written last, listing every part) is what proves a render complete.
    /// </summary>
    private static AddonPlan ToAddonPlan(RenderPlan plan) => new(
        plan.Cluster.Namespace,
        plan.Cluster.Name,
        plan.InputHash,
        plan.Version.ToString(),
        plan.SelectorLabel,
        [
            new AddonObjectName("v1", "ConfigMap", AddonNames.ConfigMap(plan.Cluster.Name)),
            new AddonObjectName(AddonNames.ClusterResourceSetApiVersion, "ClusterResourceSet", AddonNames.ClusterResourceSet(plan.Cluster.Name)),
        ],
        plan);
}
