using System.Diagnostics;
using CapiCiliumAddon.Rendering.Addons;
using CapiCiliumAddon.Rendering.CiliumCli;
using CapiCiliumAddon.Rendering.Planning;
using CapiCiliumAddon.Rendering.Settings;

namespace CapiCiliumAddon.Rendering.Pipeline.Stamping;

/// <summary>What stamping did in one batch: for a summary line and for tests.</summary>
public sealed record StampingReport(int Groups, int StampedGroups, int Stamped, int Direct, int CliRuns, IReadOnlyList<string> Fallbacks);

/// <summary>
/// "Render once, stamp many": plans that differ only in stampable facts (<see cref="StampableFacts"/>) are rendered
/// once with placeholder facts; the placeholders are checked to sit exactly where the chart puts those facts
/// (<see cref="StampTemplate"/>); ONE real member of the group (the first, in input order) is rendered directly and
/// must equal the template stamped with its facts byte for byte; then every other member gets the template stamped
/// with its own facts. Each output, stamped or not, goes through <see cref="AddonRenderPipeline.Finish"/> with the
/// Cluster's own plan, so every check still applies per Cluster. Whenever anything does not hold, the group is rendered
/// directly and the reason is reported as a warning on its first Cluster.
/// </summary>
public sealed class StampingRenderer(CiliumCliRunner cli, AddonRenderPipeline pipeline, int parallelism, AddonLimits? limits = null)
{
    /// <summary>Groups smaller than this render directly: stamping costs a template render, which pays off from two Clusters.</summary>
    public int MinimumGroupSize { get; init; } = 2;

    public StampingReport? LastReport { get; private set; }

    public async Task<IReadOnlyList<ClusterResult>> RenderAsync(IReadOnlyList<RenderPlan> plans, IRenderProgress? progress, CancellationToken cancellationToken)
    {
        using var gate = new SemaphoreSlim(Math.Max(1, parallelism));
        var results = new ClusterResult[plans.Count];
        var completed = 0;
        var cliRuns = 0;
        var stamped = 0;
        var stampedGroups = 0;
        var fallbacks = new List<string>();

        void Done(int index, ClusterResult result, TimeSpan elapsed)
        {
            results[index] = result with { Duration = elapsed };
            progress?.Completed(results[index], Interlocked.Increment(ref completed), plans.Count);
        }

        async Task Direct(int index)
        {
            var stopwatch = Stopwatch.StartNew();
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                Interlocked.Increment(ref cliRuns);
                Done(index, await pipeline.RenderAsync(plans[index], cancellationToken).ConfigureAwait(false), stopwatch.Elapsed);
            }
            finally
            {
                gate.Release();
            }
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
                var stampedSample = stamp.Stamp(Texts(sampleFacts));
                if (!string.Equals(stampedSample, direct.Manifest, StringComparison.Ordinal))
                {
                    whyNot = $"the stamped output for {sample.Cluster.Key} differs from its direct render at {StampTemplate.FirstDifference(direct.Manifest!, stampedSample)}";
                    stamp = null;
                }
            }

            if (whyNot is not null)
            {
                var message = $"render-once-stamp-many was not used for the {members.Count} Clusters sharing Cilium {sample.Version} and the values of {sample.Cluster.Key}: {whyNot}; they were rendered directly";
                lock (fallbacks)
                {
                    fallbacks.Add(message);
                }

                sampleProblems.Add(Problem.Warning(sample.Cluster.Key, "stamping", message));
            }

            var sampleResult = direct.Failure is not null
                ? new ClusterResult(sample.Cluster.Key, ClusterState.Failed, sample, null, [.. sampleProblems, direct.Failure])
                : AddonRenderPipeline.Finish(sample, direct.Manifest!, sampleProblems, limits ?? AddonLimits.Default);
            Done(sampleIndex, sampleResult, stopwatch.Elapsed);

            if (stamp is null)
            {
                await Task.WhenAll(members.Skip(1).Select(m => Direct(m.Index))).ConfigureAwait(false);
                return;
            }

            Interlocked.Increment(ref stampedGroups);
            // Parsing, checking and building the objects now costs more than the stamping: spread it like renders.
            await Parallel.ForEachAsync(members.Skip(1),
                new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = cancellationToken },
                (member, _) =>
                {
                    var one = Stopwatch.StartNew();
                    var plan = plans[member.Index];
                    Done(member.Index, AddonRenderPipeline.Finish(plan, stamp.Stamp(Texts(member.Facts)), plan.Warnings.ToList(), limits ?? AddonLimits.Default), one.Elapsed);
                    Interlocked.Increment(ref stamped);
                    return ValueTask.CompletedTask;
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
        var tasks = stampable.Select(g => Group(g)).Concat(singles.Order().Select(Direct)).ToList();
        await Task.WhenAll(tasks).ConfigureAwait(false);

        LastReport = new StampingReport(groups.Count, stampedGroups, stamped, plans.Count - stamped, cliRuns, fallbacks.Order(StringComparer.Ordinal).ToList());
        return results;
    }

    private static IReadOnlyDictionary<string, string> Texts(IReadOnlyDictionary<string, (string Shape, string Text)> facts) =>
        facts.ToDictionary(f => f.Key, f => f.Value.Text, StringComparer.Ordinal);

    /// <summary>The sample's plan with each stamped fact replaced by its shape's placeholder (same source, same JSON type).</summary>
    internal static RenderPlan TemplatePlan(RenderPlan plan, IReadOnlyDictionary<string, string> shapes)
    {
        var values = new HelmValues();
        foreach (var value in plan.Values.All)
        {
            values.Set(value.Key, shapes.TryGetValue(value.Key, out var shape) ? StampableFacts.PlaceholderValue(shape) : value.Value, value.Source);
        }

        var name = shapes.ContainsKey(StampableFacts.Name) ? StampableFacts.PlaceholderName : plan.CiliumClusterName;
        return plan with { Values = values, CiliumClusterName = name, Warnings = [] };
    }
}
