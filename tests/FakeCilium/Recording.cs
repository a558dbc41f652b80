namespace FakeCilium;

/// <summary>One recorded real run (a folder of tests/fixtures/cilium-cli).</summary>
internal sealed record Recording(
    string Name,
    string ChartVersion,
    int ExitCode,
    IReadOnlyList<string> Argv,
    IReadOnlyDictionary<string, string> SetValues,
    byte[] Stdout,
    byte[] Stderr)
{
    /// <summary>How argv.txt names the values file recorded beside it as <see cref="ValuesFileName"/>.</summary>
    public const string ValuesFilePlaceholder = "<values-file>";

    public const string ValuesFileName = "values.yaml";

    public static Recording Load(string directory, string chartVersion)
    {
        var name = Path.GetFileName(directory);
        var argv = File.ReadAllText(Path.Combine(directory, "argv.txt"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var sets = new List<string>();
        var valuesFiles = new List<string>();
        for (var i = 0; i + 1 < argv.Length; i++)
        {
            if (argv[i] == "--set")
            {
                sets.Add(argv[++i]);
            }
            else if (argv[i] == "--values" && argv[++i] == ValuesFilePlaceholder)
            {
                valuesFiles.Add(Path.Combine(directory, ValuesFileName));
            }
        }

        // As the CLI applies them: values files first, then every --set on top. A pair without '=' is what a failed
        // run recorded (error-bad-set); it sets nothing.
        var values = EffectiveValues.Build(valuesFiles, sets.Where(s => s.Contains('=', StringComparison.Ordinal)));

        var stdoutPath = Path.Combine(directory, "stdout.yaml");
        if (!File.Exists(stdoutPath))
        {
            stdoutPath = Path.Combine(directory, "stdout.txt");
        }

        return new Recording(
            name,
            chartVersion,
            int.Parse(File.ReadAllText(Path.Combine(directory, "exit-code.txt")).Trim(), System.Globalization.CultureInfo.InvariantCulture),
            argv,
            values,
            File.ReadAllBytes(stdoutPath),
            File.ReadAllBytes(Path.Combine(directory, "stderr.txt")));
    }
}
