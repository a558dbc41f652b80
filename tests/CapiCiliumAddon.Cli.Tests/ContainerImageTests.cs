using System.Text.RegularExpressions;
using CapiCiliumAddon.Rendering.CiliumCli;
using CapiCiliumAddon.Rendering.Settings;
using CapiCiliumAddon.Testing;

namespace CapiCiliumAddon.Cli.Tests;

/// <summary>
/// The image cannot be built here (no Docker engine), so what it bundles is checked from the Dockerfile's text: a
/// controller started from it must find the chart of the default Cilium version, and the CLI the code pins.
/// </summary>
public class ContainerImageTests
{
    private static readonly string Dockerfile = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "hack", "Dockerfile"));

    private static string Argument(string name) =>
        Regex.Match(Dockerfile, $@"^ARG {name}=""?([^""\n]*)""?$", RegexOptions.Multiline) is { Success: true } match
            ? match.Groups[1].Value
            : throw new AssertionException($"hack/Dockerfile has no ARG {name}");

    [Test]
    public void TheImageBundlesTheChartOfTheDefaultVersionAndListsEveryBundledChart()
    {
        var bundled = Argument("CILIUM_CHARTS").Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(e => e.Split('=')[0]).ToList();
        var listed = Regex.Match(Dockerfile, @"CILIUM_CHART_DIRECTORY=(\S+)").Groups[1].Value.Split(':');

        Assert.That(bundled, Does.Contain(CiliumVersion.Default.ToString()));
        Assert.That(listed, Is.EqualTo(bundled.Select(v => $"/charts/cilium/{v}/cilium")));
        Assert.That(Argument("CILIUM_CHARTS").Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(e => e.Split('=')[1]),
            Has.All.Matches(@"^[0-9a-f]{64}$"), "every chart is verified by its sha256");
    }

    [Test]
    public void TheImageBundlesTheCiliumCliReleaseTheCodePins() =>
        Assert.That(Argument("CILIUM_CLI_VERSION"), Is.EqualTo(CiliumCliRelease.PinnedVersion));
}
