using System.CommandLine;
using CapiCiliumAddon.Processes;
using CapiCiliumAddon.Rendering;
using CapiCiliumAddon.Rendering.CiliumCli;
using CapiCiliumAddon.Rendering.Clusters;
using CapiCiliumAddon.Rendering.Output;
using CapiCiliumAddon.Rendering.Pipeline;
using CapiCiliumAddon.Rendering.Planning;

namespace CapiCiliumAddon.Cli.Commands;

/// <summary>`capi-cilium render`: Cluster files in, a ConfigMap and ClusterResourceSet per labelled Cluster out.</summary>
public static class RenderCommand
{
    public static Command Create()
    {
        var paths = new Argument<string[]>("paths")
        {
            Description = "Cluster YAML/JSON files or folders (searched recursively). Only Clusters labelled cni: cilium are rendered.",
            Arity = ArgumentArity.OneOrMore,
        };
        var output = new Option<string?>("--out", "-o")
        {
            Description = "Folder to write into: one sub-folder per namespace/cluster. Required unless --explain.",
        };
        var explain = new Option<bool>("--explain")
        {
            Description = "Print every final Helm value and where it came from, then stop (no CLI run, nothing written).",
        };
        var environment = new RenderEnvironmentOptions();
        var command = new Command("render", """
            Render bootstrap-safe Cilium for each Cluster labelled cni: cilium: run `cilium install --dry-run` offline,
            check the output, and write a ConfigMap with the manifest plus an ApplyOnce ClusterResourceSet that
            selects only that Cluster. Runs are byte-for-byte reproducible.

            Exit codes: 0 every selected Cluster rendered; 1 at least one failed or was not ready (the others are
            still written); 2 usage error or no usable Cilium CLI / chart.
            """);
        command.Arguments.Add(paths);
        command.Options.Add(output);
        command.Options.Add(explain);
        environment.AddTo(command);
        command.Validators.Add(r =>
        {
            if (!r.GetValue(explain) && string.IsNullOrEmpty(r.GetValue(output)))
            {
                r.AddError("--out is required (or use --explain)");
            }
        });
        command.SetAction((parseResult, cancellationToken) =>
        {
            var run = new RenderRun(parseResult, environment, parseResult.InvocationConfiguration.Output, parseResult.InvocationConfiguration.Error);
            return run.ExecuteAsync(parseResult.GetValue(paths)!, parseResult.GetValue(output), parseResult.GetValue(explain), cancellationToken);
        });
        return command;
    }

    private sealed class RenderRun(ParseResult parseResult, RenderEnvironmentOptions environment, TextWriter stdout, TextWriter stderr)
    {
        public async Task<int> ExecuteAsync(string[] paths, string? outputDirectory, bool explain, CancellationToken cancellationToken)
        {
            IReadOnlyList<string> files;
            IReadOnlyList<ChartDirectory> charts;
            try
            {
                files = ClusterFileSet.ExpandPaths(paths);
                charts = environment.LoadCharts(parseResult);
            }
            catch (Exception e) when (e is FileNotFoundException or ChartDirectoryException)
            {
                await stderr.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
                return CliApp.UsageError;
            }

            var input = ClusterFileSet.Load(files);
            string cliVersion = "unknown";
            CiliumCliRunner? runner = null;
            if (!explain)
            {
                try
                {
                    runner = environment.CreateRunner(parseResult);
                    cliVersion = await runner.GetVersionAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is CiliumCliNotFoundException or CiliumCliException or ProcessRunException)
                {
                    await stderr.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
                    return CliApp.UsageError;
                }
            }

            var planner = new RenderPlanner(environment.CreatePlanContext(parseResult, charts, cliVersion));
            var results = new List<ClusterResult>();
            var plans = new List<RenderPlan>();
            foreach (var source in input.Clusters)
            {
                var result = PlanOne(planner, input, source);
                if (result.State == ClusterState.Rendered)
                {
                    plans.Add(result.Plan!);
                }
                else
                {
                    results.Add(result);
                }
            }

            if (explain)
            {
                await Explain(plans).ConfigureAwait(false);
                await Report(results, input, written: null).ConfigureAwait(false);
                return results.Count == 0 && input.Problems.Count == 0 ? CliApp.Success : CliApp.Failure;
            }

            var batch = new BatchRenderer(new AddonRenderPipeline(runner!), parseResult.GetValue(environment.Parallelism));
            var progress = new LineProgress(stderr);
            results.AddRange(await batch.RenderAsync(plans, progress, cancellationToken).ConfigureAwait(false));

            var written = new List<string>();
            foreach (var rendered in results.Where(r => r.State == ClusterState.Rendered))
            {
                written.AddRange(ManifestTree.WriteCluster(outputDirectory!, rendered.Plan!.Cluster, rendered.Objects!));
            }

            await Report(results, input, written).ConfigureAwait(false);
            var clean = results.All(r => r.State == ClusterState.Rendered) && input.Problems.Count == 0;
            return clean ? CliApp.Success : CliApp.Failure;
        }

