using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace CapiCiliumAddon.Controller.Metrics;

/// <summary>
/// The controller's Prometheus metrics, kept by hand (no client library on the mirror) and written in the text
/// exposition format with a fixed ordering so scrapes and tests are deterministic.
/// </summary>
public sealed class ControllerMetrics
{
    public static readonly double[] RenderBuckets = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private readonly ConcurrentDictionary<string, long> reconciles = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> renders = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> rendersByKind = new(StringComparer.Ordinal);
    private readonly long[] bucketCounts = new long[RenderBuckets.Length];
    private readonly object histogramGate = new();
    private long renderCount;
    private double renderSum;
    private volatile IReadOnlyDictionary<string, int> clusterStates = new Dictionary<string, int>();

    /// <summary>Read at scrape time.</summary>
    public Func<int> QueueDepth { get; set; } = () => 0;

    public void ReconcileFinished(string result) => reconciles.AddOrUpdate(result, 1, (_, n) => n + 1);

    public void RenderFinished(string result, TimeSpan duration)
    {
        renders.AddOrUpdate(result, 1, (_, n) => n + 1);
        var seconds = duration.TotalSeconds;
        lock (histogramGate)
        {
            renderCount++;
            renderSum += seconds;
            for (var i = 0; i < RenderBuckets.Length; i++)
            {
                if (seconds <= RenderBuckets[i]) { bucketCounts[i]++; }
            }
        }
    }

    /// <summary>Counts a render by how it was made: direct, stamped or fallback (see RenderKind).</summary>
    public void RenderMade(string kind) => rendersByKind.AddOrUpdate(kind, 1, (_, n) => n + 1);

    /// <summary>Replaces the per-state Cluster counts (computed by the reconciler's state tracker).</summary>
    public void SetClusterStates(IReadOnlyDictionary<string, int> states) => clusterStates = states;

    public long Reconciles(string result) => reconciles.GetValueOrDefault(result);

    public long Renders(string result) => renders.GetValueOrDefault(result);

    public long RendersByKind(string kind) => rendersByKind.GetValueOrDefault(kind);

    public string Render()
    {
        var sb = new StringBuilder();
        Counter(sb, "capi_cilium_reconciles_total", "Reconciles of a Cluster by result.", "result", reconciles);
        Counter(sb, "capi_cilium_renders_total", "Cilium renders by result.", "result", renders);
        Counter(sb, "capi_cilium_renders_by_kind_total", "Cilium renders by how they were made: direct (a CLI run of its own), stamped (from its group's verified template, no CLI run), fallback (a CLI run after stamping was refused).", "kind", rendersByKind);

        sb.Append("# HELP capi_cilium_render_duration_seconds Time taken by one Cilium render.\n");
        sb.Append("# TYPE capi_cilium_render_duration_seconds histogram\n");
        lock (histogramGate)
        {
            for (var i = 0; i < RenderBuckets.Length; i++)
            {
                sb.Append(CultureInfo.InvariantCulture, $"capi_cilium_render_duration_seconds_bucket{{le=\"{Num(RenderBuckets[i])}\"}} {bucketCounts[i]}\n");
            }

            sb.Append(CultureInfo.InvariantCulture, $"capi_cilium_render_duration_seconds_bucket{{le=\"+Inf\"}} {renderCount}\n");
            sb.Append(CultureInfo.InvariantCulture, $"capi_cilium_render_duration_seconds_sum {Num(renderSum)}\n");
            sb.Append(CultureInfo.InvariantCulture, $"capi_cilium_render_duration_seconds_count {renderCount}\n");
        }

        sb.Append("# HELP capi_cilium_queue_depth Clusters waiting in the work queue.\n");
        sb.Append("# TYPE capi_cilium_queue_depth gauge\n");
        sb.Append(CultureInfo.InvariantCulture, $"capi_cilium_queue_depth {QueueDepth()}\n");

        sb.Append("# HELP capi_cilium_clusters Watched Clusters by state.\n");
        sb.Append("# TYPE capi_cilium_clusters gauge\n");
        foreach (var (state, count) in clusterStates.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            sb.Append(CultureInfo.InvariantCulture, $"capi_cilium_clusters{{state=\"{Escape(state)}\"}} {count}\n");
        }

        return sb.ToString();
    }

    private static void Counter(StringBuilder sb, string name, string help, string label, ConcurrentDictionary<string, long> values)
    {
        sb.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n");
        sb.Append(CultureInfo.InvariantCulture, $"# TYPE {name} counter\n");
        foreach (var (value, count) in values.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            sb.Append(CultureInfo.InvariantCulture, $"{name}{{{label}=\"{Escape(value)}\"}} {count}\n");
        }
    }

    private static string Num(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static string Escape(string v) => v.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
