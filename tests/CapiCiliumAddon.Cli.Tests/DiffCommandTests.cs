using System.CommandLine;
using System.Runtime.CompilerServices;
using CapiCiliumAddon.Cli.Commands;
using CapiCiliumAddon.Rendering;
using CapiCiliumAddon.Rendering.Addons;
using CapiCiliumAddon.Rendering.Manifests;
using CapiCiliumAddon.Rendering.Output;
using NUnit.Framework;

namespace CapiCiliumAddon.Cli.Tests;

[TestFixture]
public sealed class DiffCommandTests
{
    private string _temp = "";

    [SetUp]
    public void CreateTemp() => _temp = Directory.CreateTempSubdirectory("diff-command-tests-").FullName;

    [TearDown]
    public void DeleteTemp() => Directory.Delete(_temp, recursive: true);

    private static string Recording(string name)
    {
        var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (dir is not null && !Directory.Exists(Path.Combine(dir.FullName, "tests", "fixtures", "cilium-cli")))
        {
            dir = dir.Parent;
        }
        return Path.Combine(dir!.FullName, "tests", "fixtures", "cilium-cli", name, "stdout.yaml");
    }

    private static async Task<(int Exit, string Out, string Err)> Run(params string[] args)
    {
        var root = new RootCommand("test root") { DiffCommand.Create() };
        var output = new StringWriter { NewLine = "\n" };
        var error = new StringWriter { NewLine = "\n" };
        var exit = await root.Parse(["diff", .. args]).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    [TestCase("1.17", "1.18", "text", "diff-1.17-1.18.txt")]
    [TestCase("1.18", "1.20", "text", "diff-1.18-1.20.txt")]
    [TestCase("1.17", "1.18", "markdown", "diff-1.17-1.18.md")]
    [TestCase("1.18", "1.20", "markdown", "diff-1.18-1.20.md")]
    public async Task RecordedVersionUpgrade_MatchesGolden(string oldVersion, string newVersion, string format, string golden)
    {
        var (exit, output, error) = await Run(
            Recording($"baremetal-native-bgp-{oldVersion}"), Recording($"baremetal-native-bgp-{newVersion}"), "--format", format);

        Assert.That(error, Is.Empty);
        Assert.That(exit, Is.EqualTo(DiffCommand.ExitDifferences));
        CapiCiliumAddon.Testing.Golden.AssertMatches(output, golden);
    }

    [Test]
    public async Task TwoOfOurOwnOutputTreesDiffWithoutWarningsAboutTheirKustomization()
    {
        foreach (var (side, version) in new[] { ("old", "1.18"), ("new", "1.20") })
        {
            var manifest = RenderedManifest.Parse(File.ReadAllText(Recording($"baremetal-native-bgp-{version}")), "metal3/capi-1").Manifest!;
            var objects = AddonObjectsBuilder.Build(new AddonIdentity("metal3", "capi-1", AddonKeys.SelectorLabelFor("capi-1")),
                manifest, new Dictionary<string, string>(), AddonLimits.Default);
            var folder = Path.Combine(_temp, side, "metal3", "capi-1");
            Directory.CreateDirectory(folder);
            foreach (var (name, content) in ManifestTree.Files(objects))
            {
                File.WriteAllText(Path.Combine(folder, name), content);
            }
        }

        var (exit, output, error) = await Run(Path.Combine(_temp, "old"), Path.Combine(_temp, "new"));

        Assert.That(File.Exists(Path.Combine(_temp, "new", "metal3", "capi-1", ManifestTree.KustomizationFileName)), Is.True);
        Assert.That(error, Is.Empty);
        Assert.That(exit, Is.EqualTo(DiffCommand.ExitDifferences));
        Assert.That(output, Does.Contain("Role kube-system/cilium-operator-ztunnel"));
    }

    [Test]
    public async Task ConfigMapWrappedRenders_MatchGolden()
    {
        var old = Path.Combine(_temp, "old");
        var @new = Path.Combine(_temp, "new");
        Directory.CreateDirectory(Path.Combine(old, "metal3", "capi-1"));
        Directory.CreateDirectory(Path.Combine(@new, "metal3", "capi-1"));
        File.WriteAllText(Path.Combine(old, "metal3", "capi-1", "cilium.yaml"), Wrap(Recording("baremetal-native-bgp-1.17"), "1.17.18"));
        File.WriteAllText(Path.Combine(@new, "metal3", "capi-1", "cilium.yaml"), Wrap(Recording("baremetal-native-bgp-1.18"), "1.18.12"));

        var (exit, output, error) = await Run(old, @new);

        Assert.That((exit, error), Is.EqualTo((1, "")));
        CapiCiliumAddon.Testing.Golden.AssertMatches(output, "diff-wrapped-1.17-1.18.txt");
    }

    /// <summary>Our product's ConfigMap shape around a raw render, one `NNN-kind-name.yaml` key per object.</summary>
    private static string Wrap(string render, string version)
    {
        var sb = new System.Text.StringBuilder();
        sb.Append("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: capi-1-cilium\n  namespace: metal3\n  annotations:\n");
        sb.Append($"    addon.capi-cilium.io/cilium-version: \"{version}\"\n    addon.capi-cilium.io/input-hash: \"sha256:{version}\"\ndata:\n");
        var index = 0;
        foreach (var document in File.ReadAllText(render).Split("---\n").Where(d => d.Trim().Length > 0))
        {
            var kind = System.Text.RegularExpressions.Regex.Match(document, "^kind: (\\S+)$", System.Text.RegularExpressions.RegexOptions.Multiline).Groups[1].Value;
            var name = System.Text.RegularExpressions.Regex.Match(document, "^  name: \"?([^\"\\s]+)\"?", System.Text.RegularExpressions.RegexOptions.Multiline).Groups[1].Value;
            sb.Append($"  {++index:D3}-{kind.ToLowerInvariant()}-{name}.yaml: |\n");
            foreach (var line in document.TrimEnd('\n').Split('\n'))
            {
                sb.Append(line.Length == 0 ? "" : "    " + line).Append('\n');
            }
        }
        return sb.ToString();
    }

    [TestCase("text")]
    [TestCase("markdown")]
    public async Task IdenticalInputs_NoDifferences_ExitZero(string format)
    {
        var render = Recording("baremetal-native-bgp-1.18");
        var copy = Path.Combine(_temp, "copy.yaml");
        File.Copy(render, copy);

        var (exit, output, error) = await Run(render, copy, "--format", format);

        Assert.That((exit, output, error), Is.EqualTo((0, "No differences.\n", "")));
    }

    [Test]
    public async Task FormatDefaultsToPlainText()
    {
        var (exit, output, _) = await Run(Recording("baremetal-native-bgp-1.17"), Recording("baremetal-native-bgp-1.18"));

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(output, Does.StartWith("0 removed, 0 added, "));
        Assert.That(output, Does.Not.Contain("\u001b["), "no colour codes when the output is not a terminal");
    }

    [Test]
    public async Task UnparsableYaml_IsAnError_NamingFileAndLine_ExitTwo()
    {
        var bad = Path.Combine(_temp, "bad.yaml");
        File.WriteAllText(bad, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels: {a: b\n");

        var (exit, output, error) = await Run(Recording("baremetal-native-bgp-1.18"), bad);

        Assert.That(exit, Is.EqualTo(DiffCommand.ExitError));
        Assert.That(output, Is.Empty);
        Assert.That(error, Does.Match($"^error: {System.Text.RegularExpressions.Regex.Escape(bad)}:\\d+:\\d+: invalid YAML: "));
    }

    [Test]
    public async Task MissingPath_IsAnError_ExitTwo()
    {
        var missing = Path.Combine(_temp, "missing");

        var (exit, _, error) = await Run(missing, Recording("baremetal-native-bgp-1.18"));

        Assert.That(exit, Is.EqualTo(DiffCommand.ExitError));
        Assert.That(error, Is.EqualTo($"error: {missing}: no such file or directory\n"));
    }

    [Test]
    public async Task UnknownFormat_IsRejected()
    {
        var render = Recording("baremetal-native-bgp-1.18");
        var (exit, _, error) = await Run(render, render, "--format", "html");

        Assert.That(exit, Is.Not.EqualTo(0));
        Assert.That(error, Does.Contain("html"));
    }

    [Test]
    public async Task Help_DescribesOldNewAndExitCodes()
    {
        var (exit, output, _) = await Run("--help");

        Assert.That(exit, Is.EqualTo(0));
        Assert.That(output, Does.Contain("old").And.Contain("new").And.Contain("--format"));
        Assert.That(output, Does.Contain("0 = no differences").And.Contain("1 = differences found").And.Contain("2 = error"));
    }
}
