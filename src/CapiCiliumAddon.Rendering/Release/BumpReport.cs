using CapiCiliumAddon.Rendering.CiliumCli;
using CapiCiliumAddon.Rendering.Settings;

namespace CapiCiliumAddon.Rendering.Release;

/// <summary>A Cluster of a move that a change does not apply to, and what it got in that place instead.</summary>
/// <param name="Instead">Its own changes in the same place, e.g. <c>"true" → "x"</c>, or "unchanged".</param>
public sealed record ChangeException(string Cluster, string Instead);

/// <summary>One change and the Clusters it applies to; <see cref="Exceptions"/> are the move's other Clusters.</summary>
public sealed record GroupedChange(RenderChange Change, IReadOnlyList<string> Clusters, IReadOnlyList<ChangeException> Exceptions);

/// <summary>A default that changed between the charts of a move, and the Clusters of the move that set it themselves.</summary>
public sealed record GroupedDefault(DefaultChange Change, IReadOnlyList<string> SetBy);

/// <summary>
/// The chart defaults of a move that changed and that not every Cluster of the move sets (they change what those
/// Clusters run without anything in the repository saying so). <see cref="NotCompared"/> says why there is nothing
/// to compare (a chart not at hand): then the lists are empty and must not be read as "nothing changed".
/// </summary>
public sealed record DefaultsComparison(string? NotCompared, IReadOnlyList<GroupedDefault> Defaults, int ImageReferences)
{
    public static DefaultsComparison Unavailable(string why) => new(why, [], 0);
}

/// <summary>Clusters moving from one chart version to the new one, and what the move changes for them.</summary>
/// <param name="From">The chart version of their previous files; null when those did not say.</param>
public sealed record VersionMove(CiliumVersion? From, CiliumVersion To, IReadOnlyList<string> Clusters, IReadOnlyList<GroupedChange> Changes, DefaultsComparison Defaults);

/// <summary>A value Clusters set that the new chart does not have, and why that matters.</summary>
/// <param name="SetBy">Each Cluster setting it and where from (e.g. "values ConfigMap metal3/capi-4-values").</param>
public sealed record MissingValue(string Key, string Why, string? Fix, IReadOnlyList<(string Cluster, string Source)> SetBy);

