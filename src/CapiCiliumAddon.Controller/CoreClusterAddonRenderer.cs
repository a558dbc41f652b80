using System.Text.Json.Nodes;
using CapiCiliumAddon.Rendering;
using CapiCiliumAddon.Rendering.Addons;
using CapiCiliumAddon.Rendering.Clusters;
using CapiCiliumAddon.Rendering.Pipeline;
using CapiCiliumAddon.Rendering.Pipeline.Stamping;
using CapiCiliumAddon.Rendering.Planning;

namespace CapiCiliumAddon.Controller;

/// <summary>
/// The controller's port implemented by the rendering core: the same planner and pipeline the CLI uses. With
/// <paramref name="stamps"/>, Clusters that share everything but their facts are stamped from their group's verified
/// template (see <see cref="StampTemplateCache"/>), after the same checks as a direct render.
/// </summary>
public sealed class CoreClusterAddonRenderer(RenderPlanner planner, AddonRenderPipeline pipeline, StampTemplateCache? stamps = null) : IClusterAddonRenderer
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
        var renderPlan = (RenderPlan)plan.Payload;
        var result = stamps is null
            ? await pipeline.RenderAsync(renderPlan, cancellationToken).ConfigureAwait(false)
            : await stamps.RenderAsync(renderPlan, cancellationToken).ConfigureAwait(false);
        var warnings = result.Problems.Where(p => p.Severity == ProblemSeverity.Warning).ToList();
        // The objects are this render's own (nothing else holds them), so they are handed over as they are.
        return result.State == ClusterState.Rendered
            ? new AddonRenderOutcome.Rendered(result.Objects!.Objects.Select(o => o.Json).ToList(), warnings) { Kind = result.Kind }
            : new AddonRenderOutcome.Failed(result.Problems) { Kind = result.Kind };
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
