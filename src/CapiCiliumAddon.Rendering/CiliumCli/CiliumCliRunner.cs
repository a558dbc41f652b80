using System.Text.RegularExpressions;
using CapiCiliumAddon.Rendering.Planning;
using CliWrap;

namespace CapiCiliumAddon.Rendering.CiliumCli;

public sealed record CiliumCliOptions(string CliPath)
{
    /// <summary>A render takes about a quarter of a second; a minute means it is stuck (e.g. fetching a chart).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Renders are 55-75 KB; 16 MiB is far past any real one and still bounds memory.</summary>
    public int MaxOutputBytes { get; init; } = 16 * 1024 * 1024;
}

/// <summary>The CLI's stdout for a successful render, or why there is none.</summary>
public sealed record CliRenderResult(string? Manifest, Problem? Failure, TimeSpan Duration);

/// <summary>Runs the Cilium CLI hermetically, one private work directory per call.</summary>
public sealed partial class CiliumCliRunner(CiliumCliOptions options)
{
    public string CliPath => options.CliPath;

    /// <summary>"v0.19.7-12-ge694be34c" from `cilium version --client`.</summary>
    public async Task<string> GetVersionAsync(CancellationToken cancellationToken)
    {
        using var work = WorkDirectory.Create();
        CommandOutput result;
        try
        {
            result = await RunAsync(CiliumCliInvocation.VersionArguments(), work.Path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is CommandTimeoutException or CommandOutputLimitException)
        {
            throw new CiliumCliException($"`{options.CliPath} version --client` failed: {e.Message}");
        }

        var match = result.ExitCode == 0 ? CliVersionLine().Match(result.StandardOutput) : Match.Empty;
        if (!match.Success)
        {
            throw new CiliumCliException($"`{options.CliPath} version --client` did not report a cilium-cli version (exit {result.ExitCode}): {FirstLines(result.StandardError + result.StandardOutput)}");
        }

        return match.Groups[1].Value;
    }

    public async Task<CliRenderResult> RenderAsync(RenderPlan plan, CancellationToken cancellationToken)
    {
        var subject = plan.Cluster.Key;
        using var work = WorkDirectory.Create();
        var valuesFile = Path.Combine(work.Path, CiliumCliInvocation.ValuesFileName);
        // Values can hold user data; only we may read them. Written with its final mode, never world-readable.
        var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using (var stream = new FileStream(valuesFile, create))
        await using (var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false)))
        {
            await writer.WriteAsync(plan.Values.ToValuesFile().AsMemory(), cancellationToken).ConfigureAwait(false);
        }

        var arguments = CiliumCliInvocation.DryRunArguments(plan.Chart?.Path, plan.Version.ToString(), valuesFile);
        try
        {
            var result = await RunAsync(arguments, work.Path, cancellationToken).ConfigureAwait(false);
            if (result.ExitCode != 0)
            {
                return new CliRenderResult(null, Problem.Error(subject, "cilium install --dry-run",
                    $"the Cilium CLI failed (exit {result.ExitCode}): {CliError(result.StandardError)}"), result.Duration);
            }

            return new CliRenderResult(result.StandardOutput, null, result.Duration);
        }
        catch (CommandTimeoutException)
        {
            return new CliRenderResult(null, Problem.Error(subject, "cilium install --dry-run",
                $"the Cilium CLI did not finish within {options.Timeout.TotalSeconds:0} s and was killed",
                "a render without --chart-directory may be trying to download a chart; pass an unpacked chart"), options.Timeout);
        }
        catch (CommandOutputLimitException e)
        {
            return new CliRenderResult(null, Problem.Error(subject, "cilium install --dry-run",
                $"the Cilium CLI printed more than {options.MaxOutputBytes / (1024 * 1024)} MiB and was killed ({e.Message})"), TimeSpan.Zero);
        }
    }

    private async Task<CommandOutput> RunAsync(IReadOnlyList<string> arguments, string workDirectory, CancellationToken cancellationToken)
    {
        File.WriteAllText(Path.Combine(workDirectory, CiliumCliInvocation.KubeconfigFileName), CiliumCliInvocation.Kubeconfig());
        var environment = CiliumCliInvocation.Environment(workDirectory, System.Environment.GetEnvironmentVariable("PATH"));
        Directory.CreateDirectory(environment["HOME"]);
        Directory.CreateDirectory(environment["TMPDIR"]);
        var command = Cli.Wrap(options.CliPath)
            .WithArguments(arguments)
            .WithWorkingDirectory(workDirectory)
            .WithExactEnvironment(environment);
        try
        {
            return await BoundedCommand.ExecuteAsync(command, new CommandLimits(options.Timeout, options.MaxOutputBytes), cancellationToken).ConfigureAwait(false);
        }
        catch (CommandStartException e)
        {
            throw new CiliumCliNotFoundException($"{e.Message}; {CiliumCliLocator.HowToInstall}");
        }
    }

    /// <summary>The CLI prints an empty line, then "Error: Unable to install Cilium: ..."; quote the message itself.</summary>
    internal static string CliError(string standardError)
    {
        var lines = standardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var error = lines.FirstOrDefault(l => l.StartsWith("Error:", StringComparison.Ordinal));
        return error is not null ? error["Error:".Length..].Trim() : FirstLines(standardError);
    }

    private static string FirstLines(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.Length == 0)
        {
            return "(no output)";
        }

        return trimmed.Length <= 500 ? trimmed : trimmed[..500] + "...";
    }

    [GeneratedRegex(@"^cilium-cli:\s+(v?\S+)", RegexOptions.Multiline)]
    private static partial Regex CliVersionLine();

    /// <summary>A private (0700) directory holding the kubeconfig, values file and CLI home; removed afterwards.</summary>
    private sealed class WorkDirectory : IDisposable
    {
        private WorkDirectory(string path) => Path = path;

        public string Path { get; }

        public static WorkDirectory Create() =>
            new(Directory.CreateTempSubdirectory("capi-cilium-").FullName);

        public void Dispose()
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException)
            {
                // A killed CLI may still hold a file for a moment; the temp folder is cleaned by the OS eventually.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}

public sealed class CiliumCliException(string message) : Exception(message);
