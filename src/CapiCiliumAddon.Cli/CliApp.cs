using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using CapiCiliumAddon.Cli.Commands;

namespace CapiCiliumAddon.Cli;

/// <summary>The `capi-cilium` command tree. Exit codes: 0 success, 1 a cluster failed or differences found, 2 usage.</summary>
public static class CliApp
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int UsageError = 2;

    /// <param name="standardInput">Opens what the path "-" reads (default: the process's standard input).</param>
    public static RootCommand Build(Func<Stream>? standardInput = null)
    {
        var root = new RootCommand(
            "capi-cilium: bootstrap-safe Cilium for Cluster API clusters, delivered through ClusterResourceSets.");
        root.Subcommands.Add(RenderCommand.Create(standardInput));
        root.Subcommands.Add(LabelCommand.Create());
        root.Subcommands.Add(DiffCommand.Create());
        root.Subcommands.Add(standardInput is null ? LintCommand.Create() : LintCommand.Create(standardInput));
        root.Subcommands.Add(CheckCommand.Create(standardInput));
        root.Subcommands.Add(BumpCommand.Create(standardInput));
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(ControllerCommand.Create());
        root.Subcommands.Add(StatusCommand.Create());
        root.Subcommands.Add(HandoffCommand.Create());
        ListCommandsBySummary(root);
        VersionReport.ReplaceVersionOption(root);
        return root;
    }

    /// <summary>
    /// A command's description starts with a one-line summary; `capi-cilium --help` lists each command with that line
    /// alone, and the rest (rules, exit codes) appears in the command's own --help.
    /// </summary>
    private static void ListCommandsBySummary(RootCommand root)
    {
        var help = root.Options.OfType<HelpOption>().Single();
        help.Action = new RootHelpAction((SynchronousCommandLineAction)help.Action!);
    }

    public static string Summary(Command command) => (command.Description ?? "").Split('\n', 2)[0].Trim();

    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default) =>
        RunAsync(args, output, error, standardInput: null, cancellationToken);

    /// <param name="standardInput">Opens what the path "-" reads; null for the process's standard input.</param>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, Func<Stream>? standardInput, CancellationToken cancellationToken = default)
    {
        var parseResult = Build(standardInput).Parse(args);
        // --help answers even when the rest of the command line is incomplete (`capi-cilium render --help`).
        if (parseResult.Errors.Count > 0 && parseResult.Action is not RootHelpAction)
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

/// <summary>The root's help as a table of contents (one line per command); any command's own help as the library writes it.</summary>
internal sealed class RootHelpAction(SynchronousCommandLineAction commandHelp) : SynchronousCommandLineAction
{
    public override int Invoke(ParseResult parseResult)
    {
        if (parseResult.CommandResult.Command is not RootCommand root)
        {
            return commandHelp.Invoke(parseResult);
        }

        var output = parseResult.InvocationConfiguration.Output;
        var width = root.Subcommands.Max(c => c.Name.Length) + 2;
        output.WriteLine(root.Description);
        output.WriteLine();
        output.WriteLine($"Usage: {root.Name} <command> [options]");
        output.WriteLine();
        output.WriteLine("Commands:");
        foreach (var command in root.Subcommands.Where(c => !c.Hidden))
        {
            output.WriteLine($"  {command.Name.PadRight(width)}{CliApp.Summary(command)}");
        }

        output.WriteLine();
        output.WriteLine("Options:");
        output.WriteLine($"  {"-h, --help".PadRight(width)}Show this list; after a command, that command's options, rules and exit codes");
        output.WriteLine($"  {"--version".PadRight(width)}Show the version, and the Cilium CLI and charts a render would use");
        output.WriteLine();
        output.WriteLine($"Run '{root.Name} <command> --help' for more about a command.");
        return 0;
    }
}
