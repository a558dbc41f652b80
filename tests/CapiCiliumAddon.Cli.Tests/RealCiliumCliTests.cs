using CapiCiliumAddon.Testing;

namespace CapiCiliumAddon.Cli.Tests;

/// <summary>
/// Opt-in: runs `render` against the REAL Cilium CLI named by CILIUM_CLI (and, for an offline render, the unpacked
/// chart in CILIUM_CHART_DIRECTORY). Everything else in the suite uses the fake that replays recorded runs; these
/// tests are how a developer with the real tools proves the recordings still describe them.
/// </summary>
[Category("RealCiliumCli")]
public class RealCiliumCliTests
{
    private TempDirectory _temp = null!;

    [SetUp]
    public void SetUp()
    {
        if (Environment.GetEnvironmentVariable("CILIUM_CLI") is not { Length: > 0 })
        {
            Assert.Ignore("skipped: set CILIUM_CLI to a real Cilium CLI (and CILIUM_CHART_DIRECTORY to an unpacked chart) to run the end-to-end render tests");
        }

        _temp = new TempDirectory();
    }

    [TearDown]
    public void TearDown() => _temp?.Dispose();

    private async Task<(int Exit, string Stdout, string Stderr)> Render(string clusters, string output)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await CliApp.RunAsync(["render", clusters, "--out", output], stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Test]
    public async Task TheShippedExamplesRenderAndPassEveryCheckTwiceIdentically()
    {
        var examples = Path.Combine(RepositoryPaths.Root, "hack", "examples", "clusters");

        var first = await Render(examples, _temp.Combine("one"));
        var second = await Render(examples, _temp.Combine("two"));

        Assert.That(first.Exit, Is.EqualTo(0), first.Stderr);
        Assert.That(second.Exit, Is.EqualTo(0), second.Stderr);
        var files = Directory.GetFiles(_temp.Combine("one"), "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(_temp.Combine("one"), f)).Order(StringComparer.Ordinal).ToList();
        Assert.That(files, Is.Not.Empty);
        foreach (var file in files)
        {
            Assert.That(File.ReadAllBytes(_temp.Combine("two", file)), Is.EqualTo(File.ReadAllBytes(_temp.Combine("one", file))), file);
        }

        var configMap = File.ReadAllText(_temp.Combine("one", "metal3", "site-a-prod", "configmap-site-a-prod-cilium.yaml"));
        Assert.That(configMap, Does.Contain("value: \"192.168.111.249\"").Or.Contain("value: 192.168.111.249"));
    }

    [Test]
    public async Task ANotReadyClusterGetsNothingWithTheRealCliToo()
    {
        Directory.CreateDirectory(_temp.Combine("clusters"));
        File.WriteAllText(_temp.Combine("clusters", "c.yaml"), RenderCommandTests.Cluster("pending", "host: \"\"\n    port: 0"));

        var (exit, stdout, _) = await Render(_temp.Combine("clusters"), _temp.Combine("out"));

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(stdout, Does.Contain("not ready: metal3/pending"));
        Assert.That(Directory.Exists(_temp.Combine("out")), Is.False);
    }
}
