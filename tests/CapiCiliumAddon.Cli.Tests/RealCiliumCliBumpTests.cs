using System.Text.RegularExpressions;
using CapiCiliumAddon.Rendering.CiliumCli;
using CapiCiliumAddon.Testing;
using YamlDotNet.RepresentationModel;

namespace CapiCiliumAddon.Cli.Tests;

/// <summary>
/// Opt-in: `bump` with the REAL Cilium CLI (CILIUM_CLI) over every adjacent pair of the real charts at hand (those in
/// CILIUM_CHART_DIRECTORY and, when REAL_TOOLS_CHARTS is set, every `&lt;version&gt;/cilium` below it, pre-releases
/// included). For each move the summary must name every cilium-config key that `capi-cilium diff` of the trees before
/// and after shows, and every chart default that changed and that the Clusters do not set, both worked out here
/// independently of bump's own code: from diff's output and from the two values.yaml files.
/// </summary>
[Category("RealCiliumCli")]
public partial class RealCiliumCliBumpTests
{
    private TempDirectory _temp = null!;

    [SetUp]
    public void SetUp()
    {
        var missing = new Dictionary<string, string>
        {
            ["CILIUM_CLI"] = "a real Cilium CLI",
            ["CILIUM_CHART_DIRECTORY"] = "':'-separated unpacked Cilium charts",
        }.Where(v => Environment.GetEnvironmentVariable(v.Key) is not { Length: > 0 }).Select(v => $"{v.Key} ({v.Value})").ToList();
        if (missing.Count > 0)
        {
            Assert.Ignore($"skipped: set {string.Join(" and ", missing)} to bump between real charts; REAL_TOOLS_CHARTS adds every chart below it as <version>/cilium");
        }

        _temp = new TempDirectory();
    }

    [TearDown]
    public void TearDown() => _temp?.Dispose();

    /// <summary>Every real chart at hand, oldest first, one per version.</summary>
    private static List<ChartDirectory> Charts()
    {
        var paths = Environment.GetEnvironmentVariable("CILIUM_CHART_DIRECTORY")!.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).ToList();
        if (Environment.GetEnvironmentVariable("REAL_TOOLS_CHARTS") is { Length: > 0 } all)
        {
            paths.AddRange(Directory.GetDirectories(all).Select(d => Path.Combine(d, "cilium")).Where(Directory.Exists));
        }

        return paths.Select(ChartDirectory.Load).DistinctBy(c => c.Version).OrderBy(c => c.Version).ToList();
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> Run(params string[] args) => await CommandRunner.Run(args);

    [Test]
    public async Task EveryMoveBetweenTheRealChartsNamesTheChangedConfigKeysAndTheChartDefaultsTheClustersDoNotSet()
    {
        var charts = Charts();
        if (charts.Count < 2)
        {
            Assert.Ignore($"skipped: only {charts.Count} chart at hand; a move needs two");
        }

        foreach (var (from, to) in charts.Zip(charts.Skip(1)))
        {
            var pair = $"{from.Version} → {to.Version}";
            await TestContext.Out.WriteLineAsync($"bump {pair}");
            var work = _temp.Combine($"{from.Version}-{to.Version}");
            var clusters = Path.Combine(work, "clusters");
            Directory.CreateDirectory(clusters);
            foreach (var file in Directory.GetFiles(Path.Combine(RepositoryPaths.Root, "hack", "examples", "clusters")))
            {
                File.Copy(file, Path.Combine(clusters, Path.GetFileName(file)));
            }

            string[] chartsGiven = ["--chart-directory", from.Path, "--chart-directory", to.Path];
            var tree = Path.Combine(work, "tree");
            var render = await Run(["render", clusters, "--out", tree, "--cilium-version", from.Version.ToString(), .. chartsGiven]);
            Assert.That(render.Exit, Is.EqualTo(0), $"{pair}: {render.Stderr}");
            var before = Path.Combine(work, "before");
            CopyTree(tree, before);

            var bump = await Run(["bump", "--to", to.Version.ToString(), clusters, "--out", tree, .. chartsGiven]);

            Assert.That(bump.Exit, Is.EqualTo(0), $"{pair}: {bump.Stderr}");
            Assert.That(bump.Stdout, Does.Contain($"Cilium {from.Version} → {to.Version}: 2 Clusters"), pair);

            var diff = await Run("diff", before, tree);
            Assert.That(diff.Exit, Is.EqualTo(1), $"{pair}: the trees differ");
            var configKeys = ConfigKeysIn(diff.Stdout);
            var named = KeysOfSection(bump.Stdout, "cilium-config");
            Assert.That(configKeys, Is.Not.Empty, $"{pair}: diff shows cilium-config changes");
            Assert.That(configKeys.Except(named), Is.Empty, $"{pair}: every cilium-config key that diff shows\n{bump.Stdout}");

            var defaults = ChangedDefaults(from.Path, to.Path);
            var set = ValuesSetIn(tree);
            var silent = defaults.Where(key => !set.Any(s => key == s || key.StartsWith(s + ".", StringComparison.Ordinal) || s.StartsWith(key + ".", StringComparison.Ordinal))).ToList();
            var listed = KeysOfSection(bump.Stdout, $"Chart defaults {from.Version} → {to.Version} (values.yaml) that these Clusters do not set");
            Assert.That(silent, Is.Not.Empty, $"{pair}: every chart move changes some default");
            Assert.That(silent.Except(listed), Is.Empty, $"{pair}: every changed default the Clusters do not set\n{bump.Stdout}");
            Assert.That(listed.Except(silent), Is.Empty, $"{pair}: and no default the Clusters set");
            Assert.That(bump.Stdout, Does.Not.Contain("not compared"), pair);
        }
    }

