using System.Diagnostics.Metrics;

namespace CapiCiliumAddon.Controller.Metrics;

/// <summary>
/// The controller's metrics, recorded through <see cref="System.Diagnostics.Metrics"/> instruments on one meter,
/// <see cref="MeterName"/>. The host exposes them in the Prometheus text format at /metrics; any other listener
/// (dotnet-counters, an OpenTelemetry pipeline of the operator's choosing, tests) sees the same instruments.
/// Instrument names are already Prometheus names, so the exporter adds no suffixes.
/// </summary>
public sealed class ControllerMetrics : IDisposable
{
    public const string MeterName = "CapiCiliumAddon.Controller";

    public static readonly double[] RenderBuckets = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private readonly Meter meter;
    private volatile IReadOnlyDictionary<string, int> clusterStates = new Dictionary<string, int>();

    /// <summary>Each instance has a meter of its own (see <see cref="Owns"/>), so controllers in one process never mix counts.</summary>
    public ControllerMetrics()
    {
        meter = new Meter(MeterName);
        ReconcilesTotal = meter.CreateCounter<long>("capi_cilium_reconciles_total", description: "Reconciles of a Cluster by result.");
        RendersTotal = meter.CreateCounter<long>("capi_cilium_renders_total", description: "Cilium renders by result.");
        RendersByKindTotal = meter.CreateCounter<long>("capi_cilium_renders_by_kind_total",
            description: "Cilium renders by how they were made: direct (a CLI run of its own), stamped (from its group's verified template, no CLI run), fallback (a CLI run after stamping was refused).");
        RenderDuration = meter.CreateHistogram(
            "capi_cilium_render_duration_seconds",
            unit: null,
            description: "Time taken by one Cilium render.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = RenderBuckets });
        meter.CreateObservableGauge("capi_cilium_queue_depth", () => QueueDepth(), description: "Clusters waiting in the work queue.");
        meter.CreateObservableGauge("capi_cilium_clusters", ObserveClusterStates, description: "Watched Clusters by state.");
    }

    /// <summary>Reconciles by <c>result</c> (applied, current, waiting, ...).</summary>
    public Counter<long> ReconcilesTotal { get; }

    /// <summary>Renders by <c>result</c> (success, failed, error, cancelled).</summary>
    public Counter<long> RendersTotal { get; }

    /// <summary>Renders by <c>kind</c>: direct, stamped or fallback.</summary>
    public Counter<long> RendersByKindTotal { get; }

    public Histogram<double> RenderDuration { get; }

    /// <summary>Read whenever the gauges are observed (at scrape time).</summary>
    public Func<int> QueueDepth { get; set; } = () => 0;

    public void ReconcileFinished(string result) => ReconcilesTotal.Add(1, new KeyValuePair<string, object?>("result", result));

    public void RenderFinished(string result, TimeSpan duration)
    {
        RendersTotal.Add(1, new KeyValuePair<string, object?>("result", result));
        RenderDuration.Record(duration.TotalSeconds);
    }

    /// <summary>Counts a render by how it was made: direct, stamped or fallback.</summary>
    public void RenderMade(string kind) => RendersByKindTotal.Add(1, new KeyValuePair<string, object?>("kind", kind));

    /// <summary>Replaces the per-state Cluster counts (computed by the reconciler's state tracker).</summary>
    public void SetClusterStates(IReadOnlyDictionary<string, int> states) => clusterStates = states;

    /// <summary>True for this instance's own instruments (another controller in the process has a meter of the same name).</summary>
    public bool Owns(Instrument instrument) => ReferenceEquals(instrument.Meter, meter);

    public void Dispose() => meter.Dispose();

    private IEnumerable<Measurement<int>> ObserveClusterStates() =>
        clusterStates.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => new Measurement<int>(kv.Value, new KeyValuePair<string, object?>("state", kv.Key)));
}
