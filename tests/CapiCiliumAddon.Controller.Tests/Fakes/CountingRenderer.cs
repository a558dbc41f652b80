using System.Text.Json.Nodes;

namespace CapiCiliumAddon.Controller.Tests.Fakes;

/// <summary>Wraps a renderer and counts RenderAsync calls: each one is a `cilium install` run.</summary>
public sealed class CountingRenderer(IClusterAddonRenderer inner) : IClusterAddonRenderer
{
    private int renders;

    public int Renders => Volatile.Read(ref renders);

    public IReadOnlyList<string> ReferencedConfigMaps(JsonObject cluster) => inner.ReferencedConfigMaps(cluster);

    public AddonPlanOutcome Plan(JsonObject cluster, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> configMaps) =>
        inner.Plan(cluster, configMaps);

    public Task<AddonRenderOutcome> RenderAsync(AddonPlan plan, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref renders);
        return inner.RenderAsync(plan, cancellationToken);
    }
}
