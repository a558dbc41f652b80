using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace CapiCiliumAddon.Benchmarks;

/// <summary>What the console measurements share: inputs, waiting, counting CLI runs, the heap limit, memory.</summary>
internal static class Harness
{
    public static async Task WaitAsync(Func<bool> condition, TimeSpan timeout, Func<string> state)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"gave up after {timeout}: {state()}");
            }

            await Task.Delay(5);
        }
    }

    /// <summary>
    /// Cluster <paramref name="index"/> (1-based) of a fleet made from one template: `bench-NNNNN` in namespace `bench`,
    /// distinct endpoint 10.a.b.c:6443 and pod CIDR 10.d.e.0/24, without the selector label (the controller adds it).
    /// </summary>
    public static JsonObject FleetCluster(int index)
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"bench-{index:D5}");
        var host = string.Create(CultureInfo.InvariantCulture, $"10.{(index >> 16) & 127}.{(index >> 8) & 255}.{index & 255}");
        var pods = string.Create(CultureInfo.InvariantCulture, $"10.{128 + ((index >> 8) & 127)}.{index & 255}.0/24");
        var cluster = BenchInputs.Cluster("bench", name, host, pods);
        cluster["metadata"]!["labels"]!.AsObject().Remove("addon.capi-cilium.io/cluster-name");
        return cluster;
    }

    /// <summary>
    /// A wrapper script around <paramref name="cilium"/> that appends one line per `install` to a file before running
    /// it, so CLI runs are counted the same way for the real CLI and the fake. Returns the script and the count reader.
    /// </summary>
    public static (string Path, Func<int> InstallRuns) CountingCli(string cilium, string directory)
    {
        Directory.CreateDirectory(directory);
        var counter = System.IO.Path.Combine(directory, "installs");
        File.WriteAllText(counter, "");
        var script = System.IO.Path.Combine(directory, "cilium");
        File.WriteAllText(script, $"#!/bin/sh\n# Benchmark-only: counts `cilium install` runs, then runs the CLI.\n" +
            $"if [ \"$1\" = install ]; then echo x >> {Quote(counter)}; fi\nexec {Quote(System.IO.Path.GetFullPath(cilium))} \"$@\"\n");
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("the counting wrapper is a /bin/sh script");
        }

        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return (script, () => File.ReadAllLines(counter).Length);
    }

    private static string Quote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>
    /// The GC heap limit the controller's Deployment implies (manifests/deployment.yaml): its DOTNET_GCHeapHardLimit
    /// or DOTNET_GCHeapHardLimitPercent when it sets one, else what .NET takes in a container with a memory limit: the
    /// larger of 20 MB and 75% of the limit. Also returns the limit itself and the DOTNET_ variables it sets.
    /// </summary>
    public static (long HeapLimit, long MemoryLimit, IReadOnlyDictionary<string, string> Environment) DeploymentHeapLimit()
    {
        var path = System.IO.Path.Combine(BenchInputs.RepositoryRoot, "manifests", "deployment.yaml");
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(path)));
        var container = (YamlMappingNode)((YamlSequenceNode)Path(stream.Documents[0].RootNode, "spec", "template", "spec", "containers")).Children[0];
        var memory = ((YamlScalarNode)Path(container, "resources", "limits", "memory")).Value!;
        var limit = ParseQuantity(memory);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        if (container.Children.TryGetValue(new YamlScalarNode("env"), out var env))
        {
            foreach (var entry in ((YamlSequenceNode)env).Children.OfType<YamlMappingNode>())
            {
                if (entry.Children.TryGetValue(new YamlScalarNode("value"), out var value)
                    && ((YamlScalarNode)entry.Children[new YamlScalarNode("name")]).Value is { } name && name.StartsWith("DOTNET_", StringComparison.Ordinal))
                {
                    environment[name] = ((YamlScalarNode)value).Value ?? "";
                }
            }
        }

        long heap;
        if (environment.TryGetValue("DOTNET_GCHeapHardLimit", out var hard))
        {
            heap = long.Parse(hard.Replace("0x", "", StringComparison.OrdinalIgnoreCase), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        }
        else
        {
            var percent = environment.TryGetValue("DOTNET_GCHeapHardLimitPercent", out var p)
                ? long.Parse(p.Replace("0x", "", StringComparison.OrdinalIgnoreCase), NumberStyles.HexNumber, CultureInfo.InvariantCulture)
                : 75;
            heap = Math.Max(20L * 1024 * 1024, limit * percent / 100);
        }

        return (heap, limit, environment);
    }

    private static YamlNode Path(YamlNode node, params string[] keys)
    {
        foreach (var key in keys)
        {
            node = ((YamlMappingNode)node).Children[new YamlScalarNode(key)];
        }

        return node;
    }

    /// <summary>A Kubernetes memory quantity (640Mi, 1Gi, 500M, plain bytes).</summary>
    private static long ParseQuantity(string text)
    {
        (string Suffix, long Factor)[] units = [("Ki", 1L << 10), ("Mi", 1L << 20), ("Gi", 1L << 30), ("K", 1000), ("M", 1000_000), ("G", 1000_000_000)];
        foreach (var (suffix, factor) in units)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal))
            {
                return long.Parse(text[..^suffix.Length], CultureInfo.InvariantCulture) * factor;
            }
        }

        return long.Parse(text, CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Runs this measurement again in a child process with <paramref name="environment"/> set (a GC heap limit is read
    /// at start-up only), passing its output through; returns the child's exit code.
    /// </summary>
    public static async Task<int> RerunWithAsync(IReadOnlyDictionary<string, string> environment)
    {
        var start = SelfStartInfo(Environment.GetCommandLineArgs().Skip(1));
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var child = Process.Start(start)!;
        await child.WaitForExitAsync();
        return child.ExitCode;
    }

    /// <summary>How to start this benchmark program again with <paramref name="arguments"/> (e.g. another mode of it).</summary>
    public static ProcessStartInfo SelfStartInfo(params IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false };
        // Under `dotnet X.dll` the assembly comes first; an apphost is the program itself.
        if (Environment.ProcessPath!.EndsWith("dotnet", StringComparison.Ordinal))
        {
            start.ArgumentList.Add(Environment.GetCommandLineArgs()[0]);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    public static string F(double value, string format = "0.000") => value.ToString(format, CultureInfo.InvariantCulture);

    public static string Mib(long bytes) => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture);
}

/// <summary>The highest working set, managed heap and GC-committed memory seen, sampled on a thread of its own.</summary>
internal sealed class PeakSampler : IDisposable
{
    private readonly Process process;
    private readonly Thread thread;
    private volatile bool stop;
    private long peak;
    private long peakManagedHeap;
    private long peakCommitted;
    private string peakComposition = "";

    public PeakSampler(Process process)
    {
        this.process = process;
        thread = new Thread(Sample) { IsBackground = true, Name = "working-set sampler" };
        thread.Start();
    }

    public long Peak => Interlocked.Read(ref peak);

    /// <summary>Bytes of live and not yet collected objects (GC.GetTotalMemory without a collection).</summary>
    public long PeakManagedHeap => Interlocked.Read(ref peakManagedHeap);

    /// <summary>Memory the GC has committed for its heap, free space within it included.</summary>
    public long PeakCommitted => Interlocked.Read(ref peakCommitted);

    /// <summary>
    /// What the resident memory was made of at the working set's peak, from /proc/self/status (Linux): anonymous
    /// memory (the GC heap, the runtime's and native allocations, stacks) and file-backed pages (mapped assemblies
    /// and native libraries). Empty elsewhere.
    /// </summary>
    public string PeakComposition => Volatile.Read(ref peakComposition);

    public void Stop()
    {
        if (stop)
        {
            return;
        }

        stop = true;
        thread.Join();
    }

    public void Dispose() => Stop();

    private void Sample()
    {
        while (!stop)
        {
            process.Refresh();
            if (Raise(ref peak, process.WorkingSet64) && OperatingSystem.IsLinux())
            {
                Volatile.Write(ref peakComposition, Composition());
            }

            Raise(ref peakManagedHeap, GC.GetTotalMemory(forceFullCollection: false));
            Raise(ref peakCommitted, GC.GetGCMemoryInfo().TotalCommittedBytes);
            Thread.Sleep(10);
        }
    }

    private static bool Raise(ref long peak, long now)
    {
        if (now <= Interlocked.Read(ref peak))
        {
            return false;
        }

        Interlocked.Exchange(ref peak, now);
        return true;
    }

    private static string Composition()
    {
        var fields = File.ReadLines("/proc/self/status")
            .Select(line => line.Split(':', 2))
            .Where(kv => kv.Length == 2 && kv[0] is "RssAnon" or "RssFile" or "RssShmem")
            .ToDictionary(kv => kv[0], kv => long.Parse(kv[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024);
        return string.Join(", ", fields.Select(kv => $"{kv.Key} {Harness.Mib(kv.Value)} MiB"));
    }
}
