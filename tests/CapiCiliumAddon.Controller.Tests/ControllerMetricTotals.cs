using CapiCiliumAddon.Controller.Metrics;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace CapiCiliumAddon.Controller.Tests;

/// <summary>
/// The controller's counters summed by tag, as a scrape would show them, for tests and benchmarks that wait for or
/// assert counts. Listens from construction on: create it before the host starts.
/// </summary>
public sealed class ControllerMetricTotals(ControllerMetrics metrics) : IDisposable
{
    private readonly MetricCollector<long> reconciles = new(metrics.ReconcilesTotal);
    private readonly MetricCollector<long> renders = new(metrics.RendersTotal);
    private readonly MetricCollector<long> rendersByKind = new(metrics.RendersByKindTotal);

    /// <summary>Reconciles that ended with <paramref name="result"/> (applied, current, waiting, ...).</summary>
    public long Reconciles(string result) => Sum(reconciles, "result", result);

    /// <summary>Every reconcile, whatever its result.</summary>
    public long AllReconciles => reconciles.GetMeasurementSnapshot().Sum(m => m.Value);

    public long Renders(string result) => Sum(renders, "result", result);

    /// <summary>Renders made <paramref name="kind"/>: direct, stamped or fallback.</summary>
    public long RendersByKind(string kind) => Sum(rendersByKind, "kind", kind);

    public void Dispose()
    {
        reconciles.Dispose();
        renders.Dispose();
        rendersByKind.Dispose();
    }

    private static long Sum(MetricCollector<long> collector, string tag, string value) =>
        collector.GetMeasurementSnapshot().Where(m => Equals(m.Tags[tag], value)).Sum(m => m.Value);
}
