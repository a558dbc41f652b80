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
public sealed record BumpedCluster(string Key, BumpStatus Status, string Detail, IReadOnlyList<DiffHighlight> Highlights)
{
    /// <summary>The chart version its previous files were rendered with, when they say.</summary>
    public CiliumVersion? From { get; init; }

    /// <summary>What changed in its render (see <see cref="RenderChanges"/>); empty unless <see cref="Status"/> is Changed.</summary>
    public IReadOnlyList<RenderChange> Changes { get; init; } = [];

    /// <summary>The Helm values its settings stack to at the new version (as far as planning got), or null.</summary>
    public HelmValues? Values { get; init; }

    /// <summary>False when its previous files could not be read: what changed is unknown, so it is part of no move.</summary>
    public bool Compared { get; init; } = true;
}

/// <summary>A Cluster's previous files compared with its new ones.</summary>
public sealed record ClusterComparison(IReadOnlyList<DiffHighlight> Highlights, IReadOnlyList<RenderChange> Changes);

/// <summary>
/// One Cluster folder as it was before bump overwrote it: its objects (for the comparison) and its bytes (for
/// "unchanged"). Capture it before <see cref="ManifestTree.WriteCluster"/>, compare after.
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

    /// <summary>False when the folder held our files but they could not be read as Kubernetes objects (edited by hand?).</summary>
    public bool Readable => _files.Count == 0 || _objects.Count > 0;

    /// <summary>The chart version the previous files were rendered with (our annotation on them), or null.</summary>
    public CiliumVersion? ChartVersion =>
        _objects.Select(o => o.Annotation(AddonKeys.ChartVersionAnnotation)).FirstOrDefault(v => v is not null) is { } text
        && CiliumVersion.TryParse(text, out var version) ? version : null;

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

    /// <summary>
    /// The snapshot against the folder as it is now: images and version annotations that differ, and the render
    /// changes with the Cluster's facts masked by <paramref name="factPlaceholders"/>. No render changes when the
    /// previous files could not be read (see <see cref="Readable"/>: every object would look new), nothing when the
    /// new ones cannot.
    /// </summary>
    public ClusterComparison CompareWith(string clusterFolder, IReadOnlyDictionary<string, string> factPlaceholders)
    {
        var now = ManifestLoader.Load(clusterFolder);
        if (now.HasErrors)
        {
            return new ClusterComparison([], []);
        }

        var changes = _objects.Count == 0 ? [] : RenderChanges.Between(_objects, now.Objects, factPlaceholders);
        return new ClusterComparison(ManifestDiffer.Highlights(_objects, now.Objects), changes);
    }
}

/// <summary>
/// What bump prints: what happened per Cluster, the image changes, per move what the renders and the charts say
/// changed (grouped by change, with the Clusters each applies to), the values the new chart lacks, and how the new
/// files (do not) reach running clusters. As text for a terminal or Markdown for a pull request. Stable order, no
/// timestamps: it is golden-tested.
/// </summary>
public static class BumpSummary
{
    /// <summary>ApplyOnce never re-applies: said after every bump, because it is the surprise that hurts.</summary>
    public const string DeliveryReminder =
        "Delivery: the ClusterResourceSets are ApplyOnce. These files bootstrap clusters that have not received Cilium yet;\n" +
        "already-bootstrapped clusters (those whose ClusterResourceSetBinding shows applied) will not receive this change.\n" +
        "Upgrade Cilium on those through the GitOps tool that owns it after bootstrap (its HelmRelease or Application), or\n" +
        "with `cilium upgrade --values <Cluster folder>/cilium-values.yaml`, never without the render's values.\n" +
        "`capi-cilium status` shows which clusters have applied their ClusterResourceSet.\n";

    /// <summary>Most Clusters a line names; the rest are counted.</summary>
    public const int MaxNamedClusters = 5;

    /// <summary>Most characters of a value shown; longer ones (lists, JSON) are cut with "…".</summary>
    public const int MaxValueLength = 100;

