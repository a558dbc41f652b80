using System.Collections.Concurrent;
using System.Diagnostics;
using CapiCiliumAddon.Rendering.Addons;
using CapiCiliumAddon.Rendering.CiliumCli;
using CapiCiliumAddon.Rendering.Planning;
using CapiCiliumAddon.Rendering.Settings;

namespace CapiCiliumAddon.Rendering.Pipeline.Stamping;

/// <summary>What stamping did in one batch: for a summary line and for tests.</summary>
/// <param name="Stamped">Clusters that got their group's shared render with their own facts, without a CLI run of their own.</param>
/// <param name="Direct">Clusters rendered by a CLI run of their own (group samples, fallbacks and Clusters in no group).</param>
/// <param name="Fallbacks">Why groups were rendered directly after all (also a warning on each group's first Cluster).</param>
public sealed record StampingReport(int Groups, int StampedGroups, int Stamped, int Direct, int CliRuns, IReadOnlyList<string> Fallbacks)
{
    /// <summary>Stamped Clusters whose finished files were stamped (<see cref="FinishedStamp"/>); the others were finished from their stamped CLI text.</summary>
    public int StampedFiles { get; init; }

    /// <summary>Why stamped Clusters were finished from their stamped CLI text rather than stamped as files: one line per group or Cluster.</summary>
    public IReadOnlyList<string> Rebuilt { get; init; } = [];
}

/// <summary>
/// "Render once, stamp many": plans that differ only in stampable facts (<see cref="StampableFacts"/>) are rendered
/// once with placeholder facts; the placeholders are checked to sit exactly where the chart puts those facts
/// (<see cref="StampTemplate"/>); ONE real member of the group (the first, in input order) is rendered directly and
/// must equal the template stamped with its facts byte for byte. Its finished files are then made once for a
/// placeholder Cluster and checked against the sample's the same way (<see cref="FinishedStamp"/>), and every other
/// member gets them stamped with its own facts, names and hashes. A member that does not qualify for that is
/// finished from its stamped CLI text through <see cref="AddonRenderPipeline.Finish"/> with its own plan, like a direct
/// render. Whenever the CLI-level checks do not hold, the group is rendered directly and the reason is reported as a
/// warning on its first Cluster.
/// </summary>
public sealed class StampingRenderer(CiliumCliRunner cli, AddonRenderPipeline pipeline, int parallelism, AddonLimits? limits = null)
{
    private static readonly IReadOnlyDictionary<string, string> NoNames = new Dictionary<string, string>();

    /// <summary>Groups smaller than this render directly: stamping costs a template render, which pays off from two Clusters.</summary>
    public int MinimumGroupSize { get; init; } = 2;

    public StampingReport? LastReport { get; private set; }

    private AddonLimits Limits => limits ?? AddonLimits.Default;

    internal async Task RenderAsync(IReadOnlyList<RenderPlan> plans, ResultDelivery delivery, CancellationToken cancellationToken)
    {
        using var gate = new SemaphoreSlim(Math.Max(1, parallelism));
        var cliRuns = 0;
        var stamped = 0;
        var stampedFiles = 0;
        var stampedGroups = 0;
        var fallbacks = new ConcurrentBag<string>();
        var rebuilt = new ConcurrentBag<string>();

        async Task Direct(int index, RenderKind kind)
        {
            var stopwatch = Stopwatch.StartNew();
            ClusterResult result;
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                Interlocked.Increment(ref cliRuns);
                result = await pipeline.RenderAsync(plans[index], cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }

            await delivery.DeliverAsync(index, result with { Kind = kind }, stopwatch.Elapsed, cancellationToken).ConfigureAwait(false);
        }

        async Task<CliRenderResult> Raw(RenderPlan plan)
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                Interlocked.Increment(ref cliRuns);
                return await cli.RenderAsync(plan, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        }

        async Task Group(IReadOnlyList<(int Index, IReadOnlyDictionary<string, (string Shape, string Text)> Facts)> members)
        {
            var stopwatch = Stopwatch.StartNew();
            var (sampleIndex, sampleFacts) = members[0];
            var sample = plans[sampleIndex];
            var shapes = sampleFacts.ToDictionary(f => f.Key, f => f.Value.Shape, StringComparer.Ordinal);
            var templateTask = Raw(TemplatePlan(sample, shapes));
            var sampleTask = Raw(sample);
            var (template, direct) = (await templateTask.ConfigureAwait(false), await sampleTask.ConfigureAwait(false));

            var sampleProblems = sample.Warnings.ToList();
            var sampleNames = new Dictionary<string, string>(StringComparer.Ordinal);
            string? whyNot = null;
            StampTemplate? stamp = null;
            if (template.Failure is not null)
            {
                whyNot = $"the template render failed: {template.Failure.Message}";
            }
            else if (direct.Failure is not null)
            {
                whyNot = "the sample's direct render failed";
            }
            else if ((stamp = StampTemplate.Analyse(template.Manifest!, shapes, out whyNot)) is not null)
            {
                var stampedSample = stamp.Stamp(Texts(sampleFacts), sampleNames);
                if (!string.Equals(stampedSample, direct.Manifest, StringComparison.Ordinal))
                {
                    whyNot = $"the stamped output for {sample.Cluster.Key} differs from its direct render at {StampTemplate.FirstDifference(direct.Manifest!, stampedSample)}";
                    stamp = null;
                }
            }

            if (whyNot is not null)
            {
                var message = $"render-once-stamp-many was not used for the {members.Count} Clusters sharing Cilium {sample.Version} and the values of {sample.Cluster.Key}: {whyNot}; they were rendered directly";
                fallbacks.Add(message);
                sampleProblems.Add(Problem.Warning(sample.Cluster.Key, "stamping", message));
            }

            var sampleResult = direct.Failure is not null
                ? new ClusterResult(sample.Cluster.Key, ClusterState.Failed, sample, null, [.. sampleProblems, direct.Failure])
                : AddonRenderPipeline.Finish(sample, direct.Manifest!, sampleProblems, Limits);
            sampleResult = sampleResult with { Files = sampleResult.Files };

            FinishedStamp? finished = null;
            string? whyNotFinished = null;
            if (stamp is not null)
            {
                finished = FinishedStamp.Create(stamp, template.Manifest!, shapes, sample, Texts(sampleFacts), sampleNames, sampleResult, Limits, out whyNotFinished);
                if (finished is null)
                {
                    rebuilt.Add($"the {members.Count - 1} Clusters stamped from the render of {sample.Cluster.Key}: {whyNotFinished}");
                }
            }

            await delivery.DeliverAsync(sampleIndex, sampleResult, stopwatch.Elapsed, cancellationToken).ConfigureAwait(false);

            if (stamp is null)
            {
                await Task.WhenAll(members.Skip(1).Select(m => Direct(m.Index, RenderKind.Fallback))).ConfigureAwait(false);
                return;
            }

            Interlocked.Increment(ref stampedGroups);
            await Parallel.ForEachAsync(members.Skip(1),
                new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = cancellationToken },
                async (member, token) =>
                {
                    var one = Stopwatch.StartNew();
                    var plan = plans[member.Index];
                    var texts = Texts(member.Facts);
                    string? cliText = null;
                    IReadOnlyDictionary<string, string> names = NoNames;
                    if (stamp.ContentNamedObjects.Count > 0 || finished is null)
                    {
                        var derived = new Dictionary<string, string>(StringComparer.Ordinal);
                        cliText = stamp.Stamp(texts, derived);
                        names = derived;
                    }

                    string? whyRebuilt = null;
                    var files = finished?.TryStamp(plan, texts, names, out whyRebuilt);
                    ClusterResult result;
                    if (files is not null)
                    {
                        result = new ClusterResult(plan.Cluster.Key, ClusterState.Rendered, plan, null, plan.Warnings.ToList()) { Files = files };
                        Interlocked.Increment(ref stampedFiles);
                    }
                    else
                    {
                        if (finished is not null)
                        {
                            rebuilt.Add($"{plan.Cluster.Key}: {whyRebuilt}");
                        }

                        result = AddonRenderPipeline.Finish(plan, cliText ?? stamp.Stamp(texts), plan.Warnings.ToList(), Limits);
                    }

                    Interlocked.Increment(ref stamped);
                    await delivery.DeliverAsync(member.Index, result with { Kind = RenderKind.Stamped }, one.Elapsed, token).ConfigureAwait(false);
                }).ConfigureAwait(false);
        }

