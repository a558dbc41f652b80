namespace CapiCiliumAddon.Processes;

/// <summary>The run did not produce a <see cref="ProcessResult"/>; catch this to handle every runner failure at once.</summary>
public abstract class ProcessRunException : Exception
{
    protected ProcessRunException(string fileName, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        FileName = fileName;
    }

    public string FileName { get; }
}

/// <summary>The operating system refused to start the executable (missing, not executable, permission denied, bad working directory).</summary>
public sealed class ProcessStartException : ProcessRunException
{
    public ProcessStartException(string fileName, string osReason, Exception? innerException = null)
        : base(fileName, $"Could not start '{fileName}': {osReason}", innerException)
    {
        OsReason = osReason;
    }

    public string OsReason { get; }
}

/// <summary>The process outlived <see cref="ProcessSpec.Timeout"/>; it and its descendants were killed before this was thrown.</summary>
public sealed class ProcessTimeoutException : ProcessRunException
{
    public ProcessTimeoutException(string fileName, TimeSpan timeout, string standardError)
        : base(fileName, $"'{fileName}' did not finish within {timeout}; it and its descendants were killed.")
    {
        Timeout = timeout;
        StandardError = standardError;
    }

    public TimeSpan Timeout { get; }

    /// <summary>What the process wrote to stderr before it was killed, usually the best clue to why it hung.</summary>
    public string StandardError { get; }
}

/// <summary>A stream exceeded <see cref="ProcessSpec.MaxOutputBytes"/>; the process tree was killed before this was thrown.</summary>
public sealed class ProcessOutputLimitException : ProcessRunException
{
    public ProcessOutputLimitException(string fileName, string streamName, int limitBytes)
        : base(fileName, $"'{fileName}' wrote more than {limitBytes} bytes to {streamName}; it and its descendants were killed.")
    {
        StreamName = streamName;
        LimitBytes = limitBytes;
    }

    /// <summary>"stdout" or "stderr".</summary>
    public string StreamName { get; }

    public int LimitBytes { get; }
}