    /// <summary>Most Clusters listed one per line; a larger fleet is listed by what happened to it.</summary>
    public const int MaxClusterLines = 20;

    private const int MaxColumnWidth = 48;

    // ---- Text ----------------------------------------------------------------------------------------------------

    public static string Text(BumpReport report)
    {
        var sb = new StringBuilder();
        var clusters = report.Clusters;
        sb.Append($"Bump to Cilium {report.To} (cilium-cli {report.CliVersion}) in {report.OutputDirectory}\n");
        sb.Append($"{clusters.Count} Cluster(s): {Counts(clusters)}\n");

        if (clusters.Count > 0)
        {
            sb.Append("\nClusters:\n");
            AppendClusterLines(sb, clusters);
        }

        var images = Images(clusters);
        sb.Append("\nImages (old → new):\n");
        if (images.Count == 0)
        {
            sb.Append("  no image changed\n");
        }

        foreach (var (line, which) in images)
        {
            sb.Append($"  {line}{(which.Count == 0 ? "" : $"  [{string.Join(", ", which)}]")}\n");
        }

        foreach (var move in report.Moves)
        {
            AppendMove(sb, move);
        }

        var notMoved = NotMoved(report);
        if (notMoved.Count > 0)
        {
            sb.Append("\nNot moved, so none of the changes above reach them:\n");
            foreach (var cluster in notMoved)
            {
                sb.Append($"  {cluster.Key} ({Word(cluster.Status)})\n");
            }
        }

        AppendMissingValues(sb, report);
        AppendNext(sb, report);
        sb.Append('\n').Append(DeliveryReminder);
        return sb.ToString();
    }

    /// <summary>
    /// One line per Cluster; in a fleet larger than <see cref="MaxClusterLines"/>, Clusters that fared alike share a
    /// line, their names wrapped below it.
    /// </summary>
    private static void AppendClusterLines(StringBuilder sb, IReadOnlyList<BumpedCluster> clusters)
    {
        var groups = clusters.Count <= MaxClusterLines
            ? Ordered(clusters).Select(c => new List<BumpedCluster> { c }).ToList()
            : Ordered(clusters).GroupBy(c => (c.Status, c.Detail)).Select(g => g.ToList()).ToList();
        var width = groups.Max(g => g.Count == 1 ? g[0].Key.Length : Plural(g.Count, "Cluster").Length);
        foreach (var group in groups)
        {
            var first = group[0];
            var who = group.Count == 1 ? first.Key : Plural(group.Count, "Cluster");
            sb.Append($"  {Word(first.Status),-9}  {who.PadRight(width)}  {first.Detail}\n");
            if (group.Count > 1)
            {
                var line = new StringBuilder();
                foreach (var key in group.Select(c => c.Key))
                {
                    if (line.Length > 0 && line.Length + key.Length + 2 > 100)
                    {
                        sb.Append("             ").Append(line).Append(",\n");
                        line.Clear();
                    }

                    line.Append(line.Length == 0 ? "" : ", ").Append(key);
                }

                sb.Append("             ").Append(line).Append('\n');
            }
        }
    }

    private static void AppendMove(StringBuilder sb, VersionMove move)
    {
        var n = move.Clusters.Count;
        sb.Append($"\n{MoveTitle(move)}: {Plural(n, "Cluster")}{(n <= MaxNamedClusters ? $" ({string.Join(", ", move.Clusters)})" : "")}\n");
        sb.Append($"(+ added, - removed, ~ changed{(n > 1 ? $"; each change applies to {AllOf(n)} unless it says which" : "")})\n");

        if (PlaceholderNote(move, p => p) is { } note)
        {
            sb.Append(note).Append('\n');
        }

        foreach (var section in Sections(move))
        {
            if (section.Changes.Count == 0)
            {
                sb.Append($"  {section.Title}: {section.Empty}\n");
                continue;
            }

            sb.Append($"  {section.Title}:\n");
            var width = Math.Min(MaxColumnWidth, section.Changes.Max(c => c.Change.Item.Length));
            foreach (var change in section.Changes)
            {
                var value = change.Change.Area == RenderChangeArea.Objects ? ObjectNote(change.Change) : ValueText(change.Change);
                var applies = AppliesTo(change, n, name => name);
                sb.Append($"    {Marker(change.Change.Kind)} {change.Change.Item.PadRight(width)}  {value}{(applies.Length == 0 ? "" : $"  [{applies}]")}".TrimEnd()).Append('\n');
            }
        }

        AppendDefaults(sb, move);
    }

