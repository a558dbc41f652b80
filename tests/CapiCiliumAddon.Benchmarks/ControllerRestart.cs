using System.Diagnostics;
using static CapiCiliumAddon.Benchmarks.Harness;
using System.Globalization;
using System.Text.Json.Nodes;
using CapiCiliumAddon.Controller;
using CapiCiliumAddon.Controller.Hosting;
using CapiCiliumAddon.Controller.Tests;
using CapiCiliumAddon.Controller.Tests.Fakes;
using CapiCiliumAddon.Kubernetes;
using CapiCiliumAddon.Rendering.CiliumCli;
using CapiCiliumAddon.Rendering.Pipeline;
using CapiCiliumAddon.Rendering.Pipeline.Stamping;
using CapiCiliumAddon.Rendering.Planning;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace CapiCiliumAddon.Benchmarks;

/// <summary>
/// `restart`: the controller (ControllerHost with the real rendering core and a Cilium CLI) over N Clusters in the
/// in-memory fake API server of the controller tests. Phase 1 starts a controller that renders and applies every
/// Cluster; phase 2 starts a NEW controller (fresh host, renderer and caches) over the same, now current, state and
/// measures renders, writes, time until every Cluster was looked at, and memory. Goals: 0 renders, 0 writes,
/// peak memory at most 300 MB with 2 workers.
/// </summary>
internal static class ControllerRestart
{
    public static async Task<int> RunAsync(string[] args)
    {
        var clusters = 1000;
        var workers = 2;
        string? cilium = null;
        string? save = null;
        string? load = null;
        var stamp = true;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--clusters": clusters = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--workers": workers = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--cilium": cilium = args[++i]; break;
                case "--save": save = args[++i]; break;
                case "--load": load = args[++i]; break;
                case "--no-stamp": stamp = false; break;
                default:
                    await Console.Error.WriteLineAsync($"restart: unknown argument {args[i]} (--clusters N --workers W --cilium PATH [--no-stamp] [--save FILE | --load FILE])");
                    return 2;
            }
        }

        cilium ??= Environment.GetEnvironmentVariable(CiliumCliLocator.EnvironmentVariable);
        if (cilium is null)
        {
            await Console.Error.WriteLineAsync("restart: --cilium PATH (or $CILIUM_CLI) is required; phase 1 renders every Cluster once");
            return 2;
        }

        var fake = new FakeKubernetesClient();
        var runner = new CiliumCliRunner(new CiliumCliOptions(cilium));
        var cliVersion = await runner.GetVersionAsync(CancellationToken.None);
        var options = new ControllerOptions { Workers = workers, LabelSelector = "cni=cilium", Identity = "bench-0" };
        Console.WriteLine($"restart: {clusters} Cluster(s), {workers} worker(s), {Environment.ProcessorCount} processor(s), cilium {cilium}");
        if (load is not null)
        {
            // A fresh process with only the stored state: the restart's memory is not mixed with phase 1's.
            var loaded = 0;
            foreach (var line in File.ReadLines(load))
            {
                var entry = JsonNode.Parse(line)!.AsObject();
                var type = StoredTypes.Single(t => t.Kind == entry["kind"]!.GetValue<string>());
                fake.Seed(type, entry);
                loaded++;
            }

            clusters = fake.All(ResourceType.Cluster).Count;
            Console.WriteLine($"loaded {loaded} object(s) from {load}: {clusters} Cluster(s); phase 1 not run in this process");
        }
        else
        {
            for (var i = 1; i <= clusters; i++)
            {
                fake.Seed(ResourceType.Cluster, Harness.FleetCluster(i));
            }

            // Phase 1: a first controller renders and applies every Cluster (stamping, as by default, unless --no-stamp).
            var first = new CountingRenderer(Renderer(runner, cliVersion, stamp));
            var phase1 = Stopwatch.StartNew();
            using (var host = ControllerHost.Build(options, fake, first, NullLoggerFactory.Instance))
            {
                using var totals = new ControllerMetricTotals(host.Services.GetRequiredService<ControllerService>().Metrics);
                await host.StartAsync();
                await Harness.WaitAsync(() => totals.Reconciles("applied") >= clusters, TimeSpan.FromHours(1), () => $"{totals.Reconciles("applied")} applied");
                await host.StopAsync();
            }

            var crs = fake.All(ResourceType.ClusterResourceSet).Count;
            Console.WriteLine($"phase 1 (first start, every Cluster new): {first.Renders} render(s), {crs} ClusterResourceSet(s), {F(phase1.Elapsed.TotalSeconds)} s");
            if (first.Renders != clusters || crs != clusters)
            {
                await Console.Error.WriteLineAsync("restart: phase 1 did not render every Cluster exactly once; not measuring the restart");
                return 1;
            }

            if (save is not null)
            {
                using var writer = new StreamWriter(save);
                foreach (var type in StoredTypes)
                {
                    foreach (var obj in fake.All(type))
                    {
                        obj["kind"] ??= type.Kind;
                        obj["apiVersion"] ??= type.ApiVersion;
                        await writer.WriteLineAsync(obj.ToJsonString());
                    }
                }

                Console.WriteLine($"saved the state after phase 1 to {save}");
            }
        }

        // Phase 2: the restart. Everything phase 1 left (its host, caches) is garbage; the fake API's store is not.
        fake.ClearCalls();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        var baselineWorkingSet = self.WorkingSet64;
        var baselineHeap = GC.GetTotalMemory(forceFullCollection: false);
        using var sampler = new PeakSampler(self);
        var second = new CountingRenderer(Renderer(runner, cliVersion, stamp));
        var phase2 = Stopwatch.StartNew();
        TimeSpan synced, ready;
        long current, reconciles;
        using (var host = ControllerHost.Build(options, fake, second, NullLoggerFactory.Instance))
        {
            var service = host.Services.GetRequiredService<ControllerService>();
            using var totals = new ControllerMetricTotals(service.Metrics);
            await host.StartAsync();
            await Harness.WaitAsync(() => service.Informer.HasSynced, TimeSpan.FromMinutes(10), () => "informer not synced");
            synced = phase2.Elapsed;
            await Harness.WaitAsync(() => totals.Reconciles("current") >= clusters, TimeSpan.FromMinutes(30), () => $"{totals.Reconciles("current")} current");
            ready = phase2.Elapsed;
            current = totals.Reconciles("current");
            reconciles = totals.AllReconciles;
            await host.StopAsync();
        }

        sampler.Stop();
        var writes = fake.Writes;
        var byKind = string.Join(", ", writes.GroupBy(w => $"{w.Verb} {w.Type.Kind}").Select(g => $"{g.Key}: {g.Count()}"));
        var reads = fake.Calls.Count - writes.Count;
        self.Refresh();
        Console.WriteLine($"phase 2 (restart, every Cluster current): renders {second.Renders} (goal 0), writes {writes.Count} (goal 0){(writes.Count > 0 ? $" [{byKind}]" : "")}, API reads {reads}");
        Console.WriteLine($"  reconciles: {reconciles} ({current} current)");
        Console.WriteLine($"  time to ready: {F(ready.TotalSeconds)} s from start to every Cluster reconciled as current (cache synced after {F(synced.TotalSeconds)} s)");
        Console.WriteLine($"  working set: peak {Mib(sampler.Peak)} MiB during the restart (sampled every 10 ms; goal <= 300 MB), {Mib(baselineWorkingSet)} MiB before it");
        Console.WriteLine($"  managed heap before the restart: {Mib(baselineHeap)} MiB (mostly the fake API server's store: {clusters} Clusters, ConfigMaps of ~60 KB, CRSs)");
        Console.WriteLine($"  process peak working set over both phases: {Mib(self.PeakWorkingSet64)} MiB (phase 1 included)");
        return second.Renders == 0 && writes.Count == 0 ? 0 : 1;
    }

    /// <summary>The rendering core as `capi-cilium controller` wires it.</summary>
    /// <param name="helmOwnership">False renders the bare chart output, without Helm's ownership metadata (--no-helm-ownership).</param>
    internal static CoreClusterAddonRenderer Renderer(CiliumCliRunner runner, string cliVersion, bool stamp, bool helmOwnership = true)
    {
        var pipeline = new AddonRenderPipeline(runner);
        return new CoreClusterAddonRenderer(
            new RenderPlanner(BenchInputs.PlanContext(cliVersion) with { HelmOwnership = helmOwnership }),
            pipeline,
            stamp ? new StampTemplateCache(runner, pipeline) : null);
    }

    private static readonly ResourceType[] StoredTypes = [ResourceType.Cluster, ResourceType.ConfigMap, ResourceType.Secret, ResourceType.ClusterResourceSet];

}
