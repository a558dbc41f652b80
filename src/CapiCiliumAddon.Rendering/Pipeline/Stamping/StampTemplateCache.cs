using CapiCiliumAddon.Rendering.Addons;
using CapiCiliumAddon.Rendering.CiliumCli;
using CapiCiliumAddon.Rendering.Planning;

namespace CapiCiliumAddon.Rendering.Pipeline.Stamping;

/// <param name="MaxTemplates">Most groups remembered at once; the least recently used is dropped first.</param>
/// <param name="MaxBytes">Most memory the remembered templates may hold (a template is its ~60-75 KB render as UTF-16).</param>
public sealed record StampTemplateCacheOptions(int MaxTemplates = 64, long MaxBytes = 32L * 1024 * 1024);

/// <summary>
/// "Render once, stamp many" for a caller that renders one Cluster at a time and never knows the whole fleet (the
/// controller). The first Cluster of a group (<see cref="StampableFacts.GroupKey"/>) is rendered directly, then once
/// more with placeholder facts; the placeholders must sit exactly where the chart puts the facts and the placeholder
/// render stamped with that Cluster's facts must equal its direct render byte for byte (<see cref="StampTemplate"/>).
/// Only then is the template kept, and later Clusters of the group are stamped from it without a CLI run. Clusters
/// arriving while a template is being made wait for it instead of making their own. Every stamped render goes through
/// <see cref="AddonRenderPipeline.Finish"/> with its own plan, i.e. the same parse and checks as a direct render; one
/// that fails them is rendered directly instead (<see cref="RenderKind.Fallback"/>).
/// </summary>
/// <remarks>
/// Bounded: at most <see cref="StampTemplateCacheOptions.MaxTemplates"/> templates and
/// <see cref="StampTemplateCacheOptions.MaxBytes"/> of them, least recently used dropped first. A group whose template
/// cannot be used is remembered as such (its Clusters render directly, without retrying the template each time),
/// unless a CLI run failed, which may be transient. The group key holds the Cilium, chart (path, version, digest), CLI
/// and tool versions, so a changed one never meets an old template; and when a plan shows another CLI or tool version,
/// or another digest for a chart path, every template made with the old one is dropped at once.
/// </remarks>
public sealed class StampTemplateCache(CiliumCliRunner cli, AddonRenderPipeline pipeline, StampTemplateCacheOptions? options = null, AddonLimits? limits = null)
{
    private readonly StampTemplateCacheOptions options = options ?? new StampTemplateCacheOptions();
    private readonly Lock gate = new();
    private readonly Dictionary<string, Entry> entries = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> recency = new();
    private readonly Dictionary<string, string> chartDigests = new(StringComparer.Ordinal);
    private (string Cli, string Tool)? generation;
    private long bytes;

    /// <summary>Templates remembered (usable or not), and the memory the usable ones hold.</summary>
    public (int Templates, long Bytes) Size
    {
        get
        {
            lock (gate)
            {
                return (entries.Count, bytes);
            }
        }
    }

    private AddonLimits Limits => limits ?? AddonLimits.Default;

    /// <summary>Renders one plan: stamped when its group has a verified template, else directly (making the template when it can).</summary>
    public async Task<ClusterResult> RenderAsync(RenderPlan plan, CancellationToken cancellationToken)
    {
        if (StampableFacts.FactsOf(plan, out _) is not { } facts)
        {
            return await pipeline.RenderAsync(plan, cancellationToken).ConfigureAwait(false) with { Kind = RenderKind.Direct };
        }

        var key = StampableFacts.GroupKey(plan, facts);
        Entry entry;
        bool maker;
        lock (gate)
        {
            Invalidate(plan);
            maker = !entries.TryGetValue(key, out entry!);
            if (maker)
            {
                entry = new Entry(key, plan.Chart?.Path);
                entries[key] = entry;
                entry.Node = recency.AddFirst(entry);
            }
            else
            {
                recency.Remove(entry.Node!);
                recency.AddFirst(entry.Node!);
            }
        }

        var texts = facts.ToDictionary(f => f.Key, f => f.Value.Text, StringComparer.Ordinal);
        if (maker)
        {
            return await MakeAsync(entry, plan, facts, texts, cancellationToken).ConfigureAwait(false);
        }

        var template = await entry.Template.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (template is not null)
        {
            var stamped = AddonRenderPipeline.Finish(plan, template.Stamp(texts), plan.Warnings.ToList(), Limits);
            if (stamped.State == ClusterState.Rendered)
            {
                return stamped with { Kind = RenderKind.Stamped };
            }
        }

        return await pipeline.RenderAsync(plan, cancellationToken).ConfigureAwait(false) with { Kind = RenderKind.Fallback };
    }