    /// <summary>The keys of cilium-config that `capi-cilium diff` reports as added, removed or changed.</summary>
    private static HashSet<string> ConfigKeysIn(string diff)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        var inConfig = false;
        foreach (var line in diff.Split('\n'))
        {
            if (line.StartsWith("  ~ ", StringComparison.Ordinal))
            {
                inConfig = line.StartsWith("  ~ v1 ConfigMap kube-system/cilium-config", StringComparison.Ordinal);
            }
            else if (inConfig && DiffDataLine().Match(line) is { Success: true } match)
            {
                keys.Add(match.Groups["plain"].Success ? match.Groups["plain"].Value : match.Groups["bracketed"].Value);
            }
        }

        return keys;
    }

    /// <summary>The keys a section of bump's text summary lists ("    ~ key   value").</summary>
    private static HashSet<string> KeysOfSection(string stdout, string title)
    {
        var lines = stdout.Split('\n');
        var start = Array.IndexOf(lines, $"  {title}:");
        Assert.That(start, Is.GreaterThanOrEqualTo(0), $"no section '{title}' in:\n{stdout}");
        return lines.Skip(start + 1)
            .TakeWhile(l => l.StartsWith("    ", StringComparison.Ordinal))
            .Select(l => SummaryLine().Match(l))
            .Where(m => m.Success)
            .Select(m => m.Groups["key"].Value)
            .ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// Keys whose default differs between the two charts' values.yaml, by dotted path to each leaf (a scalar, a list,
    /// an empty map), image references aside (the summary counts them).
    /// </summary>
    private static List<string> ChangedDefaults(string fromChart, string toChart)
    {
        var before = Flatten(Load(Path.Combine(fromChart, "values.yaml")));
        var after = Flatten(Load(Path.Combine(toChart, "values.yaml")));
        return before.Keys.Union(after.Keys)
            .Where(key => before.GetValueOrDefault(key) != after.GetValueOrDefault(key))
            .Where(key => !key.Split('.').Any(segment => segment.EndsWith("image", StringComparison.OrdinalIgnoreCase)))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Every key of every values file the new tree holds: what the Clusters' renders set.</summary>
    private static HashSet<string> ValuesSetIn(string tree) =>
        Directory.GetFiles(tree, "cilium-values.yaml", SearchOption.AllDirectories)
            .SelectMany(file => Flatten(Load(file)).Keys)
            .ToHashSet(StringComparer.Ordinal);

    private static YamlMappingNode Load(string file)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(file)));
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    private static Dictionary<string, string> Flatten(YamlMappingNode root)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        void Walk(YamlNode node, string path)
        {
            if (node is YamlMappingNode map && map.Children.Count > 0)
            {
                foreach (var (key, value) in map.Children)
                {
                    Walk(value, path.Length == 0 ? ((YamlScalarNode)key).Value! : $"{path}.{((YamlScalarNode)key).Value}");
                }

                return;
            }

            result[path] = Serialise(node);
        }

        Walk(root, "");
        return result;
    }

    private static string Serialise(YamlNode node) => node switch
    {
        YamlScalarNode s => s.Value ?? "",
        YamlSequenceNode seq => "[" + string.Join(",", seq.Children.Select(Serialise)) + "]",
        YamlMappingNode map => "{" + string.Join(",", map.Children.Select(e => Serialise(e.Key) + ":" + Serialise(e.Value))) + "}",
        _ => node.ToString(),
    };

    private static void CopyTree(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    [GeneratedRegex(@"^      [~+-] data(\.(?<plain>[A-Za-z_][A-Za-z0-9_-]*)|\[(?<bracketed>[^\]]+)\]):")]
    private static partial Regex DiffDataLine();

    [GeneratedRegex(@"^    [~+-] (?<key>\S+)")]
    private static partial Regex SummaryLine();
}