    private static void AppendDefaults(StringBuilder sb, VersionMove move)
    {
        if (!ComparesCharts(move))
        {
            return;
        }

        var title = $"Chart defaults {move.From?.ToString() ?? "?"} → {move.To} (values.yaml) that these Clusters do not set";
        if (move.Defaults.NotCompared is { } why)
        {
            sb.Append($"  {title}: not compared: {why}\n");
            return;
        }

        if (move.Defaults.Defaults.Count == 0 && move.Defaults.ImageReferences == 0)
        {
            sb.Append($"  {title}: none changed\n");
            return;
        }

        sb.Append($"  {title}:\n");
        var width = Math.Min(MaxColumnWidth, move.Defaults.Defaults.Select(d => d.Change.Key.Length).DefaultIfEmpty(0).Max());
        foreach (var group in DefaultGroups(move.Defaults))
        {
            foreach (var d in group)
            {
                var setBy = d.SetBy.Count == 0 ? "" : $"  [not for {Names(d.SetBy, name => name)}: set by {(d.SetBy.Count == 1 ? "it" : "them")}]";
                sb.Append($"    {DefaultMarker(d.Change)} {d.Change.Key.PadRight(width)}  {DefaultText(d.Change)}{setBy}\n");
            }
        }

        if (move.Defaults.ImageReferences > 0)
        {
            sb.Append($"    and {Plural(move.Defaults.ImageReferences, "image reference")} (repository, tag, digest); the images these renders use are under Images\n");
        }
    }

    private static void AppendMissingValues(StringBuilder sb, BumpReport report)
    {
        if (!report.Clusters.Any(c => c.Values is not null && c.Status != BumpStatus.Pinned))
        {
            return;
        }

        var title = $"Values the Clusters set that chart {report.To} does not have";
        if (report.MissingValues.Count == 0)
        {
            sb.Append($"\n{title}: none{(report.MissingValuesNotChecked is { } why ? $" known ({why})" : "")}\n");
            return;
        }

        sb.Append($"\n{title} (lint reports them as errors):\n");
        foreach (var missing in report.MissingValues)
        {
            sb.Append($"  {missing.Key}: {missing.Why}{(missing.Fix is null ? "" : $"; {missing.Fix}")}\n");
            foreach (var (cluster, source) in missing.SetBy)
            {
                sb.Append($"    set by {cluster} ({source})\n");
            }
        }

        if (report.MissingValuesNotChecked is { } notChecked)
        {
            sb.Append($"  ({notChecked})\n");
        }
    }

    private static void AppendNext(StringBuilder sb, BumpReport report)
    {
        if (!report.Clusters.Any(c => c.Status is BumpStatus.Changed or BumpStatus.New or BumpStatus.Unchanged))
        {
            return;
        }

        var to = report.To;
        if (report.SettingsFile is not null)
        {
            sb.Append($"\nRecorded: {report.SettingsFile} now says ciliumVersion: {to}, so later renders and checks stay at {to}.\n");
        }
        else
        {
            sb.Append($"\nNext: give render and check `--cilium-version {to}` (or only the chart directory for {to}) from now on,\n")
                .Append("or unpinned Clusters render their previous version again and check reports them out of date.\n")
                .Append($"Better: record it once, `ciliumVersion: {to}` in a capi-cilium.yaml at the root of your Cluster files.\n");
        }
    }

