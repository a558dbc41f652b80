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
/// Receives one Cluster's result, with its output, as soon as the Cluster is finished: writes its files, compares them
/// with a committed tree, and so on. Called concurrently for different Clusters, never twice for one.
/// </summary>
public delegate ValueTask ClusterResultHandler(ClusterResult result, CancellationToken cancellationToken);

/// <summary>
/// Renders many plans with bounded parallelism (a render holds ~125 MB while it runs). Each finished Cluster goes to
/// the handler at once and only its summary (<see cref="ClusterResult.Released"/>) is kept, so memory does not grow
/// with the output of a thousand Clusters; the summaries come back in the input order, whatever order the Clusters
/// finished in, so reports do not depend on timing. With <paramref name="stamping"/>, Clusters that share everything
/// but their facts are rendered once and stamped (see <see cref="StampingRenderer"/>), with the same outputs.
/// </summary>
public sealed class BatchRenderer(AddonRenderPipeline pipeline, int parallelism, StampingRenderer? stamping = null)
{
    public async Task<IReadOnlyList<ClusterResult>> RenderAsync(IReadOnlyList<RenderPlan> plans, ClusterResultHandler handler,
        IRenderProgress? progress, CancellationToken cancellationToken)
    {
        var delivery = new ResultDelivery(plans.Count, handler, progress);
        if (stamping is not null)
        {
            await stamping.RenderAsync(plans, delivery, cancellationToken).ConfigureAwait(false);
            return delivery.Summaries;
        }

        await Parallel.ForEachAsync(
            Enumerable.Range(0, plans.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = cancellationToken },
            async (index, token) =>
            {
                var stopwatch = Stopwatch.StartNew();
                var result = await pipeline.RenderAsync(plans[index], token).ConfigureAwait(false);
                await delivery.DeliverAsync(index, result, stopwatch.Elapsed, token).ConfigureAwait(false);
            }).ConfigureAwait(false);
        return delivery.Summaries;
    }
}

/// <summary>Hands each result to the handler and progress, and keeps its summary at its input position.</summary>
internal sealed class ResultDelivery(int count, ClusterResultHandler handler, IRenderProgress? progress)
{
    private readonly ClusterResult[] summaries = new ClusterResult[count];
    private int completed;

    public IReadOnlyList<ClusterResult> Summaries => summaries;

    public async ValueTask DeliverAsync(int index, ClusterResult result, TimeSpan elapsed, CancellationToken cancellationToken)
    {
        // Files derived from the objects are made once here, not again by every reader in the handler.
        var timed = result with { Duration = elapsed, Files = result.Files };
        await handler(timed, cancellationToken).ConfigureAwait(false);
        summaries[index] = timed.Released();
        progress?.Completed(summaries[index], Interlocked.Increment(ref completed), count);
    }
}
