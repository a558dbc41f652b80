using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using CliWrap;

namespace CapiCiliumAddon.Rendering.CiliumCli;

/// <summary>What one run may take: wall time, after which the whole process tree is killed, and bytes per output stream.</summary>
/// <param name="Timeout">Positive, or <see cref="System.Threading.Timeout.InfiniteTimeSpan"/>.</param>
public sealed record CommandLimits(TimeSpan Timeout, int MaxOutputBytes);

/// <summary>A finished run. A non-zero <paramref name="ExitCode"/> is reported here, not thrown.</summary>
public sealed record CommandOutput(int ExitCode, string StandardOutput, string StandardError, TimeSpan Duration);

/// <summary>
/// Runs a CliWrap <see cref="Command"/> under <see cref="CommandLimits"/>: stdin closed, stdout and stderr captured up
/// to a cap each, any exit code returned. CliWrap supplies the rest, as its 3.10 source shows: arguments go to the
/// child as a list (no shell), a forceful cancellation kills the whole process tree (<c>Process.Kill(true)</c>), and a
/// failing output pipe kills the tree too, which is how the cap stops a child that writes without end.
/// </summary>
public static class BoundedCommand
{
    /// <summary>
    /// The child sees exactly <paramref name="environment"/>. CliWrap starts from this process's environment and only
    /// adds to it; a variable set to null is removed, so every inherited variable not in the list is set to null.
    /// The inherited variables are read here: build the command right before running it.
    /// </summary>
    public static Command WithExactEnvironment(this Command command, IReadOnlyDictionary<string, string> environment) =>
        command.WithEnvironmentVariables(variables =>
        {
            foreach (var name in System.Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(n => !environment.ContainsKey(n)))
            {
                variables.Set(name, null);
            }

            foreach (var (name, value) in environment)
            {
                variables.Set(name, value);
            }
        });