    // ---- Markdown ------------------------------------------------------------------------------------------------

    /// <summary>The same report for a pull-request description: tables, Cluster names and values as code.</summary>
    public static string Markdown(BumpReport report)
    {
        var sb = new StringBuilder();
        var clusters = report.Clusters;
        sb.Append($"## Cilium {report.To}\n\n");
        sb.Append($"`capi-cilium bump --to {report.To}` (cilium-cli {Code(report.CliVersion)}) in {Code(report.OutputDirectory)}: ");
        sb.Append($"{clusters.Count} Cluster(s), {Counts(clusters)}.\n");

        if (clusters.Count > 0)
        {
            sb.Append('\n');
            var table = new StringBuilder("| Status | Cluster | |\n|---|---|---|\n");
            foreach (var cluster in Ordered(clusters))
            {
                table.Append($"| {Word(cluster.Status)} | {Code(cluster.Key)} | {Cell(cluster.Detail)} |\n");
            }

            AppendCollapsible(sb, table.ToString(), clusters.Count, "Clusters");
        }

        var images = Images(clusters);
        sb.Append("\n### Images\n\n");
        if (images.Count == 0)
        {
            sb.Append("No image changed.\n");
        }
        else
        {
            foreach (var (line, which) in images)
            {
                sb.Append($"- {Code(line)}{(which.Count == 0 ? "" : $" ({string.Join(", ", which.Select(Code))})")}\n");
            }
        }

        foreach (var move in report.Moves)
        {
            AppendMoveMarkdown(sb, move);
        }

        var notMoved = NotMoved(report);
        if (notMoved.Count > 0)
        {
            sb.Append("\n### Not moved\n\nNone of the changes above reach these Clusters:\n\n");
            foreach (var cluster in notMoved)
            {
                sb.Append($"- {Code(cluster.Key)} ({Word(cluster.Status)}): {cluster.Detail}\n");
            }
        }

        AppendMissingValuesMarkdown(sb, report);
        AppendNext(sb, report);
        sb.Append('\n').Append(DeliveryReminder);
        return sb.ToString();
    }

