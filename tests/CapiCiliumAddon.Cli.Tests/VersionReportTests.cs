using CapiCiliumAddon.Cli.Commands;
using CapiCiliumAddon.Testing;

namespace CapiCiliumAddon.Cli.Tests;

/// <summary>`capi-cilium --version`: the tool, then the Cilium CLI and charts a render would use here.</summary>
public sealed class VersionReportTests : FakeCiliumTest
{
    [Test]
    public async Task VersionNamesTheToolTheCiliumCliAndEveryChart()
    {
        var older = FakeChart.Create(Temp.Combine("charts", "1.18.12"), "1.18.12");
        var newer = FakeChart.Create(Temp.Combine("charts", "1.19.6"), "1.19.6");

        var (exit, output, error) = await Report(new() { ["CILIUM_CLI"] = Cilium, ["CILIUM_CHART_DIRECTORY"] = $"{older}:{newer}" });

        Assert.That(exit, Is.Zero, error);
        Assert.That(output.Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(new[]
        {
            $"capi-cilium {RenderEnvironmentOptions.ToolVersion}",
            $"cilium-cli v0.19.7-12-ge694be34c {Cilium}",
            $"cilium-chart 1.18.12 {older}",
            $"cilium-chart 1.19.6 {newer}",
        }));
    }

    [Test]
    public async Task WithoutACiliumCliOrChartsVersionSaysSoAndSucceeds()
    {
        var (exit, output, _) = await Report(new() { ["PATH"] = Temp.Combine("empty") });

        Assert.That(exit, Is.Zero);
        Assert.That(output, Does.Contain("cilium-cli none: the Cilium CLI was not found on PATH; pass --install-cilium-cli"));
        Assert.That(output, Does.Contain("cilium-chart none: CILIUM_CHART_DIRECTORY names no chart folder"));
    }

    [Test]
    public async Task AChartFolderThatCannotBeReadIsAnError()
    {
        var good = FakeChart.Create(Temp.Combine("charts", "1.19.6"), "1.19.6");
        var missing = Temp.Combine("charts", "nothing-here");

        var (exit, output, error) = await Report(new() { ["CILIUM_CLI"] = Cilium, ["CILIUM_CHART_DIRECTORY"] = $"{missing}:{good}" });

        Assert.That(exit, Is.EqualTo(CliApp.Failure));
        Assert.That(error, Does.Contain($"error: CILIUM_CHART_DIRECTORY: chart directory {missing}: has no Chart.yaml"));
        Assert.That(output, Does.Contain($"cilium-chart 1.19.6 {good}"), "the charts that can be read are still listed");
    }

    [Test]
    public async Task TheVersionOptionPrintsTheReport()
    {
        var output = new StringWriter();

        var exit = await CliApp.RunAsync(["--version"], output, new StringWriter());

        Assert.That(output.ToString(), Does.StartWith($"capi-cilium {RenderEnvironmentOptions.ToolVersion}\ncilium-"));
        Assert.That(exit, Is.EqualTo(CliApp.Success).Or.EqualTo(CliApp.Failure));
    }

    private static async Task<(int Exit, string Output, string Error)> Report(Dictionary<string, string> environment)
    {
        var output = new StringWriter { NewLine = "\n" };
        var error = new StringWriter { NewLine = "\n" };
        var exit = await VersionReport.WriteAsync(output, error, name => environment.GetValueOrDefault(name), CancellationToken.None);
        return (exit, output.ToString(), error.ToString());
    }
}
