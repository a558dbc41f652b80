using System.CommandLine;
using CapiCiliumAddon.Rendering;
using CapiCiliumAddon.Rendering.Clusters;
using CapiCiliumAddon.Rendering.Output;
using CapiCiliumAddon.Rendering.Pipeline;
using CapiCiliumAddon.Rendering.Planning;

namespace CapiCiliumAddon.Cli.Commands;

/// <summary>`capi-cilium render`: Cluster files in, a ConfigMap and ClusterResourceSet per labelled Cluster out.</summary>
public static class RenderCommand
{
    /// <param name="standardInput">Opens what the path "-" reads (default: the process's standard input).</param>
    public static Command Create(Func<Stream>? standardInput = null)
    {
        var paths = new Argument<string[]>("paths")
        {
            Description = "Cluster YAML/JSON files or folders (searched recursively), or - for multi-document YAML on standard input (a kustomize build, say). Only Clusters labelled cni: cilium are rendered.",
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
        var environment = standardInput is null ? new RenderEnvironmentOptions() : new RenderEnvironmentOptions { StandardInput = standardInput };
        var command = new Command("render", """
            Render Cilium per labelled Cluster into a ConfigMap and an ApplyOnce ClusterResourceSet.

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
            var session = await RenderSession.OpenAsync(parseResult, environment, paths, withCli: !explain, stderr, cancellationToken).ConfigureAwait(false);
            if (session is null)
            {
                return CliApp.UsageError;
            }

            var input = session.Input;
            if (explain)
            {
                var planned = session.PlanAll(session.CreatePlanContext());
                await Explain(planned.Where(r => r.State == ClusterState.Rendered).Select(r => r.Plan!).ToList()).ConfigureAwait(false);
                var refused = planned.Where(r => r.State != ClusterState.Rendered).ToList();
                await Report(refused, input, written: null).ConfigureAwait(false);
                return refused.Count == 0 && input.Problems.Count == 0 ? CliApp.Success : CliApp.Failure;
            }

            // Each Cluster's files are written as soon as it is finished; nothing of its output is kept afterwards.
            var written = 0;
            var results = await session.PlanAndRenderAsync(session.CreatePlanContext(), (result, _) =>
            {
                if (result.State == ClusterState.Rendered)
                {
                    Interlocked.Add(ref written, ManifestTree.WriteCluster(outputDirectory!, result.Plan!.Cluster, result.Files!).Count);
                }

                return ValueTask.CompletedTask;
            }, new LineProgress(stderr), cancellationToken).ConfigureAwait(false);

            await Report(results, input, written).ConfigureAwait(false);
            var clean = results.All(r => r.State == ClusterState.Rendered) && input.Problems.Count == 0;
            return clean ? CliApp.Success : CliApp.Failure;
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

        private async Task Report(IReadOnlyList<ClusterResult> results, ClusterFileSet input, int? written)
        {
            foreach (var problem in input.Problems)
            {
                await stderr.WriteLineAsync(RenderSession.Format(problem)).ConfigureAwait(false);
            }

            foreach (var result in results.OrderBy(r => r.Key, StringComparer.Ordinal))
            {
                foreach (var problem in result.Problems)
                {
                    await stderr.WriteLineAsync(RenderSession.Format(problem)).ConfigureAwait(false);
                }
            }

            var rendered = results.Count(r => r.State == ClusterState.Rendered);
            var failed = results.Where(r => r.State != ClusterState.Rendered).OrderBy(r => r.Key, StringComparer.Ordinal).ToList();
            var summary = written is null
                ? $"{input.Clusters.Count} Cluster(s) labelled {AddonKeys.CniLabel}: {AddonKeys.CniLabelValue} in {input.FileCount} file(s)"
                : $"{rendered} of {input.Clusters.Count} Cluster(s) labelled {AddonKeys.CniLabel}: {AddonKeys.CniLabelValue} rendered from {input.FileCount} file(s); {written} file(s) written";
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
    }
}