    /// <exception cref="CommandStartException">The operating system refused to start the executable.</exception>
    /// <exception cref="CommandTimeoutException">The run outlived the timeout; its process tree was killed.</exception>
    /// <exception cref="CommandOutputLimitException">A stream went past the cap; the process tree was killed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired; the process tree was killed.</exception>
    public static async Task<CommandOutput> ExecuteAsync(Command command, CommandLimits limits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limits.MaxOutputBytes, nameof(limits));
        if (limits.Timeout <= TimeSpan.Zero && limits.Timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(limits), limits.Timeout, "Timeout must be positive or Timeout.InfiniteTimeSpan.");
        }

        // CliWrap starts the process before it looks at the token; a caller that already gave up must start nothing.
        cancellationToken.ThrowIfCancellationRequested();

        var stdout = new CappedOutput("stdout", limits.MaxOutputBytes);
        var stderr = new CappedOutput("stderr", limits.MaxOutputBytes);
        using var timeout = new CancellationTokenSource(limits.Timeout);
        using var forceful = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var bounded = command
            .WithStandardInputPipe(PipeSource.Null)
            .WithStandardOutputPipe(stdout.Target)
            .WithStandardErrorPipe(stderr.Target)
            .WithValidation(CommandResultValidation.None);

        var stopwatch = Stopwatch.StartNew();
        try
        {
            var result = await bounded.ExecuteAsync(forceful.Token).ConfigureAwait(false);
            return new CommandOutput(result.ExitCode, stdout.Decode(), stderr.Decode(), stopwatch.Elapsed);
        }
        catch (Win32Exception exception)
        {
            throw StartFailure(command, exception);
        }
        catch (OutputLimitExceededException exception)
        {
            // The caller's cancellation wins over the other reasons: a caller that is shutting down does not care why else it stopped.
            cancellationToken.ThrowIfCancellationRequested();
            throw new CommandOutputLimitException(command.TargetFilePath, exception.StreamName, limits.MaxOutputBytes);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && timeout.IsCancellationRequested)
        {
            throw new CommandTimeoutException(command.TargetFilePath, limits.Timeout, stderr.Decode());
        }
    }

    private static CommandStartException StartFailure(Command command, Win32Exception exception)
    {
        // CliWrap wraps the exception of Process.Start, which itself wraps errno in a sentence; strerror is the part worth showing.
        var native = exception.InnerException as Win32Exception ?? exception;
        var osReason = new Win32Exception(native.NativeErrorCode).Message;
        if (command.WorkingDirPath is { Length: > 0 } workingDirectory && !Directory.Exists(workingDirectory))
        {
            // chdir and execve fail with the same ENOENT; without this a missing directory reads as a missing binary.
            osReason += $" (the working directory '{workingDirectory}' does not exist)";
        }

        return new CommandStartException(command.TargetFilePath, osReason, exception);
    }

    /// <summary>
    /// One output stream as raw bytes, up to a cap. Past the cap it throws, CliWrap kills the tree and rethrows; nothing
    /// beyond the cap is ever held. Read only after the run ends: CliWrap has then finished every pipe.
    /// </summary>
    private sealed class CappedOutput
    {
        private static readonly Encoding LenientUtf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

        private readonly MemoryStream _captured = new();
        private readonly string _streamName;
        private readonly int _maxBytes;

        public CappedOutput(string streamName, int maxBytes)
        {
            _streamName = streamName;
            _maxBytes = maxBytes;
            Target = PipeTarget.Create(CopyFromAsync);
        }

        public PipeTarget Target { get; }

        private async Task CopyFromAsync(Stream source, CancellationToken cancellationToken)
        {
            var buffer = new byte[64 * 1024];
            while (true)
            {
                var read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return;
                }

                var room = _maxBytes - (int)_captured.Length;
                if (read > room)
                {
                    _captured.Write(buffer, 0, room);
                    throw new OutputLimitExceededException(_streamName);
                }

                _captured.Write(buffer, 0, read);
            }
        }

        public string Decode() => LenientUtf8.GetString(_captured.GetBuffer(), 0, (int)_captured.Length);
    }

    private sealed class OutputLimitExceededException(string streamName) : Exception($"{streamName} went past its cap")
    {
        public string StreamName { get; } = streamName;
    }
}

/// <summary>The run did not produce a <see cref="CommandOutput"/>; catch this to handle every such failure at once.</summary>
public abstract class CommandRunException(string fileName, string message, Exception? innerException = null)
    : Exception(message, innerException)
{
    public string FileName { get; } = fileName;
}

/// <summary>The operating system refused to start the executable (missing, not executable, permission denied, bad working directory).</summary>
public sealed class CommandStartException(string fileName, string osReason, Exception? innerException = null)
    : CommandRunException(fileName, $"Could not start '{fileName}': {osReason}", innerException)
{
    public string OsReason { get; } = osReason;
}

/// <summary>The process outlived <see cref="CommandLimits.Timeout"/>; it and its descendants were killed before this was thrown.</summary>
public sealed class CommandTimeoutException(string fileName, TimeSpan timeout, string standardError)
    : CommandRunException(fileName, $"'{fileName}' did not finish within {timeout}; it and its descendants were killed.")
{
    public TimeSpan Timeout { get; } = timeout;

    /// <summary>What the process wrote to stderr before it was killed, usually the best clue to why it hung.</summary>
    public string StandardError { get; } = standardError;
}

/// <summary>A stream went past <see cref="CommandLimits.MaxOutputBytes"/>; the process tree was killed before this was thrown.</summary>
public sealed class CommandOutputLimitException(string fileName, string streamName, int limitBytes)
    : CommandRunException(fileName, $"'{fileName}' wrote more than {limitBytes} bytes to {streamName}; it and its descendants were killed.")
{
    /// <summary>"stdout" or "stderr".</summary>
    public string StreamName { get; } = streamName;

    public int LimitBytes { get; } = limitBytes;
}
