using System.Diagnostics;
using NUnit.Framework;

namespace CapiCiliumAddon.Testing;

/// <summary>
/// Runs the real Cilium CLI the way the opt-in tests need it: argv only, an environment holding nothing but PATH, a
/// HOME of the test's own and the kubeconfig given, so no cluster variable or cached login of the machine leaks in.
/// </summary>
public static class RealCiliumCli
{
    public static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(
        string cli, string kubeconfig, string home, TimeSpan timeout, params IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(cli)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = home,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Clear();
        start.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";
        start.Environment["HOME"] = Directory.CreateDirectory(home).FullName;
        start.Environment["KUBECONFIG"] = kubeconfig;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new AssertionException($"cilium {string.Join(' ', start.ArgumentList)} did not finish within {timeout}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
