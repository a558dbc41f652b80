using System.Runtime.Versioning;
using CapiCiliumAddon.Rendering.CiliumCli;
using CliWrap;

namespace CapiCiliumAddon.Rendering.Tests.CiliumCli;

/// <summary>The tests drive real Linux binaries (/bin/sh, /usr/bin/env) and read /proc to prove killed processes are gone.</summary>
[SupportedOSPlatform("linux")]
internal static class BoundedCommandSupport
{
    /// <summary>
    /// Far above what any passing test needs, far below what a run that failed to kill or to stop waiting would take
    /// (the scripts sleep 300 s), so a regression fails instead of hanging the suite.
    /// </summary>
    public static readonly TimeSpan GenerousBound = TimeSpan.FromSeconds(20);

    public static readonly CommandLimits DefaultLimits = new(TimeSpan.FromMinutes(2), 32 * 1024 * 1024);

    public static Command Shell(string script, params string[] positionalArguments) =>
        Cli.Wrap("/bin/sh").WithArguments(["-c", script, "sh", .. positionalArguments]);

    public static Task<CommandOutput> RunBounded(Command command, CommandLimits? limits = null, CancellationToken cancellationToken = default) =>
        BoundedCommand.ExecuteAsync(command, limits ?? DefaultLimits, cancellationToken).WaitAsync(GenerousBound, CancellationToken.None);

    public static async Task<int> ReadPidFileAsync(string path)
    {
        var deadline = DateTime.UtcNow + GenerousBound;
        while (DateTime.UtcNow < deadline)
        {
            // The script writes the file non-atomically, so an empty or partial read just means "not yet".
            if (File.Exists(path) && int.TryParse(await File.ReadAllTextAsync(path), out var pid))
            {
                return pid;
            }

            await Task.Delay(20);
        }

        Assert.Fail($"The test script never wrote its pid to {path}.");
        return -1;
    }

    /// <summary>
    /// A killed process whose parent died first is reparented and may linger as a zombie until init reaps it; a zombie
    /// runs no code and holds no pipes, so it counts as gone.
    /// </summary>
    public static bool IsRunning(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return false;
        }

        var state = stat[stat.LastIndexOf(')') + 2];
        return state is not ('Z' or 'X');
    }

    public static async Task AssertStopsRunningAsync(int pid, string what)
    {
        var deadline = DateTime.UtcNow + GenerousBound;
        while (IsRunning(pid))
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"{what} (pid {pid}) is still running.");
            }

            await Task.Delay(50);
        }
    }

    public static void KillIfRunning(int pid)
    {
        if (!IsRunning(pid))
        {
            return;
        }

        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            process.Kill();
        }
        catch (Exception exception) when (exception is ArgumentException or InvalidOperationException)
        {
            // Exited between the check and the kill.
        }
    }
}