        var groups = new Dictionary<string, List<(int, IReadOnlyDictionary<string, (string, string)>)>>(StringComparer.Ordinal);
        var singles = new List<int>();
        for (var i = 0; i < plans.Count; i++)
        {
            if (StampableFacts.FactsOf(plans[i], out _) is { } facts)
            {
                var key = StampableFacts.GroupKey(plans[i], facts);
                if (!groups.TryGetValue(key, out var list))
                {
                    groups[key] = list = [];
                }

                list.Add((i, facts));
            }
            else
            {
                singles.Add(i);
            }
        }

        var stampable = groups.Values.Where(g => g.Count >= MinimumGroupSize).ToList();
        singles.AddRange(groups.Values.Where(g => g.Count < MinimumGroupSize).SelectMany(g => g.Select(m => m.Item1)));
        var groupCount = groups.Count;
        groups.Clear();
        var tasks = stampable.Select(g => Group(g)).Concat(singles.Order().Select(i => Direct(i, RenderKind.Direct))).ToList();
        await Task.WhenAll(tasks).ConfigureAwait(false);

        LastReport = new StampingReport(groupCount, stampedGroups, stamped, plans.Count - stamped, cliRuns,
            fallbacks.Order(StringComparer.Ordinal).ToList())
        {
            StampedFiles = stampedFiles,
            Rebuilt = rebuilt.Order(StringComparer.Ordinal).ToList(),
        };
    }

    private static IReadOnlyDictionary<string, string> Texts(IReadOnlyDictionary<string, (string Shape, string Text)> facts) =>
        facts.ToDictionary(f => f.Key, f => f.Value.Text, StringComparer.Ordinal);

    /// <summary>
    /// The sample's plan with each stamped fact replaced by its shape's placeholder (same source, same JSON type), and the
    /// endpoint and Cilium cluster name it expects to read back replaced the same way.
    /// </summary>
    internal static RenderPlan TemplatePlan(RenderPlan plan, IReadOnlyDictionary<string, string> shapes)
    {
        var values = new HelmValues();
        foreach (var value in plan.Values.All)
        {
            values.Set(value.Key, shapes.TryGetValue(value.Key, out var shape) ? StampableFacts.PlaceholderValue(shape) : value.Value, value.Source);
        }

        var name = shapes.ContainsKey(StampableFacts.Name) ? StampableFacts.PlaceholderName : plan.CiliumClusterName;
        var endpoint = new Clusters.ControlPlaneEndpoint(
            shapes.TryGetValue(StampableFacts.Host, out var hostShape) ? StampableFacts.PlaceholderText(hostShape) : plan.Endpoint.Host,
            shapes.ContainsKey(StampableFacts.Port) ? StampableFacts.PlaceholderPort : plan.Endpoint.Port);
        return plan with { Values = values, CiliumClusterName = name, Endpoint = endpoint, Warnings = [] };
    }
}