    /// <summary>The group's first Cluster: its own render, then the placeholder render, compared; the template is published to the waiters either way.</summary>
    private async Task<ClusterResult> MakeAsync(Entry entry, RenderPlan plan, IReadOnlyDictionary<string, (string Shape, string Text)> facts,
        IReadOnlyDictionary<string, string> texts, CancellationToken cancellationToken)
    {
        StampTemplate? template = null;
        var keep = false;
        try
        {
            // One CLI run at a time: the caller bounds concurrent renders, and a template must not double that.
            var direct = await cli.RenderAsync(plan, cancellationToken).ConfigureAwait(false);
            if (direct.Failure is not null)
            {
                return new ClusterResult(plan.Cluster.Key, ClusterState.Failed, plan, null, [.. plan.Warnings, direct.Failure]);
            }

            var shapes = facts.ToDictionary(f => f.Key, f => f.Value.Shape, StringComparer.Ordinal);
            var placeholders = await cli.RenderAsync(StampingRenderer.TemplatePlan(plan, shapes), cancellationToken).ConfigureAwait(false);
            var problems = plan.Warnings.ToList();
            string? whyNot = null;
            if (placeholders.Failure is not null)
            {
                whyNot = $"the template render failed: {placeholders.Failure.Message}";
            }
            else if ((template = StampTemplate.Analyse(placeholders.Manifest!, shapes, out whyNot)) is not null)
            {
                keep = true;
                var stamped = template.Stamp(texts);
                if (!string.Equals(stamped, direct.Manifest, StringComparison.Ordinal))
                {
                    whyNot = $"the stamped output differs from the direct render at {StampTemplate.FirstDifference(direct.Manifest!, stamped)}";
                    template = null;
                }
            }
            else
            {
                keep = true;
            }

            if (whyNot is not null)
            {
                problems.Add(Problem.Warning(plan.Cluster.Key, "stamping",
                    $"Clusters sharing Cilium {plan.Version} and the values of {plan.Cluster.Key} cannot be stamped from one render ({whyNot}); each is rendered directly"));
            }

            return AddonRenderPipeline.Finish(plan, direct.Manifest!, problems, Limits) with { Kind = RenderKind.Direct };
        }
        finally
        {
            lock (gate)
            {
                if (keep && entries.TryGetValue(entry.Key, out var current) && ReferenceEquals(current, entry))
                {
                    entry.Bytes = template?.MemoryBytes ?? 0;
                    bytes += entry.Bytes;
                    Trim();
                }
                else
                {
                    Remove(entry);
                }
            }

            entry.Template.TrySetResult(template);
        }
    }

    /// <summary>Drops every template made with another CLI or tool version, or another digest of the plan's chart directory.</summary>
    private void Invalidate(RenderPlan plan)
    {
        if (generation != (plan.CliVersion, plan.ToolVersion))
        {
            foreach (var stale in entries.Values.ToList())
            {
                Remove(stale);
            }

            generation = (plan.CliVersion, plan.ToolVersion);
        }

        if (plan.Chart is { } chart)
        {
            if (chartDigests.TryGetValue(chart.Path, out var digest) && digest != chart.Digest)
            {
                foreach (var stale in entries.Values.Where(e => e.ChartPath == chart.Path).ToList())
                {
                    Remove(stale);
                }
            }

            chartDigests[chart.Path] = chart.Digest;
        }
    }

    private void Trim()
    {
        while (recency.Count > 0 && (entries.Count > options.MaxTemplates || bytes > options.MaxBytes))
        {
            Remove(recency.Last!.Value);
        }
    }

    private void Remove(Entry entry)
    {
        if (entries.TryGetValue(entry.Key, out var current) && ReferenceEquals(current, entry))
        {
            entries.Remove(entry.Key);
            recency.Remove(entry.Node!);
            bytes -= entry.Bytes;
        }
    }

    private sealed class Entry(string key, string? chartPath)
    {
        public string Key { get; } = key;

        public string? ChartPath { get; } = chartPath;

        /// <summary>The verified template, or null when the group cannot be stamped; set once.</summary>
        public TaskCompletionSource<StampTemplate?> Template { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public LinkedListNode<Entry>? Node { get; set; }

        public long Bytes { get; set; }
    }
}
