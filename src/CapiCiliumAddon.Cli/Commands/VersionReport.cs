using System.CommandLine;
using System.CommandLine.Invocation;
using CapiCiliumAddon.Rendering.CiliumCli;

namespace CapiCiliumAddon.Cli.Commands;

/// <summary>
/// `capi-cilium --version`: the tool's version and what a render would run with here, the Cilium CLI found the way
/// every command finds it and the charts of CILIUM_CHART_DIRECTORY, one `name version location` line each:
/// <code>
/// capi-cilium 0.1.0
/// cilium-cli v0.19.7 /usr/local/bin/cilium
/// cilium-chart 1.19.6 /charts/cilium/1.19.6/cilium
/// </code>
/// A Cilium CLI or chart that is absent is said so (exit 0: the CLI still works for lint, diff and label); one that is
/// present but unusable is an error (exit 1), as `render` and `controller` would refuse it.
/// </summary>
public static class VersionReport
{
    public const string ToolName = "capi-cilium";

    public static async Task<int> WriteAsync(TextWriter output, TextWriter error, Func<string, string?> getEnvironment, CancellationToken cancellationToken)
    {
        var exitCode = CliApp.Success;
        await output.WriteLineAsync($"{ToolName} {RenderEnvironmentOptions.ToolVersion}").ConfigureAwait(false);

        string? cli = null;
        try
        {
            cli = CiliumCliLocator.Locate(explicitPath: null, getEnvironment);
        }
        catch (CiliumCliNotFoundException e)
        {
            await output.WriteLineAsync($"cilium-cli none: {e.Message}").ConfigureAwait(false);
        }

        if (cli is not null)
        {
            try
            {
                var version = await new CiliumCliRunner(new CiliumCliOptions(cli) { Timeout = TimeSpan.FromSeconds(30) })
                    .GetVersionAsync(cancellationToken).ConfigureAwait(false);
                await output.WriteLineAsync($"cilium-cli {version} {cli}").ConfigureAwait(false);
            }
            catch (Exception e) when (e is CiliumCliException or CommandRunException)
            {
                await error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
                exitCode = CliApp.Failure;
            }
        }

        var chartPaths = (getEnvironment(RenderEnvironmentOptions.ChartDirectoryVariable) ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        if (chartPaths.Length == 0)
        {
            await output.WriteLineAsync($"cilium-chart none: {RenderEnvironmentOptions.ChartDirectoryVariable} names no chart folder, so renders need the Cilium CLI's own charts or the internet").ConfigureAwait(false);
        }

        foreach (var path in chartPaths)
        {
            try
            {
                var chart = ChartDirectory.Load(path);
                await output.WriteLineAsync($"cilium-chart {chart.Version} {chart.Path}").ConfigureAwait(false);
            }
            catch (ChartDirectoryException e)
            {
                await error.WriteLineAsync($"error: {RenderEnvironmentOptions.ChartDirectoryVariable}: {e.Message}").ConfigureAwait(false);
                exitCode = CliApp.Failure;
            }
        }

        return exitCode;
    }

    /// <summary>Makes the root command's --version print this report instead of the bare assembly version.</summary>
    public static void ReplaceVersionOption(RootCommand root) =>
        root.Options.OfType<VersionOption>().Single().Action = new ReportAction();

    private sealed class ReportAction : AsynchronousCommandLineAction
    {
        public override Task<int> InvokeAsync(ParseResult parseResult, CancellationToken cancellationToken = default) =>
            WriteAsync(parseResult.InvocationConfiguration.Output, parseResult.InvocationConfiguration.Error,
                Environment.GetEnvironmentVariable, cancellationToken);
    }
}
