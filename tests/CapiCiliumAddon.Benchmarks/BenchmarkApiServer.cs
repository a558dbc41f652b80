using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using CapiCiliumAddon.Controller.Tests.Fakes;
using CapiCiliumAddon.Kubernetes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using static CapiCiliumAddon.Benchmarks.Harness;

namespace CapiCiliumAddon.Benchmarks;

/// <summary>
/// What an API server counted: requests by "verb Kind", writes other than the leader-election Lease's (a controller
/// renews its Lease whatever it reconciles), and its process's memory.
/// </summary>
internal sealed record ApiServerStats(IReadOnlyDictionary<string, int> Requests, int Writes, long PeakWorkingSet, long ManagedHeap, TimeSpan Cpu)
{
    public int RequestCount => Requests.Values.Sum();

    public static ApiServerStats Of(FakeKubernetesClient store, long peakWorkingSet, long managedHeap, TimeSpan cpu) => new(
        store.Calls.GroupBy(c => $"{c.Verb} {c.Type.Kind}".TrimEnd()).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
        store.Writes.Count(c => c.Type.Kind != ResourceType.Lease.Kind),
        peakWorkingSet,
        managedHeap,
        cpu);

    public JsonObject ToJson() => new()
    {
        ["requests"] = new JsonObject([.. Requests.Select(r => KeyValuePair.Create(r.Key, (JsonNode?)r.Value))]),
        ["writes"] = Writes,
        ["peakWorkingSet"] = PeakWorkingSet,
        ["managedHeap"] = ManagedHeap,
        ["cpuSeconds"] = Cpu.TotalSeconds,
    };

    public static ApiServerStats FromJson(JsonObject json) => new(
        json["requests"]!.AsObject().ToDictionary(r => r.Key, r => r.Value!.GetValue<int>(), StringComparer.Ordinal),
        json["writes"]!.GetValue<int>(),
        json["peakWorkingSet"]!.GetValue<long>(),
        json["managedHeap"]!.GetValue<long>(),
        TimeSpan.FromSeconds(json["cpuSeconds"]!.GetValue<double>()));

    public string Describe() => string.Join(", ", Requests.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => $"{r.Key} {r.Value}"));
}

/// <summary>
/// `apiserver --port P --clusters N`: the controller tests' in-memory API server (FakeKubernetesClient) served over
/// HTTP on 127.0.0.1 (FakeKubernetesHttpServer), seeded with the burst's N new Clusters, in a process of its own so
/// that a controller measured against it holds only its own memory. Prints "listening on URL" once it serves, then runs
/// until its standard input closes (its parent is gone) or it gets SIGINT/SIGTERM. Besides the Kubernetes API it serves
/// GET /bench/stats (requests by verb and kind, writes, its peak working set, managed heap and CPU time) and POST
/// /bench/clear-calls, for the benchmark's counts.
/// </summary>
internal static class BenchmarkApiServer
{
    public const string ListeningPrefix = "listening on ";

    public static async Task<int> RunAsync(string[] args)
    {
        var port = 0;
        var clusters = 0;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--port": port = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--clusters": clusters = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                default:
                    await Console.Error.WriteLineAsync($"apiserver: unknown argument {args[i]} (--port P, 0 for any free port; --clusters N)");
                    return 2;
            }
        }

        var store = new FakeKubernetesClient();
        for (var i = 1; i <= clusters; i++)
        {
            store.Seed(ResourceType.Cluster, FleetCluster(i));
        }

        store.ClearCalls();
        using var self = Process.GetCurrentProcess();
        await using var server = await FakeKubernetesHttpServer.StartAsync(store, new FakeKubernetesHttpServerOptions
        {
            Port = port,
            MapEndpoints = endpoints =>
            {
                endpoints.MapGet("/bench/stats", () =>
                {
                    self.Refresh();
                    return Results.Text(ApiServerStats.Of(store, self.PeakWorkingSet64, GC.GetTotalMemory(forceFullCollection: false), self.TotalProcessorTime).ToJson().ToJsonString(), "application/json");
                });
                endpoints.MapPost("/bench/clear-calls", () =>
                {
                    store.ClearCalls();
                    return Results.NoContent();
                });
            },
        });
        Console.WriteLine($"{ListeningPrefix}{server.Url} ({clusters} Cluster(s) seeded)");
        Console.Out.Flush();

        using var stop = new CancellationTokenSource();
        using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        var stdinClosed = Task.Run(async () =>
        {
            await using var input = Console.OpenStandardInput();
            var buffer = new byte[256];
            while (await input.ReadAsync(buffer) > 0)
            {
            }
        });
        await Task.WhenAny(stdinClosed, Task.Delay(Timeout.Infinite, stop.Token).ContinueWith(_ => { }, TaskScheduler.Default));
        return 0;
    }
}

/// <summary>
/// A <see cref="BenchmarkApiServer"/> in a child process of this one, started with the burst's N Clusters and stopped
/// (killed if it does not exit at once) on dispose; it also exits by itself when this process ends, since its standard
/// input is a pipe from here.
/// </summary>
internal sealed class ApiServerProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly HttpClient http;

    private ApiServerProcess(Process process, Uri url)
    {
        this.process = process;
        Url = url;
        http = new HttpClient { BaseAddress = url };
    }

    public Uri Url { get; }

    public int ProcessId => process.Id;

    /// <param name="withoutEnvironment">Variables of this process the server must not inherit (e.g. this process's GC heap limit).</param>
    public static async Task<ApiServerProcess> StartAsync(int clusters, IEnumerable<string> withoutEnvironment)
    {
        var start = SelfStartInfo("apiserver", "--port", "0", "--clusters", clusters.ToString(CultureInfo.InvariantCulture));
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        foreach (var name in withoutEnvironment)
        {
            start.Environment.Remove(name);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the API server process");
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line.StartsWith(BenchmarkApiServer.ListeningPrefix, StringComparison.Ordinal))
                {
                    // Drain whatever else it prints, so it never blocks on a full pipe.
                    _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
                    return new ApiServerProcess(process, new Uri(line[BenchmarkApiServer.ListeningPrefix.Length..].Split(' ')[0]));
                }
            }

            throw new InvalidOperationException($"the API server process exited without serving (exit code {(process.WaitForExit(5000) ? process.ExitCode : -1)})");
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    public async Task<ApiServerStats> StatsAsync() =>
        ApiServerStats.FromJson(JsonNode.Parse(await http.GetStringAsync("bench/stats"))!.AsObject());

    public async Task ClearCallsAsync() => (await http.PostAsync("bench/clear-calls", null)).EnsureSuccessStatusCode();

    public async ValueTask DisposeAsync()
    {
        http.Dispose();
        try
        {
            process.StandardInput.Close();
            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(exit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        finally
        {
            process.Dispose();
        }
    }
}
