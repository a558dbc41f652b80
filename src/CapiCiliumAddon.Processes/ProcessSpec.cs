namespace CapiCiliumAddon.Processes;

/// <summary>What to run and the limits it runs under.</summary>
/// <param name="FileName">Path of the executable; a bare name is looked up on this process's PATH.</param>
/// <param name="Arguments">Passed to the child as separate argv entries; nothing is parsed by a shell.</param>
public sealed record ProcessSpec(string FileName, IReadOnlyList<string> Arguments)
{
    public string? WorkingDirectory { get; init; }

    /// <summary>When non-null the child's environment is exactly this dictionary: nothing is inherited.</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    /// <summary>After this the whole process tree is killed. <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> disables it.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Cap per stream (stdout, stderr) in bytes.</summary>
    public int MaxOutputBytes { get; init; } = 32 * 1024 * 1024;
}

/// <summary>A finished run. A non-zero <paramref name="ExitCode"/> is reported here, not thrown.</summary>
public sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError, TimeSpan Duration);

public interface IProcessRunner
{
    Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken cancellationToken);
}
