using System.CommandLine;
using CapiCiliumAddon.Rendering;
using CapiCiliumAddon.Rendering.Output;
using CapiCiliumAddon.Rendering.Pipeline;
using CapiCiliumAddon.Rendering.Release;

namespace CapiCiliumAddon.Cli.Commands;

/// <summary>
/// `capi-cilium check`: re-render in memory and compare with the committed GitOps tree, for a GitOps repository's CI.
/// Writes nothing. Exit 0 fresh, 1 stale/missing/orphaned files or Clusters that cannot be rendered, 2 usage.
/// </summary>
public static class CheckCommand
{
    public static Command Create()
    {
        var paths = new Argument<string[]>("paths")
        {
            Description = "Cluster YAML/JSON files or folders, as given to `render`.",
            Arity = ArgumentArity.OneOrMore,
        };
        var against = new Option<string>("--against")
        {
            Description = "The committed tree to check (the --out folder of `render`: <namespace>/<cluster>/ per Cluster).",
            Required = true,
        };
        var environment = new RenderEnvironmentOptions();
        var command = new Command("check", """
            Check that the committed files are what `render` would write now: re-render every Cluster labelled
            cni: cilium in memory (nothing is written) and compare with the tree byte for byte. Reports, per Cluster,
            stale files (with what differs), missing files, orphaned files (generated files of a Cluster that is gone,
            or extra files in a Cluster folder), and Clusters that are invalid or not ready. Needs the same Cilium CLI
            and chart as the render: when the committed files record other versions, it says so.

            Exit codes: 0 fresh; 1 something to fix; 2 usage error or no usable Cilium CLI / chart.
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

        var unrendered = results.Where(r => r.State != ClusterState.Rendered).ToList();
        var report = TreeFreshness.Complete(against, checkedClusters.ToList(), unrendered.Select(r => r.Key).ToHashSet(StringComparer.Ordinal));
        await stdout.WriteAsync(CheckReport.Render(against, report, unrendered.Select(r => (r.Key, Describe(r))).ToList(), session.Input.Problems)).ConfigureAwait(false);
        var clean = report.IsFresh && unrendered.Count == 0 && session.Input.Problems.All(p => p.Severity != ProblemSeverity.Error);
        return clean ? CliApp.Success : CliApp.Failure;
    }

    private static string Describe(ClusterResult result)
    {
        var what = result.State switch
        {
            ClusterState.NotReady => "not ready",
            ClusterState.Invalid => "invalid",
            _ => "render failed",
        };
        var reason = result.Problems.FirstOrDefault(p => p.Severity == ProblemSeverity.Error) ?? result.Problems.FirstOrDefault();
        var because = reason is null ? "" : $": {reason.Field}: {reason.Message}";
        return $"{what}{because} (its committed files were not checked)";
    }
}

/// <summary>The text check prints on stdout: problems grouped by Cluster, then one summary line.</summary>
public static class CheckReport
{
    public static string Render(string against, FreshnessReport report, IReadOnlyList<(string Key, string Reason)> unrendered, IReadOnlyList<Problem> inputProblems)
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

        foreach (var (key, reason) in unrendered.OrderBy(u => u.Key, StringComparer.Ordinal))
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

        if (report.OrphanedFolders.Count > 0)
        {
            parts.Add($"{report.OrphanedFolders.Count} orphaned folder(s)");
        }

        if (groups.Count > 0 || unrendered.Count > 0)
        {
            sb.Append('\n');
        }

        sb.Append($"check {against}: {report.Clusters.Count + unrendered.Count} Cluster(s): {string.Join(", ", parts)}\n");
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
