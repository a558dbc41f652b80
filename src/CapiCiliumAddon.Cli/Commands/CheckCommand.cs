using System.CommandLine;
using CapiCiliumAddon.Rendering;
using CapiCiliumAddon.Rendering.Output;
using CapiCiliumAddon.Rendering.Pipeline;
using CapiCiliumAddon.Rendering.Release;

namespace CapiCiliumAddon.Cli.Commands;

/// <summary>
/// `capi-cilium check`: re-render in memory and compare with the committed GitOps tree, for a GitOps repository's CI.
/// Writes nothing. Exit 0 fresh, 1 stale/missing/orphaned files or invalid Clusters, 2 usage. Clusters that are not
/// ready yet are warnings.
/// </summary>
public static class CheckCommand
{
    /// <param name="standardInput">Opens what the path "-" reads (default: the process's standard input).</param>
    public static Command Create(Func<Stream>? standardInput = null)
    {
        var paths = new Argument<string[]>("paths")
        {
            Description = "Cluster YAML/JSON files or folders, or - for standard input, as given to `render`.",
            Arity = ArgumentArity.OneOrMore,
        };
        var against = new Option<string>("--against")
        {
            Description = "The committed tree to check (the --out folder of `render`: <namespace>/<cluster>/ per Cluster).",
            Required = true,
        };
        var environment = standardInput is null ? new RenderEnvironmentOptions() : new RenderEnvironmentOptions { StandardInput = standardInput };
        var command = new Command("check", """
            Check that committed files are what render would write now.

            Check that the committed files are what `render` would write now: re-render every Cluster labelled
            cni: cilium in memory (nothing is written) and compare with the tree byte for byte. Reports, per Cluster,
            stale files (with what differs), missing files, orphaned files (generated files of a Cluster that is gone,
            or extra files in a Cluster folder), and Clusters that are invalid. A Cluster that is not ready (no
            endpoint on it, its infrastructure cluster or its topology yet) is a warning: it cannot have files yet,
            and any it has are left unchecked, not orphaned. Needs the same Cilium CLI and chart as the render: when
            the committed files record other versions, it says so.

            Exit codes: 0 fresh (warnings allowed); 1 something to fix; 2 usage error or no usable Cilium CLI / chart.
            """);
        command.Arguments.Add(paths);
        command.Options.Add(against);
        environment.AddTo(command);
        command.SetAction((parseResult, cancellationToken) =>
            ExecuteAsync(parseResult, environment, parseResult.GetValue(paths)!, parseResult.GetValue(against)!, cancellationToken));
        return command;
    }

    private static async Task<int> ExecuteAsync(ParseResult parseResult, RenderEnvironmentOptions environment, string[] paths, string against, CancellationToken cancellationToken)
    {
        var stdout = parseResult.InvocationConfiguration.Output;
        var stderr = parseResult.InvocationConfiguration.Error;
        if (!Directory.Exists(against))
        {
            await stderr.WriteLineAsync($"error: --against {against}: no such directory (render into it first: capi-cilium render <paths> --out {against})").ConfigureAwait(false);
            return CliApp.UsageError;
        }

        var session = await RenderSession.OpenAsync(parseResult, environment, paths, withCli: true, stderr, cancellationToken).ConfigureAwait(false);
        if (session is null)
        {
            return CliApp.UsageError;
        }

        // Each Cluster is compared with its committed folder as soon as it is finished; only the findings are kept.
        var checkedClusters = new System.Collections.Concurrent.ConcurrentBag<ClusterFreshness>();
        var results = await session.PlanAndRenderAsync(session.CreatePlanContext(), (result, _) =>
        {
            if (result.State == ClusterState.Rendered)
            {
                checkedClusters.Add(TreeFreshness.CheckCluster(against, new ExpectedCluster(result.Plan!.Cluster.Namespace, result.Plan.Cluster.Name, result.Files!)));
            }

            return ValueTask.CompletedTask;
        }, progress: null, cancellationToken).ConfigureAwait(false);
        foreach (var problem in session.Input.Problems.Concat(results.SelectMany(r => r.Problems)))
        {
            await stderr.WriteLineAsync(RenderSession.Format(problem)).ConfigureAwait(false);
        }

        // A Cluster without an endpoint anywhere yet cannot have files: a warning, not a failure. Its folder, if it has
        // one, is neither checked nor orphaned: the Cluster is still in the inputs and render writes it again once ready.
        var notReady = results.Where(r => r.State == ClusterState.NotReady).ToList();
        var unrendered = results.Where(r => r.State is not (ClusterState.Rendered or ClusterState.NotReady)).ToList();
        var report = TreeFreshness.Complete(against, checkedClusters.ToList(), results.Where(r => r.State != ClusterState.Rendered).Select(r => r.Key).ToHashSet(StringComparer.Ordinal));
        await stdout.WriteAsync(CheckReport.Render(against, report, unrendered.Select(r => (r.Key, Describe(r))).ToList(),
            notReady.Select(r => (r.Key, DescribeNotReady(r, against))).ToList(), session.Input.Problems)).ConfigureAwait(false);
        var clean = report.IsFresh && unrendered.Count == 0 && session.Input.Problems.All(p => p.Severity != ProblemSeverity.Error);
        return clean ? CliApp.Success : CliApp.Failure;
    }

