using System.CommandLine;
using CapiCiliumAddon.Rendering;
using CapiCiliumAddon.Rendering.Review;
using Spectre.Console;

namespace CapiCiliumAddon.Cli.Commands;

/// <summary>
/// `capi-cilium diff OLD NEW`: an object-level diff of two renderings (files or directory trees), so a reviewer can
/// trust a large generated change in a pull request.
/// </summary>
public static class DiffCommand
{
    public const int ExitNoDifferences = 0;
    public const int ExitDifferences = 1;
    public const int ExitError = 2;

    public static Command Create()
    {
        var oldArgument = new Argument<string>("old")
        {
            Description = "The old rendering (e.g. the base branch): a YAML/JSON file or a directory searched recursively for *.yaml, *.yml, *.json.",
        };
        var newArgument = new Argument<string>("new")
        {
            Description = "The new rendering to compare against OLD: a file or a directory, like OLD.",
        };
        var formatOption = new Option<string>("--format")
        {
            Description = "Output format: 'text' (coloured only on a terminal) or 'markdown' (for a pull-request comment).",
            DefaultValueFactory = _ => "text",
        };
        formatOption.AcceptOnlyFromAmong("text", "markdown");

        var command = new Command(
            "diff",
            "Compare two renders object by object, for reviewers.\n\n"
            + "Image and version changes come first, then removed, added and "
            + "changed objects with their changed fields. Objects embedded in ConfigMap/Secret data values are compared "
            + "as objects; quoting and formatting differences are ignored.\n\n"
            + "Exit codes: 0 = no differences, 1 = differences found, 2 = error (missing path, unparsable YAML).")
        {
            oldArgument,
            newArgument,
            formatOption,
        };

        command.SetAction((ParseResult parseResult, CancellationToken cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            var result = Run(
                parseResult.GetValue(oldArgument)!,
                parseResult.GetValue(newArgument)!,
                parseResult.GetValue(formatOption) ?? "text",
                output,
                error);
            return Task.FromResult(result);
        });
        return command;
    }

    private static int Run(string oldPath, string newPath, string format, TextWriter output, TextWriter error)
    {
        var oldResult = ManifestLoader.Load(oldPath);
        var newResult = ManifestLoader.Load(newPath);
        foreach (var problem in oldResult.Problems.Concat(newResult.Problems))
        {
            var field = problem.Field.Length == 0 ? "" : problem.Field + ": ";
            error.WriteLine($"{(problem.Severity == ProblemSeverity.Error ? "error" : "warning")}: {problem.Subject}: {field}{problem.Message}");
        }
        if (oldResult.HasErrors || newResult.HasErrors)
        {
            return ExitError;
        }

        var diff = ManifestDiffer.Compare(oldResult.Objects, newResult.Objects);
        var lineDiffer = new DiffPlexLineDiffer();
        if (format == "markdown")
        {
            output.Write(MarkdownDiffRenderer.Render(diff, lineDiffer));
        }
        else if (IsTerminal(output))
        {
            WriteColoured(TextDiffRenderer.Render(diff, lineDiffer), output);
        }
        else
        {
            output.Write(TextDiffRenderer.RenderPlain(diff, lineDiffer));
        }
        return diff.HasDifferences ? ExitDifferences : ExitNoDifferences;
    }

    private static bool IsTerminal(TextWriter output) =>
        ReferenceEquals(output, Console.Out)
        && !Console.IsOutputRedirected
        && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));

    private static void WriteColoured(IReadOnlyList<StyledLine> lines, TextWriter output)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        // Let the terminal wrap: Spectre would break long lines (image digests) at the console width, which breaks
        // copying a path or a reference out of the output.
        console.Profile.Width = 1_000_000;
        foreach (var line in lines)
        {
            var style = line.Style switch
            {
                LineStyle.Heading => new Style(decoration: Decoration.Bold),
                LineStyle.Highlight => new Style(Color.Yellow),
                LineStyle.Removed => new Style(Color.Red),
                LineStyle.Added => new Style(Color.Green),
                LineStyle.Changed => new Style(Color.Blue),
                LineStyle.Hunk => new Style(Color.Aqua),
                _ => Style.Plain,
            };
            console.Write(new Text(line.Text, style));
            console.WriteLine();
        }
    }
}
