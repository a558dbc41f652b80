using System.Diagnostics;
using System.Globalization;
using CapiCiliumAddon.Controller.Hosting;
using CapiCiliumAddon.Controller.Tests;
using CapiCiliumAddon.Controller.Tests.Fakes;
using CapiCiliumAddon.Rendering.CiliumCli;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using static CapiCiliumAddon.Benchmarks.Harness;

namespace CapiCiliumAddon.Benchmarks;

/// <summary>
/// `burst`: N new Clusters of one group (a fleet made from one template) appear at once in an API server, and one
/// controller (ControllerHost with the real rendering core and a Cilium CLI; stamping on unless --no-stamp; leader
/// election and the metrics endpoint on, as the Deployment runs it) reconciles them all. The API server is the
/// controller tests' in-memory one in this process (--api-server memory, the default), or the same store served over
/// HTTP by a child process and reached through the real KubernetesClient (--api-server process): then this process
/// holds only the controller. Runs under the GC heap limit the controller's Deployment implies (it starts itself again
/// with DOTNET_GCHeapHardLimit when needed). Measures CLI runs, renders by kind, reconciles and API requests per
/// Cluster, allocation and CPU per Cluster, Clusters per second, the peak working set (and the API server process's);
/// then a restart over the result must render and write nothing. Goals: at most 3 CLI runs for the burst; peak RSS at
/// most 300 MB.
/// </summary>
internal static class ControllerBurst
{
    private const string ChildMarker = "CAPI_CILIUM_BURST_CHILD";

