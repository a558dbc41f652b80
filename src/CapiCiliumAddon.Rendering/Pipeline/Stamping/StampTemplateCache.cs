using CapiCiliumAddon.Rendering.Addons;
using CapiCiliumAddon.Rendering.CiliumCli;
using CapiCiliumAddon.Rendering.Planning;

namespace CapiCiliumAddon.Rendering.Pipeline.Stamping;

/// <param name="MaxTemplates">Most groups remembered at once; the least recently used is dropped first.</param>
/// <param name="MaxBytes">Most memory the remembered renders may hold (one is its ~60-75 KB text as UTF-16).</param>
public sealed record StampTemplateCacheOptions(int MaxTemplates = 64, long MaxBytes = 32L * 1024 * 1024);

/// <summary>
/// "Render once, stamp many" for a caller that renders one Cluster at a time and never knows the whole fleet (the
/// controller). The first Cluster of a group (<see cref="StampableFacts.GroupKey"/>) is rendered directly, and its CLI
/// output is kept as the group's sample. When a second Cluster of the group comes, the group is rendered once with
/// placeholder facts; the placeholders must sit exactly where the chart puts the facts and the placeholder render
/// stamped with the sample's facts must equal the sample's direct render byte for byte (<see cref="StampTemplate"/>).
/// Only then is the template kept, and that Cluster and every later one of the group are stamped from it without a
/// CLI run of their own. A group that never gets a second Cluster costs one CLI run, as without stamping; a fleet from
/// one template costs two. Clusters arriving while the sample or the template is being made wait for it instead of
/// making their own. Every stamped render goes through <see cref="AddonRenderPipeline.Finish"/> with its own plan, i.e.
/// the same parse and checks as a direct render; one that fails them is rendered directly instead
/// (<see cref="RenderKind.Fallback"/>).
/// </summary>
/// <remarks>
/// Bounded: at most <see cref="StampTemplateCacheOptions.MaxTemplates"/> groups and
/// <see cref="StampTemplateCacheOptions.MaxBytes"/> of samples and templates, least recently used dropped first. A group
/// whose template cannot be used is remembered as such (its Clusters render directly, without retrying the template
/// each time), unless a CLI run failed, which may be transient. The group key holds the Cilium, chart (path, version,
/// digest), CLI and tool versions, so a changed one never meets an old template; and when a plan shows another CLI or
/// tool version, or another digest for a chart path, everything made with the old one is dropped at once.
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

    /// <summary>Groups remembered (with a sample, a template, or as not stampable), and the memory they hold.</summary>
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

    /// <summary>Renders one plan: stamped when its group has a verified template (making it when it can), else directly.</summary>
    public async Task<ClusterResult> RenderAsync(RenderPlan plan, CancellationToken cancellationToken)
    {
        if (StampableFacts.FactsOf(plan, out _) is not { } facts)
        {
            return await pipeline.RenderAsync(plan, cancellationToken).ConfigureAwait(false) with { Kind = RenderKind.Direct };
        }

        var key = StampableFacts.GroupKey(plan, facts);
        var texts = facts.ToDictionary(f => f.Key, f => f.Value.Text, StringComparer.Ordinal);
        while (true)
        {
            Entry entry;
            var role = Role.Waiter;
            lock (gate)
            {
                Invalidate(plan);
                if (!entries.TryGetValue(key, out entry!))
                {
                    entry = new Entry(key, plan.Chart?.Path);
                    entries[key] = entry;
                    entry.Node = recency.AddFirst(entry);
                    role = Role.SampleMaker;
                }
                else
                {
                    recency.Remove(entry.Node!);
                    recency.AddFirst(entry.Node!);
                    if (entry.Sample.Task.IsCompletedSuccessfully && entry.Sample.Task.Result is not null && !entry.TemplateStarted)
                    {
                        entry.TemplateStarted = true;
                        role = Role.TemplateMaker;
                    }
                }
            }

            switch (role)
            {
                case Role.SampleMaker:
                    return await MakeSampleAsync(entry, plan, texts, cancellationToken).ConfigureAwait(false);
                case Role.TemplateMaker:
                    return await MakeTemplateAsync(entry, plan, facts, texts, cancellationToken).ConfigureAwait(false);
            }

            if (await entry.Sample.Task.WaitAsync(cancellationToken).ConfigureAwait(false) is null)
            {
                continue; // the sample's render failed and its group was forgotten: this Cluster starts it anew
            }

            if (!entry.Template.Task.IsCompleted && !entry.TemplateStarted)
            {
                continue; // the sample is ready and nobody makes the template yet: take that role
            }

            var template = await entry.Template.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            return await StampAsync(plan, template, texts, [], cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The group's first Cluster: its own direct render, kept as the sample the template will be checked against.</summary>
    private async Task<ClusterResult> MakeSampleAsync(Entry entry, RenderPlan plan, IReadOnlyDictionary<string, string> texts, CancellationToken cancellationToken)
    {
        Sample? sample = null;
        try
        {
            var direct = await cli.RenderAsync(plan, cancellationToken).ConfigureAwait(false);
            if (direct.Failure is not null)
            {
                return new ClusterResult(plan.Cluster.Key, ClusterState.Failed, plan, null, [.. plan.Warnings, direct.Failure]);
            }

            sample = new Sample(plan, texts, direct.Manifest!);
            return AddonRenderPipeline.Finish(plan, direct.Manifest!, plan.Warnings.ToList(), Limits) with { Kind = RenderKind.Direct };
        }
        finally
        {
            lock (gate)
            {
                if (sample is not null && IsCurrent(entry))
                {
                    entry.Bytes = 2L * sample.Manifest.Length;
                    bytes += entry.Bytes;
                    Trim();
                }
                else
                {
                    // A failed (or cancelled) CLI run may be transient: forget the group rather than remember it as unstampable.
                    Remove(entry);
                    sample = null;
                }
            }

            entry.Sample.TrySetResult(sample);
        }
    }

    /// <summary>
    /// The group's second Cluster: the placeholder render, checked against the sample; the verdict is published to the
    /// waiters either way, and this Cluster is stamped (or rendered directly when the group cannot be stamped).
    /// </summary>
    private async Task<ClusterResult> MakeTemplateAsync(Entry entry, RenderPlan plan, IReadOnlyDictionary<string, (string Shape, string Text)> facts,
        IReadOnlyDictionary<string, string> texts, CancellationToken cancellationToken)
    {
        var sample = entry.Sample.Task.Result!;
        StampTemplate? template = null;
        var keep = false;
        var warnings = new List<Problem>();
        try
        {
            var shapes = facts.ToDictionary(f => f.Key, f => f.Value.Shape, StringComparer.Ordinal);
            var placeholders = await cli.RenderAsync(StampingRenderer.TemplatePlan(plan, shapes), cancellationToken).ConfigureAwait(false);
            string? whyNot = null;
            if (placeholders.Failure is not null)
            {
                whyNot = $"the template render failed: {placeholders.Failure.Message}";
            }
            else
            {
                keep = true;
                template = StampTemplate.Analyse(placeholders.Manifest!, shapes, out whyNot);
                if (template is not null)
                {
                    var stamped = template.Stamp(sample.Facts);
                    if (!string.Equals(stamped, sample.Manifest, StringComparison.Ordinal))
                    {
                        whyNot = $"the stamped output for {sample.Plan.Cluster.Key} differs from its direct render at {StampTemplate.FirstDifference(sample.Manifest, stamped)}";
                        template = null;
                    }
                }
            }

            if (whyNot is not null)
            {
                warnings.Add(Problem.Warning(plan.Cluster.Key, "stamping",
                    $"Clusters sharing Cilium {plan.Version} and the values of {plan.Cluster.Key} cannot be stamped from one render ({whyNot}); each is rendered directly"));
            }
        }
        finally
        {
            lock (gate)
            {
                if (keep && IsCurrent(entry))
                {
                    // The sample's text is not needed once the template is checked against it.
                    bytes -= entry.Bytes;
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

        return await StampAsync(plan, template, texts, warnings, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The plan stamped from <paramref name="template"/> and checked like a direct render; a direct render when there is no template or the checks fail.</summary>
    private async Task<ClusterResult> StampAsync(RenderPlan plan, StampTemplate? template, IReadOnlyDictionary<string, string> texts,
        IReadOnlyList<Problem> warnings, CancellationToken cancellationToken)
    {
        if (template is not null)
        {
            var stamped = AddonRenderPipeline.Finish(plan, template.Stamp(texts), plan.Warnings.ToList(), Limits);
            if (stamped.State == ClusterState.Rendered)
            {
                return stamped with { Kind = RenderKind.Stamped };
            }
        }

        var direct = await pipeline.RenderAsync(plan, cancellationToken).ConfigureAwait(false);
        return direct with { Kind = RenderKind.Fallback, Problems = [.. direct.Problems, .. warnings] };
    }

    /// <summary>Drops every group made with another CLI or tool version, or another digest of the plan's chart directory.</summary>
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

    private bool IsCurrent(Entry entry) => entries.TryGetValue(entry.Key, out var current) && ReferenceEquals(current, entry);

    private void Trim()
    {
        while (recency.Count > 0 && (entries.Count > options.MaxTemplates || bytes > options.MaxBytes))
        {
            Remove(recency.Last!.Value);
        }
    }

    private void Remove(Entry entry)
    {
        if (IsCurrent(entry))
        {
            entries.Remove(entry.Key);
            recency.Remove(entry.Node!);
            bytes -= entry.Bytes;
        }
    }

    private enum Role
    {
        Waiter,
        SampleMaker,
        TemplateMaker,
    }

    /// <summary>The group's first Cluster and its direct CLI output.</summary>
    private sealed record Sample(RenderPlan Plan, IReadOnlyDictionary<string, string> Facts, string Manifest);

    private sealed class Entry(string key, string? chartPath)
    {
        public string Key { get; } = key;

        public string? ChartPath { get; } = chartPath;

        /// <summary>The group's sample, or null when its render failed; set once.</summary>
        public TaskCompletionSource<Sample?> Sample { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Whether a Cluster has taken on making the template (guarded by the cache's lock).</summary>
        public bool TemplateStarted { get; set; }

        /// <summary>The verified template, or null when the group cannot be stamped; set once.</summary>
        public TaskCompletionSource<StampTemplate?> Template { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public LinkedListNode<Entry>? Node { get; set; }

        public long Bytes { get; set; }
    }
}
