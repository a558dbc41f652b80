using System.CommandLine;
using CapiCiliumAddon.Cli.Commands;

namespace CapiCiliumAddon.Cli;

/// <summary>The `capi-cilium` command tree. Exit codes: 0 success, 1 a cluster failed or differences found, 2 usage.</summary>
public static class CliApp
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int UsageError = 2;

    public static RootCommand Build()
    {
        var root = new RootCommand(
            "capi-cilium: bootstrap-safe Cilium for Cluster API clusters, delivered through ClusterResourceSets.");
        root.Subcommands.Add(RenderCommand.Create());
        root.Subcommands.Add(DiffCommand.Create());
        root.Subcommands.Add(LintCommand.Create());
        root.Subcommands.Add(CheckCommand.Create());
        root.Subcommands.Add(BumpCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(ControllerCommand.Create());
        root.Subcommands.Add(StatusCommand.Create());
        root.Subcommands.Add(HandoffCommand.Create());
        return root;
    }

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var parseResult = Build().Parse(args);
        if (parseResult.Errors.Count > 0)
        {
            foreach (var parseError in parseResult.Errors)
            {
                await error.WriteLineAsync($"error: {parseError.Message}").ConfigureAwait(false);
            }

            await error.WriteLineAsync("See 'capi-cilium --help'.").ConfigureAwait(false);
            return UsageError;
        }

        var configuration = new InvocationConfiguration { Output = output, Error = error };
        return await parseResult.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
    }
}