    public static async Task<int> RunAsync(string[] args)
    {
        var clusters = 1000;
        var workers = 2;
        string? cilium = null;
        var stamp = true;
        var heapLimit = true;
        var outOfProcess = false;
        var helmOwnership = true;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--clusters": clusters = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--workers": workers = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--cilium": cilium = args[++i]; break;
                case "--no-stamp": stamp = false; break;
                case "--no-heap-limit": heapLimit = false; break;
                case "--no-helm-ownership": helmOwnership = false; break;
                case "--api-server" when i + 1 < args.Length && args[i + 1] is "memory" or "process": outOfProcess = args[++i] == "process"; break;
                default:
                    await Console.Error.WriteLineAsync($"burst: unknown argument {args[i]} (--clusters N --workers W --cilium PATH [--no-stamp] [--no-heap-limit] [--no-helm-ownership] [--api-server memory|process])");
                    return 2;
            }
        }

        cilium ??= Environment.GetEnvironmentVariable(CiliumCliLocator.EnvironmentVariable);
        if (cilium is null)
        {
            await Console.Error.WriteLineAsync("burst: --cilium PATH (or $CILIUM_CLI) is required");
            return 2;
        }

        var (heap, memoryLimit, deploymentEnvironment) = DeploymentHeapLimit();
        var actual = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (heapLimit && actual != heap)
        {
            if (Environment.GetEnvironmentVariable(ChildMarker) is not null)
            {
                await Console.Error.WriteLineAsync($"burst: started with DOTNET_GCHeapHardLimit=0x{heap:X} but the GC reports {actual} bytes available");
                return 2;
            }

            var environment = new Dictionary<string, string>(deploymentEnvironment, StringComparer.Ordinal)
            {
                ["DOTNET_GCHeapHardLimit"] = $"0x{heap:X}",
                [ChildMarker] = "1",
            };
            return await RerunWithAsync(environment);
        }

        using var work = new TempFolder();
        var (cli, installRuns) = CountingCli(cilium, work.Path);
        var runner = new CiliumCliRunner(new CiliumCliOptions(cli));
        var cliVersion = await runner.GetVersionAsync(CancellationToken.None);
        Console.WriteLine($"burst: {clusters} new Cluster(s) of one group, {workers} worker(s), {Environment.ProcessorCount} processor(s), cilium {cilium} ({cliVersion}), stamping {(stamp ? "on" : "off")}, Helm ownership metadata {(helmOwnership ? "on" : "off")}");
        Console.WriteLine(heapLimit
            ? $"GC heap limit: {Mib(heap)} MiB, as the Deployment implies (memory limit {Mib(memoryLimit)} MiB; {string.Join(", ", deploymentEnvironment.Select(kv => $"{kv.Key}={kv.Value}"))}); the GC reports {Mib(actual)} MiB"
            : $"GC heap limit: none (--no-heap-limit); the GC reports {Mib(actual)} MiB available");

        await using var api = outOfProcess
            ? await BurstApi.StartProcessAsync(clusters, work.Path, withoutEnvironment: ["DOTNET_GCHeapHardLimit", ChildMarker])
            : BurstApi.InMemory(clusters);
        Console.WriteLine(api.Description);
        var (clusterType, crsType) = await api.DiscoverAsync();
        // As the Deployment runs it: leader election and the metrics endpoint on, the types discovery chose.
        var options = new ControllerOptions
        {
            Workers = workers,
            LabelSelector = "cni=cilium",
            Identity = "bench-0",
            ClusterType = clusterType,
            ClusterResourceSetType = crsType,
            LeaderElect = true,
            LeaderElectionNamespace = "capi-cilium-system",
            MetricsAddress = "127.0.0.1:0",
        };

        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        var baselineWorkingSet = self.WorkingSet64;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var cpuBefore = self.TotalProcessorTime;
        var gen2Before = GC.CollectionCount(2);
        var serverCpuBefore = (await api.StatsAsync()).Cpu;
        using var sampler = new PeakSampler(self);
        var renderer = new CountingRenderer(ControllerRestart.Renderer(runner, cliVersion, stamp, helmOwnership));
        var burst = Stopwatch.StartNew();
        ControllerMetricTotals metrics;
        using (var host = ControllerHost.Build(options, api.Client, renderer, NullLoggerFactory.Instance))
        {
            metrics = new ControllerMetricTotals(host.Services.GetRequiredService<ControllerService>().Metrics);
            await host.StartAsync();
            await WaitAsync(() => metrics.Reconciles("applied") >= clusters, TimeSpan.FromHours(2), () => $"{metrics.Reconciles("applied")} applied");
            burst.Stop();
            // Events the watch delivers after the last apply (our own label patches) still count.
            await Task.Delay(500);
            await host.StopAsync();
        }

        using var burstMetrics = metrics;
        sampler.Stop();
        self.Refresh();
        var cpu = self.TotalProcessorTime - cpuBefore;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var gen2 = GC.CollectionCount(2) - gen2Before;
        var calls = await api.StatsAsync();
        var serverCpu = calls.Cpu - serverCpuBefore;
        var reconciles = new[] { "applied", "current", "waiting", "invalid", "deleted", "ignored", "conflict", "render-failed", "error" }
            .ToDictionary(r => r, metrics.Reconciles);
        var runs = installRuns();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        var heapAfter = GC.GetTotalMemory(forceFullCollection: true);

        double PerCluster(double value) => value / clusters;
        var inThisProcess = outOfProcess ? "the API server's process not included" : "the in-memory API server included";
        Console.WriteLine($"time: {F(burst.Elapsed.TotalSeconds)} s to every Cluster applied: {F(clusters / burst.Elapsed.TotalSeconds, "0.0")} Clusters/s");
        Console.WriteLine($"cilium install runs: {runs} (goal <= 3); renders by kind: direct {metrics.RendersByKind("direct")}, stamped {metrics.RendersByKind("stamped")}, fallback {metrics.RendersByKind("fallback")}");
        Console.WriteLine($"reconciles: {string.Join(", ", reconciles.Where(r => r.Value > 0).Select(r => $"{r.Key} {r.Value}"))} ({F(PerCluster(reconciles.Values.Sum()), "0.00")} per Cluster)");
        Console.WriteLine($"API requests: {calls.RequestCount} ({F(PerCluster(calls.RequestCount), "0.00")} per Cluster): {calls.Describe()}");
        Console.WriteLine($"cpu in this process: {F(cpu.TotalSeconds)} s, {F(cpu.TotalMilliseconds / clusters, "0.00")} ms per Cluster ({inThisProcess}; the CLI's processes not)");
        Console.WriteLine($"allocated: {Mib(allocated)} MiB, {F(PerCluster(allocated) / 1048576.0, "0.00")} MiB per Cluster ({inThisProcess}); gen2 collections: {gen2}");
        Console.WriteLine($"working set: before {Mib(baselineWorkingSet)} MiB, peak {Mib(sampler.Peak)} MiB sampled every 10 ms, process peak {Mib(self.PeakWorkingSet64)} MiB (goal <= 300 MB = 286.1 MiB)");
        Console.WriteLine($"at the working set's peak: {sampler.PeakComposition}");
        Console.WriteLine($"GC: peak managed heap {Mib(sampler.PeakManagedHeap)} MiB and peak committed {Mib(sampler.PeakCommitted)} MiB, sampled every 10 ms; {(heapLimit ? $"limit {Mib(heap)} MiB" : "no limit")}");
        Console.WriteLine(outOfProcess
            ? $"managed heap after the burst: {Mib(heapAfter)} MiB (this process once the controller stopped: the renderer's stamp templates, the client, the runtime's own)"
            : $"managed heap after the burst: {Mib(heapAfter)} MiB (mostly the in-memory API server's store: {clusters} Clusters, their ConfigMaps and CRSs)");
        if (outOfProcess)
        {
            Console.WriteLine($"API server process: peak working set {Mib(calls.PeakWorkingSet)} MiB, managed heap {Mib(calls.ManagedHeap)} MiB now, cpu {F(serverCpu.TotalSeconds)} s ({F(serverCpu.TotalMilliseconds / clusters, "0.00")} ms per Cluster)");
        }

        // The restart: a new controller (in its own client, as a new process would have) renders and writes nothing.
        await api.ClearCallsAsync();
        var runsBefore = installRuns();
        var second = new CountingRenderer(ControllerRestart.Renderer(runner, cliVersion, stamp, helmOwnership));
        var restart = Stopwatch.StartNew();
        using (var restartClient = api.NewClient())
        using (var restarted = ControllerHost.Build(options, restartClient.Client, second, NullLoggerFactory.Instance))
        {
            using var totals = new ControllerMetricTotals(restarted.Services.GetRequiredService<ControllerService>().Metrics);
            await restarted.StartAsync();
            await WaitAsync(() => totals.Reconciles("current") >= clusters, TimeSpan.FromMinutes(30), () => $"{totals.Reconciles("current")} current");
            await restarted.StopAsync();
        }

        var writes = (await api.StatsAsync()).Writes;
        Console.WriteLine($"restart over the burst: renders {second.Renders}, cilium install runs {installRuns() - runsBefore}, writes {writes} (goal 0, 0, 0; the Lease's renewals not counted), {F(restart.Elapsed.TotalSeconds)} s");
        return runs <= 3 || !stamp ? (second.Renders == 0 && writes == 0 ? 0 : 1) : 1;
    }

    private sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("capi-cilium-burst-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