    /// <summary>The reason is the last problem of a not-ready result (the planner adds it after the Cluster's own warnings).</summary>
    private static string DescribeNotReady(ClusterResult result, string against)
    {
        var reason = result.Problems.LastOrDefault();
        var because = reason is null ? "" : $": {reason.Field}: {reason.Message}";
        var committed = TreeFreshness.GeneratedFiles(against, result.Key).Count;
        var files = committed == 0
            ? "no files are expected for it yet"
            : $"its {committed} committed file(s) were not checked and stay as they are until it is ready";
        return $"warning: not ready{because}; {files}";
    }

    private static string Describe(ClusterResult result)
    {
        var what = result.State == ClusterState.Invalid ? "invalid" : "render failed";
        var reason = result.Problems.FirstOrDefault(p => p.Severity == ProblemSeverity.Error) ?? result.Problems.FirstOrDefault();
        // The object at fault may be another than the Cluster (its Metal3Cluster, say): then it is named too.
        var subject = reason is null || reason.Subject == result.Key ? "" : $": {reason.Subject}";
        var because = reason is null ? "" : $"{subject}: {reason.Field}: {reason.Message}";
        return $"{what}{because} (its committed files were not checked)";
    }
}

/// <summary>The text check prints on stdout: problems grouped by Cluster, then one summary line.</summary>
public static class CheckReport
{
    /// <param name="unrendered">Clusters that are invalid or failed to render: they fail the check.</param>
    /// <param name="notReady">Clusters waiting for an endpoint: reported as warnings, they do not fail the check.</param>
    public static string Render(string against, FreshnessReport report, IReadOnlyList<(string Key, string Reason)> unrendered,
        IReadOnlyList<(string Key, string Reason)> notReady, IReadOnlyList<Problem> inputProblems)
    {
        var sb = new System.Text.StringBuilder();
        var groups = report.Clusters.Where(c => !c.IsFresh).Concat(report.OrphanedFolders).OrderBy(c => c.Key, StringComparer.Ordinal).ToList();
        if (groups.Any(g => g.Findings.Any(f => f.Kind == FileFindingKind.Stale)))
        {
            sb.Append("Stale files list what differs as `committed → rendered now`.\n\n");
        }

        foreach (var cluster in groups)
        {
            sb.Append(cluster.Key).Append(report.OrphanedFolders.Contains(cluster) ? " (orphaned folder)" : "").Append(":\n");
            foreach (var finding in cluster.Findings)
            {
                sb.Append($"  {Word(finding.Kind),-8}  {finding.File}\n");
                foreach (var detail in finding.Details)
                {
                    sb.Append("            ").Append(detail).Append('\n');
                }
            }

            foreach (var note in cluster.Notes)
            {
                sb.Append("  note: ").Append(note).Append('\n');
            }
        }

        foreach (var (key, reason) in unrendered.Concat(notReady).OrderBy(u => u.Key, StringComparer.Ordinal))
        {
            sb.Append($"{key}:\n  {reason}\n");
        }

        foreach (var problem in inputProblems.Where(p => p.Severity == ProblemSeverity.Error))
        {
            sb.Append($"{problem.Subject}:\n  unreadable: {problem.Message}\n");
        }

        var fresh = report.Clusters.Count(c => c.IsFresh);
        var stale = report.Clusters.Count - fresh;
        var parts = new List<string> { $"{fresh} fresh" };
        if (stale > 0)
        {
            parts.Add($"{stale} out of date");
        }

        if (unrendered.Count > 0)
        {
            parts.Add($"{unrendered.Count} not rendered");
        }

        if (notReady.Count > 0)
        {
            parts.Add($"{notReady.Count} not ready (warning)");
        }

        if (report.OrphanedFolders.Count > 0)
        {
            parts.Add($"{report.OrphanedFolders.Count} orphaned folder(s)");
        }

        if (groups.Count > 0 || unrendered.Count > 0 || notReady.Count > 0)
        {
            sb.Append('\n');
        }

        sb.Append($"check {against}: {report.Clusters.Count + unrendered.Count + notReady.Count} Cluster(s): {string.Join(", ", parts)}\n");
        if (stale > 0)
        {
            sb.Append($"To update the files: capi-cilium render <the same paths and options> --out {against}, and commit the result.\n");
        }

        return sb.ToString();
    }

    private static string Word(FileFindingKind kind) => kind switch
    {
        FileFindingKind.Stale => "stale",
        FileFindingKind.Missing => "missing",
        _ => "orphaned",
    };
}
