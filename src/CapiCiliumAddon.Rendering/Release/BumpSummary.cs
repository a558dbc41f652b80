using System.Text;
using CapiCiliumAddon.Rendering.Output;
using CapiCiliumAddon.Rendering.Review;
using CapiCiliumAddon.Rendering.Settings;

namespace CapiCiliumAddon.Rendering.Release;

public enum BumpStatus
{
    /// <summary>Rendered at the new version; its files changed.</summary>
    Changed,

    /// <summary>Rendered at the new version; its files were already exactly that.</summary>
    Unchanged,

    /// <summary>Rendered at the new version; it had no files before.</summary>
    New,

    /// <summary>Pinned by annotation and left alone (no --include-pinned).</summary>
    Pinned,

    /// <summary>
    /// No endpoint anywhere yet, so it has no files to move: a warning, as in check. It renders at the new version
    /// once ready, since the version bump recorded is the one it will get.
    /// </summary>
    NotReady,

    /// <summary>Could not be rendered (invalid, CLI failure): its files were left alone.</summary>
    Skipped,
}

/// <summary>What bump did to one Cluster. <see cref="Highlights"/> compare its previous files with the new ones.</summary>
public sealed record BumpedCluster(string Key, BumpStatus Status, string Detail, IReadOnlyList<DiffHighlight> Highlights);

/// <summary>
/// One Cluster folder as it was before bump overwrote it: its objects (for the image/version comparison) and its
/// bytes (for "unchanged"). Capture it before <see cref="ManifestTree.WriteCluster"/>, compare after.
/// </summary>
public sealed class ClusterSnapshot
{
    private readonly IReadOnlyList<ManifestObject> _objects;
    private readonly Dictionary<string, byte[]> _files;

    private ClusterSnapshot(IReadOnlyList<ManifestObject> objects, Dictionary<string, byte[]> files)
    {
        _objects = objects;
        _files = files;
    }

    /// <summary>True when the folder held any of our generated files.</summary>
    public bool Existed => _files.Count > 0;

    public static ClusterSnapshot Capture(string clusterFolder)
    {
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        if (!Directory.Exists(clusterFolder))
        {
            return new ClusterSnapshot([], files);
        }

        foreach (var file in Directory.EnumerateFiles(clusterFolder, "*.yaml").Where(ManifestTree.IsGenerated))
        {
            files[Path.GetFileName(file)] = File.ReadAllBytes(file);
        }

        var loaded = files.Count == 0 ? null : ManifestLoader.Load(clusterFolder);
        return new ClusterSnapshot(loaded is { HasErrors: false } ? loaded.Objects : [], files);
    }

    /// <summary>True when writing <paramref name="files"/> would change nothing: same names, same bytes.</summary>
    public bool Matches(IReadOnlyList<KeyValuePair<string, string>> files) =>
        files.Count == _files.Count
        && files.All(f => _files.TryGetValue(f.Key, out var bytes) && bytes.AsSpan().SequenceEqual(Encoding.UTF8.GetBytes(f.Value)));

    /// <summary>Images and version annotations that differ between the snapshot and the folder as it is now.</summary>
    public IReadOnlyList<DiffHighlight> HighlightsAgainst(string clusterFolder)
    {
        var now = ManifestLoader.Load(clusterFolder);
        return now.HasErrors ? [] : ManifestDiffer.Compare(_objects, now.Objects).Highlights;
    }
}

/// <summary>
/// The text bump prints: what happened per Cluster, the image changes, the chart changes we know of, and how the new
/// files (do not) reach running clusters. Plain text, stable order, no timestamps: it is golden-tested.
/// </summary>
public static class BumpSummary
{
    /// <summary>ApplyOnce never re-applies: said after every bump, because it is the surprise that hurts.</summary>
    public const string DeliveryReminder =
        "Delivery: the ClusterResourceSets are ApplyOnce. These files bootstrap clusters that have not received Cilium yet;\n" +
        "already-bootstrapped clusters (those whose ClusterResourceSetBinding shows applied) will not receive this change.\n" +
        "Upgrade Cilium on those through the GitOps tool that owns it after bootstrap (e.g. its Helm release / HelmRelease).\n" +
        "`capi-cilium status` shows which clusters have applied their ClusterResourceSet.\n";

