using System.Diagnostics;
using CapiCiliumAddon.Rendering.Pipeline.Stamping;
using CapiCiliumAddon.Rendering.Planning;

namespace CapiCiliumAddon.Rendering.Pipeline;

/// <summary>Told about each Cluster as it finishes, for progress output.</summary>
public interface IRenderProgress
{
    void Completed(ClusterResult result, int completed, int total);
}

/// <summary>
/// Renders many plans with bounded parallelism (a render holds ~125 MB while it runs) and returns the results in
/// the input order, whatever order they finished in, so reports and written files do not depend on timing.
/// With <paramref name="stamping"/>, Clusters that share everything but their facts are rendered once and stamped
/// (see <see cref="StampingRenderer"/>); the results are the same, in the same order.
/// </summary>
public sealed class BatchRenderer(AddonRenderPipeline pipeline, int parallelism, StampingRenderer? stamping = null)
{
    public async Task<IReadOnlyList<ClusterResult>> RenderAsync(IReadOnlyList<RenderPlan> plans, IRenderProgress? progress, CancellationToken cancellationToken)
    {
        if (stamping is not null)
        {
            return await stamping.RenderAsync(plans, progress, cancellationToken).ConfigureAwait(false);
        }

        var results = new ClusterResult[plans.Count];
        var completed = 0;
        await Parallel.ForEachAsync(
            Enumerable.Range(0, plans.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = cancellationToken },
            async (index, token) =>
            {
                var stopwatch = Stopwatch.StartNew();
                var result = await pipeline.RenderAsync(plans[index], token).ConfigureAwait(false);
                results[index] = result with { Duration = stopwatch.Elapsed };
                progress?.Completed(results[index], Interlocked.Increment(ref completed), plans.Count);
            }).ConfigureAwait(false);
        return results;
    }
}
