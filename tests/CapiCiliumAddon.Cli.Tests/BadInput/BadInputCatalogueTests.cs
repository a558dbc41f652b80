using CapiCiliumAddon.Rendering.Settings;
using CapiCiliumAddon.Testing;

namespace CapiCiliumAddon.Cli.Tests.BadInput;

/// <summary>
/// Runs every row of <see cref="BadInputCatalogue"/> through `capi-cilium render` in-process with the fake cilium,
/// and checks that a bad Cluster is named with its field, gets nothing written, and leaves the good Cluster
/// byte-identical to a render of the good Cluster alone.
/// </summary>
public class BadInputCatalogueTests
{
    private const string GoodDirectory = "metal3/healthy";

    /// <summary>Keeps the test report readable: a 1 MB input must not come back as a 1 MB message.</summary>
    private const int MaxStderrChars = 64 * 1024;

    private TempDirectory _shared = null!;
    private string _chart = null!;
    private string _templates = null!;
    private Dictionary<string, byte[]> _reference = null!;
    private TempDirectory _temp = null!;

    public static IEnumerable<TestCaseData> Cases =>
        BadInputCatalogue.All.Select(c => new TestCaseData(c).SetName($"BadInput [{c.Category}] {c.Name}"));

    [OneTimeSetUp]
    public async Task RenderTheGoodClusterAlone()
    {
        _shared = new TempDirectory();
        _chart = FakeChart.Create(_shared.Combine("chart"), "1.18.12");
        _templates = _shared.Combine("templates");
        Directory.CreateDirectory(_templates);
        foreach (var (name, text) in BadInputCatalogue.Templates)
        {
            File.WriteAllText(Path.Combine(_templates, name + ProfileLibrary.Extension), text);
        }

        foreach (var (name, text) in BadInputCatalogue.HandlebarsTemplates)
        {
            File.WriteAllText(Path.Combine(_templates, name + ProfileLibrary.HandlebarsExtension), text);
        }

        var clusters = _shared.Combine("reference-clusters");
        Directory.CreateDirectory(clusters);
        File.WriteAllText(Path.Combine(clusters, "good.yaml"), BadInputCatalogue.Good);
        var cilium = FakeCiliumCli.CreateWrapper(_shared.Combine("bin"));
        var (exit, _, stderr) = await Run(clusters, _shared.Combine("reference"), cilium, []);
        Assert.That(exit, Is.EqualTo(0), "the good Cluster alone must render: " + stderr);
        _reference = ReadTree(_shared.Combine("reference", GoodDirectory));
        Assert.That(_reference, Is.Not.Empty);
    }

    [OneTimeTearDown]
    public void TearDownShared() => _shared.Dispose();

    [SetUp]
    public void SetUp() => _temp = new TempDirectory();

    [TearDown]
    public void TearDown() => _temp.Dispose();

    [TestCaseSource(nameof(Cases))]
    public async Task ABadInputIsNamedWritesNothingAndLeavesTheGoodClusterAlone(BadInputCase row)
    {
        var clusters = _temp.Combine("clusters");
        Directory.CreateDirectory(clusters);
        foreach (var file in row.Files)
        {
            File.WriteAllBytes(Path.Combine(clusters, file.Name), file.Bytes);
        }

        var cilium = row.CliMode is null
            ? FakeCiliumCli.CreateWrapper(_temp.Combine("bin"))
            : MisbehaveForTheBadCluster(_temp.Combine("bin"), row.CliMode);
        var output = _temp.Combine("out");

        // A misbehaving CLI run must belong to the bad Cluster alone: with stamping, the good and the bad Cluster would
        // share one render, so the rows about CLI output render each Cluster with a run of its own.
        var (exit, stdout, stderr) = await Run(clusters, output, cilium, row.CliMode is null ? [] : ["--no-stamp"]);

        await TestContext.Out.WriteLineAsync($"exit {exit}\n{Clip(stderr)}");
        var renders = row.Outcome == Outcome.RenderedWithWarning;
        var context = $"exit {exit}\n--- stdout\n{Clip(stdout)}\n--- stderr\n{Clip(stderr)}";
        Assert.Multiple(() =>
        {
            Assert.That(exit, Is.EqualTo(renders ? 0 : 1), context);
            Assert.That(stderr, Has.Length.LessThan(MaxStderrChars), "stderr quotes huge inputs instead of their start");

            var severity = row.Outcome switch
            {
                Outcome.Refused => "error: ",
                _ => "warning: ",
            };
            var named = stderr.Split('\n').Where(l => l.StartsWith(severity, StringComparison.Ordinal)
                && l.Contains(row.Subject, StringComparison.Ordinal)
                && l.Contains(": " + row.Field, StringComparison.Ordinal)
                && (row.MessageContains is null || l.Contains(row.MessageContains, StringComparison.Ordinal))).ToList();
            Assert.That(named, Is.Not.Empty,
                $"no '{severity.Trim()}' line naming '{row.Subject}' and '{row.Field}'" +
                (row.MessageContains is null ? "" : $" saying '{row.MessageContains}'") + "\n" + context);

            var clusterDirectories = ClusterDirectories(output);
            var expected = renders ? new[] { GoodDirectory, row.BadDirectory } : [GoodDirectory];
            Assert.That(clusterDirectories, Is.EquivalentTo(expected), "folders written\n" + context);

            var good = ReadTree(Path.Combine(output, GoodDirectory));
            Assert.That(good.Keys, Is.EquivalentTo(_reference.Keys), "the good Cluster's files");
            foreach (var (name, bytes) in _reference)
            {
                Assert.That(good.GetValueOrDefault(name), Is.EqualTo(bytes), $"{GoodDirectory}/{name} differs from the good Cluster rendered alone");
            }
        });
    }

    private async Task<(int Exit, string Stdout, string Stderr)> Run(string clusters, string output, string cilium, string[] extra)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await CliApp.RunAsync(
            ["render", clusters, "--out", output, "--cilium", cilium, "--chart-directory", _chart, "--templates", _templates, .. extra], stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>
    /// A test-only /bin/sh stand-in: the fake in <paramref name="mode"/> when the values file is the bad Cluster's
    /// (its cluster.name is "broken"), a normal replay otherwise, so one run shows the good Cluster unaffected.
    /// </summary>
    private static string MisbehaveForTheBadCluster(string directory, string mode)
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Ignore("The stand-in is a /bin/sh script.");
        }

        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "cilium");
        File.WriteAllText(path, $"""
            #!/bin/sh
            # Test-only stand-in for the Cilium CLI: misbehaves only for the Cluster named "broken".
            mode=replay
            previous=
            for argument in "$@"; do
              if [ "$previous" = "--values" ] && grep -q '"broken"' "$argument"; then mode={Quote(mode)}; fi
              previous=$argument
            done
            exec {Quote(FakeCiliumCli.BinaryPath)} "--fake-mode=$mode" "$@"

            """);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return path;
    }

    private static string Quote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>namespace/cluster folders under the output, ordinal order.</summary>
    private static string[] ClusterDirectories(string output) => Directory.Exists(output)
        ? Directory.GetDirectories(output).SelectMany(Directory.GetDirectories)
            .Select(d => Path.GetRelativePath(output, d).Replace('\\', '/')).Order(StringComparer.Ordinal).ToArray()
        : [];

    private static Dictionary<string, byte[]> ReadTree(string directory) => Directory.Exists(directory)
        ? Directory.GetFiles(directory, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(directory, f), File.ReadAllBytes, StringComparer.Ordinal)
        : [];

    private static string Clip(string text) => text.Length <= 4000 ? text : text[..4000] + $"... ({text.Length} chars)";
}
