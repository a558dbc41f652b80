namespace FakeCilium;

/// <summary>The `cilium install` flags the product uses, read the way cobra reads them
/// (`--flag value` or `--flag=value`; `-f` for values files).</summary>
internal sealed record InstallArguments(
    bool DryRun,
    string? ChartDirectory,
    string? Version,
    IReadOnlyList<string> ValuesFiles,
    IReadOnlyList<string> SetArguments)
{
    /// <param name="args">The arguments after `install`.</param>
    public static InstallArguments Parse(IReadOnlyList<string> args)
    {
        var dryRun = false;
        string? chartDirectory = null;
        string? version = null;
        var valuesFiles = new List<string>();
        var sets = new List<string>();

        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith('-'))
            {
                throw CliFailure.NotModelled($"positional arguments to `install` ({arg})");
            }

            var equals = arg.StartsWith("--", StringComparison.Ordinal) ? arg.IndexOf('=', StringComparison.Ordinal) : -1;
            var name = equals < 0 ? arg : arg[..equals];
            string? inlineValue = equals < 0 ? null : arg[(equals + 1)..];

            string TakeValue()
            {
                if (inlineValue is not null)
                {
                    return inlineValue;
                }

                if (i + 1 >= args.Count)
                {
                    throw new CliFailure(1, $"Error: flag needs an argument: {name}\n");
                }

                return args[++i];
            }

            switch (name)
            {
                case "--dry-run":
                    dryRun = inlineValue is null || inlineValue == "true";
                    break;
                case "--chart-directory":
                    chartDirectory = TakeValue();
                    break;
                case "--version":
                    version = TakeValue();
                    break;
                case "--values":
                case "-f":
                    valuesFiles.Add(TakeValue());
                    break;
                case "--set":
                    sets.Add(TakeValue());
                    break;
                default:
                    throw CliFailure.UnknownFlag(name);
            }
        }

        return new InstallArguments(dryRun, chartDirectory, version, valuesFiles, sets);
    }
}
