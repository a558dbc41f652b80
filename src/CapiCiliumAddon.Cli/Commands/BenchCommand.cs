using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using CapiCiliumAddon.Rendering;
using CapiCiliumAddon.Rendering.Output;
using CapiCiliumAddon.Rendering.Pipeline;
using CapiCiliumAddon.Rendering.Planning;

namespace CapiCiliumAddon.Cli.Commands;

/// <summary>
/// `capi-cilium bench`: end-to-end throughput of `render` on N synthetic ready Clusters. The Clusters go through the
/// same <see cref="RenderSession"/> (read, plan, <see cref="BatchRenderer"/>) and <see cref="ManifestTree"/> writer as
/// `render`, so what is measured is what a user runs; only the inputs are generated. The reference is the CLI's own
/// time: t_cli is measured first (sequential runs of the same CLI through the same runner), and the batch is compared
/// with the ideal N·t_cli/W of W perfectly overlapped CLI runs.
/// </summary>
public static class BenchCommand
{
    /// <summary>The namespace of the generated Clusters.</summary>
    public const string Namespace = "bench";

    /// <summary>Distinct hosts and pod CIDRs are derived from the index; beyond this they would repeat.</summary>
    public const int MaxClusters = 32_767;

    public static Command Create()
    {
        var clusters = new Option<int>("--clusters")
        {
            Description = $"How many synthetic ready Clusters to generate and render (1..{MaxClusters}).",
            DefaultValueFactory = _ => 100,
        };
        var calibrationRuns = new Option<int>("--calibration-runs")
        {
            Description = "Sequential CLI runs that measure t_cli before the batch (the median is used).",
            DefaultValueFactory = _ => 3,
        };
        var keep = new Option<string?>("--keep")
        {
            Description = "Generate into this folder and keep it (clusters/ and out/) instead of a temporary folder that is deleted.",
        };
        var environment = new RenderEnvironmentOptions();
        // `--workers` reads better for a benchmark; it IS render's --parallelism, so the batch is configured the same way.
        environment.Parallelism.Aliases.Add("--workers");
        var command = new Command("bench", """
            Measure render time and memory against the Cilium CLI's own time.

            Measure `render` end to end: generate N ready Clusters (distinct names, 10.x endpoints and pod CIDRs),
            render them through the same session, batch renderer and writer as `render` with the given Cilium CLI,
            and print wall time, renders/s, the ideal N*t_cli/W and the ratio to it, and the peak working set.
            t_cli is measured first with sequential runs of the same CLI. For a stand-in CLI with a fixed latency
            use the fake (tests/FakeCilium) with --fake-mode=slow:<ms> behind a wrapper script.

            Exit codes: 0 every Cluster rendered; 1 some failed; 2 usage error or no usable CLI.
            """);
        command.Options.Add(clusters);
        command.Options.Add(calibrationRuns);
        command.Options.Add(keep);
        environment.AddTo(command);
        clusters.Validators.Add(r =>
        {
            var n = r.GetValueOrDefault<int>();
            if (n is < 1 or > MaxClusters)
            {
                r.AddError($"--clusters must be between 1 and {MaxClusters}");
            }
        });
        calibrationRuns.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1)
            {
                r.AddError("--calibration-runs must be at least 1");
            }
        });
        command.SetAction((parseResult, cancellationToken) =>
        {
            var run = new BenchRun(parseResult, environment, parseResult.InvocationConfiguration.Output, parseResult.InvocationConfiguration.Error);
            return run.ExecuteAsync(parseResult.GetValue(clusters), parseResult.GetValue(calibrationRuns), parseResult.GetValue(keep), cancellationToken);
        });
        return command;
    }

    /// <summary>Cluster <paramref name="index"/> (1-based): `bench-NNNNN`, endpoint 10.a.b.c:6443 (10.0.0.0/9) and pod
    /// CIDR 10.d.e.0/24 (10.128.0.0/9), all distinct up to <see cref="MaxClusters"/>. Bare-metal values only: the fake
    /// CLI replays the recorded bare-metal run with these facts substituted.</summary>
    public static string ClusterYaml(int index)
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"bench-{index:D5}");
        var host = string.Create(CultureInfo.InvariantCulture, $"10.{(index >> 16) & 127}.{(index >> 8) & 255}.{index & 255}");
        var pods = string.Create(CultureInfo.InvariantCulture, $"10.{128 + ((index >> 8) & 127)}.{index & 255}.0/24");
        return $"""
            apiVersion: cluster.x-k8s.io/v1beta2
            kind: Cluster
            metadata:
              name: {name}
              namespace: {Namespace}
              labels:
                {AddonKeys.CniLabel}: {AddonKeys.CniLabelValue}
                {AddonKeys.ClusterNameLabel}: {name}
            spec:
              clusterNetwork:
                pods:
                  cidrBlocks: ["{pods}"]
              controlPlaneEndpoint:
                host: {host}
                port: 6443

            """;
    }

    private sealed class BenchRun(ParseResult parseResult, RenderEnvironmentOptions environment, TextWriter stdout, TextWriter stderr)
    {
        public async Task<int> ExecuteAsync(int count, int calibrationRuns, string? keep, CancellationToken cancellationToken)
        {
            var root = keep is null
                ? Path.Combine(Path.GetTempPath(), "capi-cilium-bench-" + Guid.NewGuid().ToString("N"))
                : Path.GetFullPath(keep);
            try
            {
                return await RunInAsync(root, count, calibrationRuns, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                if (keep is null && Directory.Exists(root))
                {
                    Directory.Delete(root, recursive: true);
                }
            }
        }

        private async Task<int> RunInAsync(string root, int count, int calibrationRuns, CancellationToken cancellationToken)
        {
            var clusterDirectory = Path.Combine(root, "clusters");
            var outputDirectory = Path.Combine(root, "out");
            Directory.CreateDirectory(clusterDirectory);
            for (var i = 1; i <= count; i++)
            {
                await File.WriteAllTextAsync(Path.Combine(clusterDirectory, string.Create(CultureInfo.InvariantCulture, $"bench-{i:D5}.yaml")),
                    ClusterYaml(i), new UTF8Encoding(false), cancellationToken).ConfigureAwait(false);
            }

            var total = Stopwatch.StartNew();
            var session = await RenderSession.OpenAsync(parseResult, environment, [clusterDirectory], withCli: true, stderr, cancellationToken).ConfigureAwait(false);
            if (session is null)
            {
                return CliApp.UsageError;
            }

            var open = total.Elapsed;
            var context = session.CreatePlanContext();
            var planned = session.PlanAll(context);
            var ready = planned.Where(r => r.State == ClusterState.Rendered).Select(r => r.Plan!).ToList();
            var plan = total.Elapsed - open;
            if (ready.Count == 0)
            {
                foreach (var problem in planned.SelectMany(r => r.Problems).Take(5))
                {
                    await stderr.WriteLineAsync(RenderSession.Format(problem)).ConfigureAwait(false);
                }

                await stderr.WriteLineAsync("error: no generated Cluster is ready to render").ConfigureAwait(false);
                return CliApp.Failure;
            }

            // t_cli: the CLI alone, one run at a time, through the runner `render` uses (process start included).
            var runner = await RenderEnvironmentOptions.CreateRunnerAsync(session.Settings, stderr, cancellationToken).ConfigureAwait(false);
            var samples = new List<double>();
            for (var i = 0; i < calibrationRuns; i++)
            {
                var stopwatch = Stopwatch.StartNew();
                var probe = await runner.RenderAsync(ready[0], cancellationToken).ConfigureAwait(false);
                samples.Add(stopwatch.Elapsed.TotalSeconds);
                if (probe.Failure is { } failure)
                {
                    await stderr.WriteLineAsync($"error: the calibration run of the Cilium CLI failed: {failure}").ConfigureAwait(false);
                    return CliApp.Failure;
                }
            }

            samples.Sort();
            var tCli = samples[samples.Count / 2];

            // The measured part: `render`'s own path, from the start of the batch to the last file written.
            using var self = Process.GetCurrentProcess();
            var cpuBefore = self.TotalProcessorTime;
            var kernelBefore = self.PrivilegedProcessorTime;
            var batch = Stopwatch.StartNew();
            // As `render` does: each Cluster's files are written as soon as it is finished, then dropped.
            var files = 0;
            var writeTicks = 0L;
            var rendered = await session.RenderAsync(ready, (result, _) =>
            {
                if (result.State == ClusterState.Rendered)
                {
                    var write = Stopwatch.GetTimestamp();
                    Interlocked.Add(ref files, ManifestTree.WriteCluster(outputDirectory, result.Plan!.Cluster, result.Files!).Count);
                    Interlocked.Add(ref writeTicks, Stopwatch.GetElapsedTime(write).Ticks);
                }

                return ValueTask.CompletedTask;
            }, progress: null, cancellationToken).ConfigureAwait(false);
            var wall = batch.Elapsed;
            var workers = session.Settings.Parallelism;
            var ok = rendered.Count(r => r.State == ClusterState.Rendered);
            var failed = rendered.Where(r => r.State != ClusterState.Rendered).ToList();
            var ideal = count * tCli / workers;
            var durations = rendered.Select(r => r.Duration.TotalSeconds).Order().ToList();
            var kinds = rendered.GroupBy(r => r.Kind).ToDictionary(g => g.Key, g => g.Count());
            self.Refresh();
            var peak = self.PeakWorkingSet64;
            var cpu = self.TotalProcessorTime - cpuBefore;
            var kernel = self.PrivilegedProcessorTime - kernelBefore;

            string F(double value, string format = "0.000") => value.ToString(format, CultureInfo.InvariantCulture);
            var stamping = session.Stamping is { } s
                ? $"{s.CliRuns} CLI run(s); {kinds.GetValueOrDefault(RenderKind.Stamped)} stamped ({s.StampedFiles} as finished files), {kinds.GetValueOrDefault(RenderKind.Direct)} direct, {kinds.GetValueOrDefault(RenderKind.Fallback)} fallback"
                : $"off (--no-stamp): {count} CLI run(s)";
            var report = new StringBuilder()
                .AppendLine(CultureInfo.InvariantCulture, $"bench: {count} Cluster(s), {workers} worker(s), {Environment.ProcessorCount} processor(s), cilium {runner.CliPath} ({session.CliVersion.Split('\n')[0].Trim()})")
                .AppendLine(CultureInfo.InvariantCulture, $"t_cli: {F(tCli)} s (median of {samples.Count} sequential CLI run(s): {string.Join(", ", samples.Select(v => F(v)))})")
                .AppendLine(CultureInfo.InvariantCulture, $"stamping: {stamping}")
                .AppendLine(CultureInfo.InvariantCulture, $"rendered: {ok} of {count}, failed: {failed.Count}, files written: {files}")
                .AppendLine(CultureInfo.InvariantCulture, $"wall time: {F(wall.TotalSeconds)} s (of which writing files, summed over workers: {F(TimeSpan.FromTicks(writeTicks).TotalSeconds)} s; before it: open {F(open.TotalSeconds)} s, plan {F(plan.TotalSeconds)} s)")
                .AppendLine(CultureInfo.InvariantCulture, $"per Cluster until finished: median {F(Percentile(durations, 0.5))} s, p95 {F(Percentile(durations, 0.95))} s, max {F(durations[^1])} s")
                .AppendLine(CultureInfo.InvariantCulture, $"renders/s: {F(ok / wall.TotalSeconds, "0.00")}")
                .AppendLine(CultureInfo.InvariantCulture, $"ideal N*t_cli/W: {F(ideal)} s; ratio wall/ideal: {F(wall.TotalSeconds / ideal, "0.00")} (goal without stamping <= 1.20)")
                .AppendLine(CultureInfo.InvariantCulture, $"against N sequential CLI runs (N*t_cli = {F(count * tCli)} s): {F(count * tCli / wall.TotalSeconds, "0.0")}x faster")
                .AppendLine(CultureInfo.InvariantCulture, $"cpu in this process: {F(cpu.TotalSeconds)} s during the batch ({F(kernel.TotalSeconds)} s of it in the kernel: file writes, fsync, process starts), {F(cpu.TotalMilliseconds / count, "0.00")} ms per Cluster (the CLI's processes not included)")
                .AppendLine(CultureInfo.InvariantCulture, $"peak working set: {F(peak / 1048576.0, "0.0")} MiB (this process; the CLI's child processes are not included)");
            await stdout.WriteAsync(report.ToString()).ConfigureAwait(false);
            foreach (var failure in failed.Take(5))
            {
                foreach (var problem in failure.Problems.Where(p => p.Severity == ProblemSeverity.Error))
                {
                    await stderr.WriteLineAsync(RenderSession.Format(problem)).ConfigureAwait(false);
                }
            }

            return failed.Count == 0 ? CliApp.Success : CliApp.Failure;
        }

        private static double Percentile(List<double> sorted, double p) =>
            sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
    }
}