    private static void AppendMoveMarkdown(StringBuilder sb, VersionMove move)
    {
        var n = move.Clusters.Count;
        sb.Append($"\n### {MoveTitle(move)} ({Plural(n, "Cluster")})\n\n");
        if (n <= MaxClusterLines)
        {
            sb.Append(string.Join(", ", move.Clusters.Select(Code))).Append(".\n");
        }

        if (n > 1)
        {
            sb.Append($"Each change applies to {AllOf(n)} unless its Clusters column says otherwise.\n");
        }

        if (PlaceholderNote(move, Code) is { } note)
        {
            sb.Append(note).Append('\n');
        }

        foreach (var section in Sections(move))
        {
            sb.Append($"\n#### {section.Title}\n\n");
            if (section.Changes.Count == 0)
            {
                sb.Append(Capitalised(section.Empty)).Append(".\n");
                continue;
            }

            if (section.Changes[0].Change.Area == RenderChangeArea.Objects)
            {
                sb.Append("| | Object | | Clusters |\n|---|---|---|---|\n");
                foreach (var change in section.Changes)
                {
                    sb.Append($"| {Marker(change.Change.Kind)} | {Code(change.Change.Item)} | {ObjectNote(change.Change)} | {ClustersCell(change, n)} |\n");
                }

                continue;
            }

            sb.Append($"| | {(section.Changes[0].Change.Area == RenderChangeArea.CiliumConfig ? "Key" : "Field")} | Old | New | Clusters |\n|---|---|---|---|---|\n");
            foreach (var change in section.Changes)
            {
                var c = change.Change;
                sb.Append($"| {Marker(c.Kind)} | {Code(c.Item)} | {(c.OldValue is null ? "" : Code(Value(c.OldValue)))} | {(c.NewValue is null ? "" : Code(Value(c.NewValue)))} | {ClustersCell(change, n)} |\n");
            }
        }

        if (!ComparesCharts(move))
        {
            return;
        }

        sb.Append($"\n#### Chart defaults {move.From?.ToString() ?? "?"} → {move.To} that these Clusters do not set\n\n");
        if (move.Defaults.NotCompared is { } why)
        {
            sb.Append($"Not compared: {why}.\n");
            return;
        }

        var groups = DefaultGroups(move.Defaults).ToList();
        if (groups.Count == 0 && move.Defaults.ImageReferences == 0)
        {
            sb.Append("None changed.\n");
            return;
        }

        foreach (var group in groups)
        {
            var added = group[0].Change.OldValue is null;
            var table = new StringBuilder($"| | Key | {move.From} | {move.To} | Not for |\n|---|---|---|---|---|\n");
            foreach (var d in group)
            {
                table.Append($"| {DefaultMarker(d.Change)} | {Code(d.Change.Key)} | {DefaultCell(d.Change.OldValue)} | {(TooLong(d.Change) && d.Change.ListItemChanges is { } items ? "list items " + Code(items) : DefaultCell(d.Change.NewValue))} | {(d.SetBy.Count == 0 ? "" : $"{Names(d.SetBy, Code)} ({(d.SetBy.Count == 1 ? "sets it" : "set it")})")} |\n");
            }

            if (added)
            {
                AppendCollapsible(sb, table.ToString(), 0, $"{Plural(group.Count, "new key")} in chart {move.To}");
            }
            else
            {
                sb.Append(table);
            }
        }

        if (move.Defaults.ImageReferences > 0)
        {
            sb.Append($"\nAnd {Plural(move.Defaults.ImageReferences, "image reference")} (repository, tag, digest); the images these renders use are under Images.\n");
        }
    }

    private static void AppendMissingValuesMarkdown(StringBuilder sb, BumpReport report)
    {
        if (!report.Clusters.Any(c => c.Values is not null && c.Status != BumpStatus.Pinned))
        {
            return;
        }

        sb.Append($"\n### Values the Clusters set that chart {report.To} does not have\n\n");
        if (report.MissingValues.Count == 0)
        {
            sb.Append($"None{(report.MissingValuesNotChecked is { } why ? $" known ({why})" : "")}.\n");
            return;
        }

        sb.Append("`capi-cilium lint` reports these as errors.\n\n| Key | Why | Set by |\n|---|---|---|\n");
        foreach (var missing in report.MissingValues)
        {
            var setBy = string.Join("<br>", missing.SetBy.Select(s => $"{Code(s.Cluster)} ({Cell(s.Source)})"));
            sb.Append($"| {Code(missing.Key)} | {Cell(missing.Why + (missing.Fix is null ? "" : "; " + missing.Fix))} | {setBy} |\n");
        }

        if (report.MissingValuesNotChecked is { } notChecked)
        {
            sb.Append($"\n{Capitalised(notChecked)}.\n");
        }
    }

    private static void AppendCollapsible(StringBuilder sb, string block, int count, string summary)
    {
        if (count is > 0 and <= MaxClusterLines)
        {
            sb.Append(block);
            return;
        }

        sb.Append($"<details>\n<summary>{summary}</summary>\n\n").Append(block).Append("\n</details>\n");
    }

    // ---- Shared ----------------------------------------------------------------------------------------------------

    /// <summary>The Clusters the moves do not reach, worth naming only when there are moves.</summary>
    private static List<BumpedCluster> NotMoved(BumpReport report) =>
        report.Moves.Count == 0 ? [] : report.NotMoved.OrderBy(c => c.Key, StringComparer.Ordinal).ToList();

    private sealed record Section(string Title, string Empty, IReadOnlyList<GroupedChange> Changes);