/// <summary>
/// Everything bump says, grouped: per move (previous chart → new chart) the render changes with the Clusters they
/// apply to, and the chart defaults that changed underneath; the Clusters left where they were; and the values the
/// new chart no longer has. Built from the previous files, the new render and the charts at hand, nothing else.
/// </summary>
public sealed record BumpReport(
    CiliumVersion To,
    string CliVersion,
    string OutputDirectory,
    IReadOnlyList<BumpedCluster> Clusters,
    IReadOnlyList<VersionMove> Moves,
    IReadOnlyList<MissingValue> MissingValues,
    string? MissingValuesNotChecked)
{
    /// <summary>The repository settings file whose default version bump set to <see cref="To"/>, or null when there is none.</summary>
    public string? SettingsFile { get; init; }

    /// <summary>Clusters whose files stay at their version (pinned, or not renderable): nothing of a move reaches them.</summary>
    public IEnumerable<BumpedCluster> NotMoved => Clusters.Where(c => c.Status is BumpStatus.Pinned or BumpStatus.Skipped);

    /// <param name="charts">The charts at hand (chart directories), any version.</param>
    /// <param name="chartsHint">How a user gives a chart that is not at hand, e.g. "--chart-directory".</param>
    public static BumpReport Build(CiliumVersion to, string cliVersion, string outputDirectory, IReadOnlyList<BumpedCluster> clusters,
        IReadOnlyList<ChartDirectory> charts, string chartsHint)
    {
        var target = charts.FirstOrDefault(c => c.Version.Equals(to));
        var moves = clusters
            .Where(c => c is { Status: BumpStatus.Changed, Compared: true })
            .GroupBy(c => c.From)
            .OrderBy(g => g.Key is null ? 1 : 0)
            .ThenBy(g => g.Key)
            .Select(g => Move(g.Key, to, g.OrderBy(c => c.Key, StringComparer.Ordinal).ToList(), charts, target, chartsHint))
            .ToList();

        string? notChecked = null;
        if (target is null)
        {
            notChecked = $"chart {to} is not at hand ({chartsHint}), so only the removals capi-cilium knows of were looked for";
        }
        else if (ChartDefaults.Unreadable(target) is { } why)
        {
            notChecked = $"{why}, so only the removals capi-cilium knows of were looked for";
        }

        return new BumpReport(to, cliVersion, outputDirectory, clusters, moves, Missing(to, target?.DefaultValues, clusters), notChecked);
    }

    private static VersionMove Move(CiliumVersion? from, CiliumVersion to, List<BumpedCluster> clusters, IReadOnlyList<ChartDirectory> charts,
        ChartDirectory? target, string chartsHint)
    {
        var keys = clusters.Select(c => c.Key).ToList();
        var grouped = new List<GroupedChange>();
        foreach (var group in clusters.SelectMany(c => c.Changes.Select(change => (change, c.Key))).GroupBy(x => x.change))
        {
            var applies = group.Select(x => x.Key).Distinct().Order(StringComparer.Ordinal).ToList();
            var applying = applies.ToHashSet(StringComparer.Ordinal);
            var exceptions = clusters
                .Where(c => !applying.Contains(c.Key))
                .Select(c => new ChangeException(c.Key, Instead(c, group.Key)))
                .ToList();
            grouped.Add(new GroupedChange(group.Key, applies, exceptions));
        }

        grouped = grouped
            .OrderBy(g => g.Change.Area)
            .ThenBy(g => g.Change.Owner, StringComparer.Ordinal)
            .ThenBy(g => g.Change.Item, StringComparer.Ordinal)
            .ThenBy(g => g.Change.Kind)
            .ThenByDescending(g => g.Clusters.Count)
            .ThenBy(g => g.Change.OldValue, StringComparer.Ordinal)
            .ThenBy(g => g.Change.NewValue, StringComparer.Ordinal)
            .ToList();
        return new VersionMove(from, to, keys, grouped, Defaults(from, to, clusters, charts, target, chartsHint));
    }

    /// <summary>What a Cluster got in the place of a change it does not share: its own changes there, or "unchanged".</summary>
    private static string Instead(BumpedCluster cluster, RenderChange change)
    {
        var own = cluster.Changes.Where(c => c.Slot == change.Slot).ToList();
        return own.Count == 0 ? "unchanged" : string.Join("; ", own.Select(BumpSummary.ChangeText));
    }

    private static DefaultsComparison Defaults(CiliumVersion? from, CiliumVersion to, List<BumpedCluster> clusters, IReadOnlyList<ChartDirectory> charts,
        ChartDirectory? target, string chartsHint)
    {
        if (from is null)
        {
            return DefaultsComparison.Unavailable("the previous files do not say which chart rendered them");
        }

        if (from.Equals(to))
        {
            return new DefaultsComparison(null, [], 0);
        }

        var source = charts.FirstOrDefault(c => c.Version.Equals(from));
        var missing = new[] { (from, source), (to, target) }.Where(x => x.Item2 is null).Select(x => x.Item1.ToString()).ToList();
        if (missing.Count > 0)
        {
            return DefaultsComparison.Unavailable($"chart {string.Join(" and ", missing)} {(missing.Count == 1 ? "is" : "are")} not at hand ({chartsHint})");
        }

        if ((ChartDefaults.Unreadable(source!) ?? ChartDefaults.Unreadable(target!)) is { } unreadable)
        {
            return DefaultsComparison.Unavailable(unreadable);
        }

        var changes = ChartDefaults.Compare(source!.DefaultValues!, target!.DefaultValues!);
        var defaults = new List<GroupedDefault>();
        foreach (var change in changes.Where(c => !c.IsImage))
        {
            var setBy = clusters.Where(c => c.Values is { } values && ChartDefaults.Sets(values, change.Key)).Select(c => c.Key).ToList();
            if (setBy.Count < clusters.Count)
            {
                defaults.Add(new GroupedDefault(change, setBy));
            }
        }

        return new DefaultsComparison(null, defaults, changes.Count(c => c.IsImage));
    }

    /// <summary>
    /// Values the Clusters' own settings set (profile, values ConfigMap, annotation) that the new chart does not
    /// define, or that capi-cilium knows were removed by then: the chart ignores or rejects them. The same rules as
    /// lint and the planner (<see cref="ValuesLint"/>), which report them as errors.
    /// </summary>
    private static List<MissingValue> Missing(CiliumVersion to, System.Text.Json.Nodes.JsonObject? defaults, IReadOnlyList<BumpedCluster> clusters)
    {
        var found = new SortedDictionary<string, (string Why, string? Fix, List<(string, string)> SetBy)>(StringComparer.Ordinal);
        foreach (var cluster in clusters.Where(c => c.Status != BumpStatus.Pinned && c.Values is not null).OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            foreach (var value in cluster.Values!.All.Where(v => v.Source.IsUserProvided))
            {
                (string Why, string? Fix)? missing = ValuesLint.KnownRemoval(value.Key, to) is { } removal
                    ? removal
                    : defaults is not null && !ValuesLint.ChartDefines(defaults, value.Key)
                        ? ($"chart {to}'s values.yaml has no such value (removed or renamed); Helm ignores it silently", "find its new name in the chart's values.yaml or its upgrade notes")
                        : null;
                if (missing is not { } why)
                {
                    continue;
                }

                if (!found.TryGetValue(value.Key, out var entry))
                {
                    found[value.Key] = entry = (why.Why, why.Fix, []);
                }

                entry.SetBy.Add((cluster.Key, value.Source.ToString()));
            }
        }

        return found.Select(f => new MissingValue(f.Key, f.Value.Why, f.Value.Fix, f.Value.SetBy)).ToList();
    }
}
