namespace FakeCilium;

/// <summary>Ends the run with an exit code and exact stderr text, like the real CLI's failures.</summary>
internal sealed class CliFailure(int exitCode, string stderr) : Exception(stderr)
{
    public int ExitCode { get; } = exitCode;

    public string Stderr { get; } = stderr;

    /// <summary>The shape of every failure of the install step: a leading empty line, then "Error: Unable to install Cilium: ...".</summary>
    public static CliFailure Install(string message) => new(1, $"\nError: Unable to install Cilium: {message}\n");

    /// <summary>Cobra's message for a flag it does not know.</summary>
    public static CliFailure UnknownFlag(string flag) => new(1, $"Error: unknown flag: {flag}\n");

    /// <summary>Something the fake deliberately does not model: say so instead of pretending.</summary>
    public static CliFailure NotModelled(string what) => new(1, $"Error: fake cilium does not model {what}\n");
}
