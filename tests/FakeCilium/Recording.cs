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
    public static Recording Load(string directory, string chartVersion)
    {
        var name = Path.GetFileName(directory);
        var argv = File.ReadAllText(Path.Combine(directory, "argv.txt"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var values = new SortedDictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < argv.Length; i++)
        {
            if (argv[i] == "--set")
            {
                var pair = argv[++i];
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                if (equals > 0)
                {
                    values[pair[..equals]] = pair[(equals + 1)..];
                }
            }
        }

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