    private static IEnumerable<Section> Sections(VersionMove move)
    {
        List<GroupedChange> In(RenderChangeArea area) => move.Changes.Where(c => c.Change.Area == area).ToList();
        yield return new Section("cilium-config", "no key added, removed or changed", In(RenderChangeArea.CiliumConfig));
        foreach (var (area, container) in new[] { (RenderChangeArea.Agent, RenderChanges.AgentContainer), (RenderChangeArea.Operator, RenderChanges.OperatorContainer) })
        {
            var changes = In(area);
            foreach (var owner in changes.Select(c => c.Change.Owner).Distinct())
            {
                yield return new Section($"{container} in {owner}: command, args and env", "", changes.Where(c => c.Change.Owner == owner).ToList());
            }

            if (changes.Count == 0)
            {
                yield return new Section($"{container}: command, args and env", "unchanged", []);
            }
        }

        yield return new Section("Chart objects", "none added or removed", In(RenderChangeArea.Objects));
    }

    /// <summary>
    /// Changed defaults first (a setting the Clusters rely on without saying so now means something else), then the
    /// removed ones, then the keys new in the chart.
    /// </summary>
    private static IEnumerable<List<GroupedDefault>> DefaultGroups(DefaultsComparison defaults) =>
        new[]
        {
            defaults.Defaults.Where(d => d.Change is { OldValue: not null, NewValue: not null }).ToList(),
            defaults.Defaults.Where(d => d.Change.NewValue is null).ToList(),
            defaults.Defaults.Where(d => d.Change.OldValue is null).ToList(),
        }.Where(g => g.Count > 0);

    /// <summary>False for Clusters whose files changed at the same chart version: there is no second chart.</summary>
    private static bool ComparesCharts(VersionMove move) => move.From is null || !move.From.Equals(move.To);

    private static string MoveTitle(VersionMove move) =>
        move.From is null ? $"Cilium (previous version unknown) → {move.To}"
        : move.From.Equals(move.To) ? $"Files changed at Cilium {move.To} (same chart)"
        : $"Cilium {move.From} → {move.To}";

    /// <summary>The placeholders a move's changes show, for the sentence that explains them.</summary>
    private static string? PlaceholderNote(VersionMove move, Func<string, string> code)
    {
        var used = RenderChanges.FactPlaceholderNames.Where(p => move.Changes.Any(c => $"{c.Change.OldValue}\n{c.Change.NewValue}".Contains(p, StringComparison.Ordinal))).ToList();
        return used.Count == 0 ? null : $"Per-Cluster facts are shown as {string.Join(", ", used.Select(code))}.";
    }

    /// <summary>The clusters a grouped change applies to, when not all of its move: "1 of 3: a" or "2 of 3; not c (unchanged)".</summary>
    private static string AppliesTo(GroupedChange change, int total, Func<string, string> name)
    {
        var count = change.Clusters.Count;
        if (count == total)
        {
            return "";
        }

        if (count * 2 <= total)
        {
            return $"{count} of {total}: {Names(change.Clusters, name)}";
        }

        var named = change.Exceptions.Take(MaxNamedClusters).Select(e => $"{name(e.Cluster)} ({e.Instead})");
        var more = change.Exceptions.Count > MaxNamedClusters ? $", and {change.Exceptions.Count - MaxNamedClusters} more" : "";
        return $"{count} of {total}; not {string.Join(", ", named)}{more}";
    }

    private static string ClustersCell(GroupedChange change, int total) =>
        AppliesTo(change, total, Code) is { Length: > 0 } text ? Cell(text) : "all";

    private static string Names(IReadOnlyList<string> names, Func<string, string> name) =>
        string.Join(", ", names.Take(MaxNamedClusters).Select(name)) + (names.Count > MaxNamedClusters ? $", and {names.Count - MaxNamedClusters} more" : "");