    /// <param name="settingsFile">The repository settings file whose default version bump set to <paramref name="to"/>, or null when there is none.</param>
    public static string Render(CiliumVersion to, string cliVersion, string outputDirectory, IReadOnlyList<BumpedCluster> clusters, string? settingsFile = null)
    {
        var sb = new StringBuilder();
        sb.Append($"Bump to Cilium {to} (cilium-cli {cliVersion}) in {outputDirectory}\n");
        var counts = Enum.GetValues<BumpStatus>()
            .Select(s => (Status: s, Count: clusters.Count(c => c.Status == s)))
            .Where(x => x.Count > 0)
            .Select(x => $"{x.Count} {Word(x.Status)}");
        sb.Append($"{clusters.Count} Cluster(s): {string.Join(", ", counts)}\n");

        if (clusters.Count > 0)
        {
            sb.Append("\nClusters:\n");
            var width = clusters.Max(c => c.Key.Length);
            foreach (var cluster in clusters.OrderBy(c => c.Status).ThenBy(c => c.Key, StringComparer.Ordinal))
            {
                sb.Append($"  {Word(cluster.Status),-9}  {cluster.Key.PadRight(width)}  {cluster.Detail}\n");
            }
        }

        AppendImages(sb, clusters.Where(c => c.Status == BumpStatus.Changed).ToList());
        AppendChartChanges(sb, to, clusters.Where(c => c.Status == BumpStatus.Changed).ToList());
        if (clusters.Any(c => c.Status is BumpStatus.Changed or BumpStatus.New or BumpStatus.Unchanged))
        {
            if (settingsFile is not null)
            {
                sb.Append($"\nRecorded: {settingsFile} now says ciliumVersion: {to}, so later renders and checks stay at {to}.\n");
            }
            else
            {
                sb.Append($"\nNext: give render and check `--cilium-version {to}` (or only the chart directory for {to}) from now on,\n")
                    .Append("or unpinned Clusters render their previous version again and check reports them out of date.\n")
                    .Append($"Better: record it once, `ciliumVersion: {to}` in a capi-cilium.yaml at the root of your Cluster files.\n");
            }
        }

        sb.Append('\n').Append(DeliveryReminder);
        return sb.ToString();
    }

    /// <summary>The version a Cluster had before, from its previous files' chart-version annotation (null if unknown).</summary>
    public static CiliumVersion? PreviousChartVersion(BumpedCluster cluster) =>
        cluster.Highlights.FirstOrDefault(h => h.Kind == HighlightKind.Version && h.Subject == AddonKeys.ChartVersionAnnotation) is { } h
        && CiliumVersion.TryParse(h.OldValue, out var v) ? v : null;

    private static void AppendImages(StringBuilder sb, List<BumpedCluster> changed)
    {
        var images = changed
            .SelectMany(c => c.Highlights.Where(h => h.Kind == HighlightKind.Image).Select(h => (Line: $"{h.Subject}: {h.OldValue} → {h.NewValue}", c.Key)))
            .GroupBy(x => x.Line, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToList();
        sb.Append("\nImages (old → new):\n");
        if (images.Count == 0)
        {
            sb.Append("  no image changed\n");
            return;
        }

        foreach (var image in images)
        {
            var keys = image.Select(x => x.Key).Distinct().Order(StringComparer.Ordinal).ToList();
            var which = keys.Count == changed.Count ? "" : $"  [{string.Join(", ", keys)}]";
            sb.Append($"  {image.Key}{which}\n");
        }
    }

    private static void AppendChartChanges(StringBuilder sb, CiliumVersion to, List<BumpedCluster> changed)
    {
        var froms = changed.Select(PreviousChartVersion).OfType<CiliumVersion>()
            .DistinctBy(v => (v.Major, v.Minor))
            .OrderBy(v => v)
            .ToList();
        foreach (var from in froms)
        {
            sb.Append($"\nValues that changed meaning {from.Major}.{from.Minor} → {to.Major}.{to.Minor} (cilium-config of our recorded renders of the same values):\n");
            var entries = ChartChanges.Between(from, to);
            if (entries.Count == 0)
            {
                sb.Append("  no known changes recorded");
                var overlapping = ChartChanges.PartlyOverlapping(from, to);
                if (overlapping.Count > 0)
                {
                    sb.Append($" (our recordings compare {string.Join(", ", overlapping.Select(p => $"{p.From} with {p.To}"))}, which this move only partly spans)");
                }

                sb.Append('\n');
                continue;
            }

            var width = entries.Max(e => e.ConfigKey.Length);
            var valueWidth = entries.Max(e => $"{Show(e.OldValue)} → {Show(e.NewValue)}".Length);
            foreach (var span in entries.GroupBy(e => (e.From, e.To)))
            {
                sb.Append($"  {span.Key.From} → {span.Key.To}:\n");
                foreach (var entry in span)
                {
                    sb.Append($"    {entry.ConfigKey.PadRight(width)}  {$"{Show(entry.OldValue)} → {Show(entry.NewValue)}".PadRight(valueWidth)}  {entry.Note}\n");
                }
            }
        }
    }

    private static string Show(string? value) => value is null ? "(absent)" : $"\"{value}\"";

    private static string Word(BumpStatus status) => status switch
    {
        BumpStatus.Changed => "changed",
        BumpStatus.Unchanged => "unchanged",
        BumpStatus.New => "new",
        BumpStatus.Pinned => "pinned",
        BumpStatus.NotReady => "not ready",
        _ => "skipped",
    };
}
