using System.ComponentModel;
using System.Diagnostics;

namespace CapiCiliumAddon.Processes;

/// <summary>
/// Runs a child process without a shell and captures its output. RunAsync always returns within the timeout plus bounded
/// grace periods; on a timeout, an output limit or a cancellation every descendant still attached to the child is killed
/// before the exception is thrown, so the caller can retry without piling up processes.
/// </summary>
public sealed class ProcessRunner : IProcessRunner
{
    private static readonly TimeSpan DefaultPipeDrainTimeout = TimeSpan.FromSeconds(5);

    // SIGKILL is not deferrable, so a killed process that is still around after this is stuck in the kernel; waiting longer will not help.
    private static readonly TimeSpan KilledProcessExitTimeout = TimeSpan.FromSeconds(10);

    private readonly TimeSpan pipeDrainTimeout;

    public ProcessRunner()
        : this(DefaultPipeDrainTimeout)
    {
    }

    /// <param name="pipeDrainTimeout">
    /// How long to keep reading stdout/stderr after the child has exited or been killed. A descendant that inherited the
    /// pipes can keep them open indefinitely; after this the output read so far is returned.
    /// </param>
    public ProcessRunner(TimeSpan pipeDrainTimeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pipeDrainTimeout, TimeSpan.Zero);
        this.pipeDrainTimeout = pipeDrainTimeout;
    }

    public async Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken cancellationToken)
    {
        Validate(spec);
        cancellationToken.ThrowIfCancellationRequested();

        using var process = new Process { StartInfo = CreateStartInfo(spec) };
        var stopwatch = Stopwatch.StartNew();
        Start(process, spec);
        CloseStandardInput(process);

        using var timeout = new CancellationTokenSource(spec.Timeout);
        using var outputLimit = new CancellationTokenSource();
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token, outputLimit.Token);
        using var stopReading = new CancellationTokenSource();

        var stdout = new OutputCapture("stdout", spec.MaxOutputBytes);
        var stderr = new OutputCapture("stderr", spec.MaxOutputBytes);
        var pumps = Task.WhenAll(
            stdout.PumpAsync(process.StandardOutput.BaseStream, outputLimit.Cancel, stopReading.Token),
            stderr.PumpAsync(process.StandardError.BaseStream, outputLimit.Cancel, stopReading.Token));

        var exitedOnItsOwn = await WaitForExitAsync(process, abort.Token).ConfigureAwait(false);
        if (!exitedOnItsOwn)
        {
            await KillTreeAsync(process).ConfigureAwait(false);
        }

        // After a kill the drain is short and already bounded; letting cancellation cut it would only lose stderr for the exception.
        await DrainAsync(pumps, stopReading, exitedOnItsOwn ? cancellationToken : CancellationToken.None).ConfigureAwait(false);
        stopwatch.Stop();

        // The caller's cancellation wins over the other reasons: a caller that is shutting down does not care why else it would have stopped.
        cancellationToken.ThrowIfCancellationRequested();
        var overflowed = stdout.LimitExceeded ? stdout : stderr.LimitExceeded ? stderr : null;
        if (overflowed is not null)
        {
            throw new ProcessOutputLimitException(spec.FileName, overflowed.StreamName, spec.MaxOutputBytes);
        }

        if (!exitedOnItsOwn)
        {
            throw new ProcessTimeoutException(spec.FileName, spec.Timeout, stderr.Decode());
        }

        return new ProcessResult(process.ExitCode, stdout.Decode(), stderr.Decode(), stopwatch.Elapsed);
    }

    private static void Validate(ProcessSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentException.ThrowIfNullOrEmpty(spec.FileName, nameof(spec));
        ArgumentNullException.ThrowIfNull(spec.Arguments, nameof(spec));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(spec.MaxOutputBytes, nameof(spec));
        if (spec.Timeout <= TimeSpan.Zero && spec.Timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(spec), spec.Timeout, "Timeout must be positive or Timeout.InfiniteTimeSpan.");
        }
    }

    private static ProcessStartInfo CreateStartInfo(ProcessSpec spec)
    {
        var startInfo = new ProcessStartInfo(spec.FileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = spec.WorkingDirectory ?? string.Empty,
        };
        foreach (var argument in spec.Arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        if (spec.Environment is not null)
        {
            startInfo.Environment.Clear();
            foreach (var (name, value) in spec.Environment)
            {
                startInfo.Environment[name] = value;
            }
        }

        return startInfo;
    }

    private static void Start(Process process, ProcessSpec spec)
    {
        try
        {
            process.Start();
        }
        catch (Win32Exception exception)
        {
            // Process.Start wraps errno in a sentence about the process; the bare strerror text is the part worth showing.
            var osReason = new Win32Exception(exception.NativeErrorCode).Message;
            if (spec.WorkingDirectory is not null)
            {
                // chdir and execve fail with the same ENOENT; without this a missing directory reads as a missing binary.
                osReason += Directory.Exists(spec.WorkingDirectory)
                    ? $" (working directory '{spec.WorkingDirectory}')"
                    : $" (the working directory '{spec.WorkingDirectory}' does not exist)";
            }

            throw new ProcessStartException(spec.FileName, osReason, exception);
        }
    }

    private static void CloseStandardInput(Process process)
    {
        try
        {
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The child already exited and closed its end; it cannot be waiting for input any more.
        }
    }

    /// <returns>false when <paramref name="abort"/> fired before the child exited.</returns>
    private static async Task<bool> WaitForExitAsync(Process process, CancellationToken abort)
    {
        try
        {
            await process.WaitForExitAsync(abort).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            return false;
        }
    }

    private static async Task KillTreeAsync(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (Exception exception) when (exception is InvalidOperationException or Win32Exception or AggregateException)
        {
            // Some member of the tree exited on its own between listing and signalling; the bounded drain below still
            // keeps a survivor holding the pipes from blocking us.
        }

        try
        {
            // Waiting reaps the child, so no zombie is left behind.
            await process.WaitForExitAsync().WaitAsync(KilledProcessExitTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Stuck in uninterruptible sleep; the caller still gets its exception instead of a hang.
        }
    }

    private async Task DrainAsync(Task pumps, CancellationTokenSource stopReading, CancellationToken cancellationToken)
    {
        try
        {
            await pumps.WaitAsync(pipeDrainTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is TimeoutException or OperationCanceledException)
        {
            // A descendant still holds the pipes open: stop reading and keep what arrived.
            await stopReading.CancelAsync().ConfigureAwait(false);
            try
            {
                await pumps.WaitAsync(KilledProcessExitTimeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // A read that ignores cancellation; OutputCapture snapshots under a lock, so abandoning it is safe.
            }
        }
    }
}
