using System.Text.RegularExpressions;

namespace FakeCilium;

/// <summary>The recorded runs shipped next to the executable (folder `recordings`, a copy of
/// tests/fixtures/cilium-cli). Each case's chart version comes from the README's case table.</summary>
internal sealed partial class RecordingCatalogue
{
    public const string PartialKubeProxyReplacementCase = "error-partial-kpr-1.18";

    private RecordingCatalogue(string directory, IReadOnlyList<Recording> recordings, IReadOnlyList<string> versionLines)
    {
        Directory = directory;
        Recordings = recordings;
        ClientVersionLines = versionLines;
    }

    public string Directory { get; }

    public IReadOnlyList<Recording> Recordings { get; }

    /// <summary>The lines the README records for `cilium version --client`.</summary>
    public IReadOnlyList<string> ClientVersionLines { get; }

    /// <summary>Successful `install --dry-run` renders: the only recordings a `--set` combination can select.</summary>
    public IEnumerable<Recording> Renders => Recordings.Where(r => r.ExitCode == 0 && r.Argv.Contains("--dry-run"));

    public Recording this[string name] =>
        Recordings.SingleOrDefault(r => r.Name == name)
        ?? throw new InvalidOperationException($"fake cilium: recording '{name}' is missing from {Directory}");

    public static RecordingCatalogue LoadBesideExecutable() =>
        Load(Path.Combine(AppContext.BaseDirectory, "recordings"));

    public static RecordingCatalogue Load(string directory)
    {
        var readmePath = Path.Combine(directory, "README.md");
        if (!File.Exists(readmePath))
        {
            throw new CliFailure(2, $"fake cilium: no recordings at {directory} (README.md missing; was the fake built?)\n");
        }

        var readme = File.ReadAllLines(readmePath);
        var recordings = new List<Recording>();
        foreach (var line in readme)
        {
            var match = CaseRow().Match(line);
            if (match.Success && System.IO.Directory.Exists(Path.Combine(directory, match.Groups["case"].Value)))
            {
                recordings.Add(Recording.Load(Path.Combine(directory, match.Groups["case"].Value), match.Groups["chart"].Value));
            }
        }

        if (recordings.Count == 0)
        {
            throw new CliFailure(2, $"fake cilium: the case table in {readmePath} lists no recording folders\n");
        }

        return new RecordingCatalogue(directory, recordings, ReadClientVersionLines(readme, readmePath));
    }

    /// <summary>The fenced block right after the sentence "`cilium version --client` prints:".</summary>
    private static string[] ReadClientVersionLines(string[] readme, string readmePath)
    {
        var start = Array.FindIndex(readme, l => l.Contains("`cilium version --client` prints:", StringComparison.Ordinal));
        if (start >= 0 && start + 1 < readme.Length && readme[start + 1].TrimStart() == "```")
        {
            var indent = readme[start + 1].Length - readme[start + 1].TrimStart().Length;
            var end = Array.FindIndex(readme, start + 2, l => l.TrimStart() == "```");
            if (end > start + 2)
            {
                return readme[(start + 2)..end].Select(l => l[Math.Min(indent, l.Length)..]).ToArray();
            }
        }

        throw new CliFailure(2, $"fake cilium: {readmePath} does not record the output of `cilium version --client`\n");
    }

    [GeneratedRegex(@"^\| (?<case>[a-z0-9][a-z0-9.\-]*) \| (?<chart>\d+\.\d+\.\d+) \|")]
    private static partial Regex CaseRow();
}