    /// <summary>A render change on its own, e.g. <c>+ "30s"</c> or <c>"true" → "false"</c>.</summary>
    internal static string ChangeText(RenderChange change) =>
        change.Kind is FieldChangeKind.Added or FieldChangeKind.Removed ? $"{Marker(change.Kind)} {ValueText(change)}" : ValueText(change);

    /// <summary>A render change's values as a line shows them: <c>"30s"</c>, <c>"true" → "false"</c>.</summary>
    private static string ValueText(RenderChange change) => change.Kind switch
    {
        FieldChangeKind.Added => Value(change.NewValue),
        FieldChangeKind.Removed => Value(change.OldValue),
        _ => $"{Value(change.OldValue)} → {Value(change.NewValue)}",
    };

    private static string ObjectNote(RenderChange change) => change.Kind switch
    {
        FieldChangeKind.Added => "added",
        FieldChangeKind.Removed => "removed",
        _ => "renamed: its name is a hash of its spec, which changed",
    };

    private static string Value(string? text) => text switch
    {
        null => "(absent)",
        "\"\"" => "\"\"",
        _ when text.StartsWith('<') && text.EndsWith('>') => text,
        _ => "\"" + Cut(text.Replace("\n", "\\n", StringComparison.Ordinal)) + "\"",
    };

    private static string DefaultCell(string? json) => json is null ? "" : Code(Cut(json));

    private static string DefaultText(DefaultChange change) => (change.OldValue, change.NewValue) switch
    {
        (null, var now) => $"{Cut(now!)} (new)",
        (var old, null) => $"{Cut(old)} (removed)",
        _ when TooLong(change) && change.ListItemChanges is { } items => $"list items {items}",
        var (old, now) => $"{Cut(old)} → {Cut(now)}",
    };

    /// <summary>True when a changed default is too long to read side by side.</summary>
    private static bool TooLong(DefaultChange change) =>
        change.OldValue?.Length > MaxValueLength || change.NewValue?.Length > MaxValueLength;

    private static string Marker(FieldChangeKind kind) => kind switch
    {
        FieldChangeKind.Added => "+",
        FieldChangeKind.Removed => "-",
        _ => "~",
    };

    private static string DefaultMarker(DefaultChange change) => change.OldValue is null ? "+" : change.NewValue is null ? "-" : "~";

    private static string Cut(string text) => text.Length <= MaxValueLength ? text : text[..(MaxValueLength - 1)] + "…";

    private static List<(string Line, List<string> Clusters)> Images(IReadOnlyList<BumpedCluster> clusters)
    {
        var changed = clusters.Where(c => c.Status == BumpStatus.Changed).ToList();
        return changed
            .SelectMany(c => c.Highlights.Where(h => h.Kind == HighlightKind.Image).Select(h => (Line: $"{h.Subject}: {h.OldValue} → {h.NewValue}", c.Key)))
            .GroupBy(x => x.Line, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var keys = g.Select(x => x.Key).Distinct().Order(StringComparer.Ordinal).ToList();
                return (g.Key, keys.Count == changed.Count ? [] : keys);
            })
            .ToList();
    }

    private static IEnumerable<BumpedCluster> Ordered(IReadOnlyList<BumpedCluster> clusters) =>
        clusters.OrderBy(c => c.Status).ThenBy(c => c.Key, StringComparer.Ordinal);

    private static string Counts(IReadOnlyList<BumpedCluster> clusters) =>
        string.Join(", ", Enum.GetValues<BumpStatus>()
            .Select(s => (Status: s, Count: clusters.Count(c => c.Status == s)))
            .Where(x => x.Count > 0)
            .Select(x => $"{x.Count} {Word(x.Status)}"));

    private static string AllOf(int count) => count == 2 ? "both" : $"all {count}";

    private static string Plural(int count, string noun) => $"{count} {noun}{(count == 1 ? "" : "s")}";

    private static string Capitalised(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];

    private static string Code(string text) => MarkdownDiffRenderer.Code(text);

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

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