        /// <summary>Reads, checks the selector label, and plans one Cluster. State Rendered here means "ready to render".</summary>
        private static ClusterResult PlanOne(RenderPlanner planner, ClusterFileSet input, ClusterSource source)
        {
            if (source.Read.Facts is not { } facts || !source.Read.IsValid)
            {
                var key = source.Read.Facts?.Key ?? source.Read.Problems.FirstOrDefault()?.Subject ?? source.Location;
                return new ClusterResult(key, ClusterState.Invalid, null, null, source.Read.Problems);
            }

            var outcome = planner.Plan(facts, input.ConfigMapsIn(facts.Namespace));
            var problems = source.Read.Problems.ToList();
            switch (outcome)
            {
                case PlanOutcome.Invalid invalid:
                    problems.AddRange(invalid.Problems);
                    return new ClusterResult(facts.Key, ClusterState.Invalid, null, null, problems);
                case PlanOutcome.NotReady notReady:
                    problems.Add(notReady.Reason);
                    return new ClusterResult(facts.Key, ClusterState.NotReady, null, null, problems);
            }

            var plan = ((PlanOutcome.Ready)outcome).Plan;
            if (ClusterFileSet.CheckSelectorLabel(facts, source.Location) is { } labelProblem)
            {
                problems.Add(labelProblem);
                return new ClusterResult(facts.Key, ClusterState.Invalid, plan, null, problems);
            }

            problems.AddRange(plan.Warnings);
            return new ClusterResult(facts.Key, ClusterState.Rendered, plan with { Warnings = problems }, null, problems);
        }

        private async Task Explain(IReadOnlyList<RenderPlan> plans)
        {
            foreach (var plan in plans)
            {
                var chart = plan.Chart is null ? "chart resolved by the Cilium CLI" : $"chart {plan.Chart.Path}";
                await stdout.WriteLineAsync($"{plan.Cluster.Key}: Cilium {plan.Version} ({chart}), cluster.name {plan.CiliumClusterName}").ConfigureAwait(false);
                var width = plan.Values.All.Max(v => v.Key.Length);
                var valueWidth = Math.Min(40, plan.Values.All.Max(v => v.Display.Length));
                foreach (var value in plan.Values.All)
                {
                    await stdout.WriteLineAsync($"  {value.Key.PadRight(width)}  {value.Display.PadRight(valueWidth)}  {value.Source}").ConfigureAwait(false);
                }

                await stdout.WriteLineAsync().ConfigureAwait(false);
            }
        }

        private async Task Report(IReadOnlyList<ClusterResult> results, ClusterFileSet input, IReadOnlyList<string>? written)
        {
            foreach (var problem in input.Problems)
            {
                await stderr.WriteLineAsync(Format(problem)).ConfigureAwait(false);
            }

            foreach (var result in results.OrderBy(r => r.Key, StringComparer.Ordinal))
            {
                foreach (var problem in result.Problems)
                {
                    await stderr.WriteLineAsync(Format(problem)).ConfigureAwait(false);
                }
            }

            var rendered = results.Count(r => r.State == ClusterState.Rendered);
            var failed = results.Where(r => r.State != ClusterState.Rendered).OrderBy(r => r.Key, StringComparer.Ordinal).ToList();
            var summary = written is null
                ? $"{input.Clusters.Count} Cluster(s) labelled {AddonKeys.CniLabel}: {AddonKeys.CniLabelValue} in {input.FileCount} file(s)"
                : $"{rendered} of {input.Clusters.Count} Cluster(s) labelled {AddonKeys.CniLabel}: {AddonKeys.CniLabelValue} rendered from {input.FileCount} file(s); {written.Count} file(s) written";
            await stdout.WriteLineAsync(summary).ConfigureAwait(false);
            foreach (var failure in failed)
            {
                var what = failure.State switch
                {
                    ClusterState.NotReady => "not ready",
                    ClusterState.Invalid => "invalid",
                    _ => "failed",
                };
                await stdout.WriteLineAsync($"  {what}: {failure.Key}").ConfigureAwait(false);
            }

            foreach (var problem in input.Problems.Where(p => p.Severity == ProblemSeverity.Error))
            {
                await stdout.WriteLineAsync($"  unreadable: {problem.Subject}").ConfigureAwait(false);
            }
        }

        private static string Format(Problem problem) =>
            $"{(problem.Severity == ProblemSeverity.Error ? "error" : "warning")}: {problem}";
    }

    /// <summary>
    /// Progress on stderr. On a terminal one status line is rewritten in place (failures stay on screen); in CI logs
    /// and pipes, where carriage returns turn into noise, one plain line per Cluster.
    /// </summary>
    private sealed class LineProgress(TextWriter stderr) : IRenderProgress
    {
        private readonly Lock _lock = new();
        private readonly bool _interactive = ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected;

        public void Completed(ClusterResult result, int completed, int total)
        {
            var state = result.State == ClusterState.Rendered ? "rendered" : "FAILED";
            var line = $"[{completed}/{total}] {result.Key} {state} in {result.Duration.TotalSeconds:0.00} s";
            lock (_lock)
            {
                if (!_interactive)
                {
                    stderr.WriteLine(line);
                    return;
                }

                // \x1b[2K clears the previous status line before the new one is drawn.
                stderr.Write(result.State == ClusterState.Rendered && completed < total ? $"\r\x1b[2K{line}" : $"\r\x1b[2K{line}\n");
            }
        }
    }
}
