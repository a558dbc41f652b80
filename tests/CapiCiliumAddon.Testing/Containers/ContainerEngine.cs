using System.Diagnostics;

namespace CapiCiliumAddon.Testing.Containers;

/// <summary>The output of a finished process.</summary>
public sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError)
{
    public string Describe(string what) => $"{what} exited {ExitCode}:\n{StandardError}\n{StandardOutput}".TrimEnd();
}

/// <summary>
/// podman or docker, as hack/image/build picks it: $CONTAINER_ENGINE, else whichever answers `info`, podman first.
/// Commands are argv lists; the environment (CONTAINERS_CONF among it) is the test process's.
/// </summary>
public sealed class ContainerEngine
{
    public const string EngineVariable = "CONTAINER_ENGINE";

    private ContainerEngine(string name) => Name = name;

    public string Name { get; }

    /// <summary>A working engine, or null with the reason.</summary>
    public static async Task<(ContainerEngine? Engine, string Reason)> FindAsync()
    {
        var wanted = Environment.GetEnvironmentVariable(EngineVariable);
        var candidates = string.IsNullOrEmpty(wanted) ? ["podman", "docker"] : new[] { wanted };
        var reasons = new List<string>();
        foreach (var candidate in candidates)
        {
            try
            {
                var info = await RunAsync(candidate, ["info"], TimeSpan.FromSeconds(60));
                if (info.ExitCode == 0)
                {
                    return (new ContainerEngine(candidate), "");
                }

                reasons.Add($"'{candidate} info' exited {info.ExitCode}: {info.StandardError.Trim().Split('\n').LastOrDefault()}");
            }
            catch (System.ComponentModel.Win32Exception)
            {
                reasons.Add($"{candidate} is not installed");
            }
        }

        return (null, string.Join("; ", reasons));
    }

    public Task<ProcessResult> RunAsync(IReadOnlyList<string> arguments, TimeSpan? timeout = null) =>
        RunAsync(Name, arguments, timeout ?? TimeSpan.FromMinutes(2));

    /// <summary>Runs <paramref name="fileName"/> with <paramref name="arguments"/>; kills it (and its children) past the timeout.</summary>
    public static async Task<ProcessResult> RunAsync(string fileName, IReadOnlyList<string> arguments, TimeSpan timeout, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} did not finish within {timeout.TotalSeconds:0} s");
        }

        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }
}
