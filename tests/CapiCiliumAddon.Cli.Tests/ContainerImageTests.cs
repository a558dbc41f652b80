using System.Text.RegularExpressions;
using CapiCiliumAddon.Rendering.CiliumCli;
using CapiCiliumAddon.Rendering.Settings;
using CapiCiliumAddon.Testing;
using CapiCiliumAddon.Testing.Containers;

namespace CapiCiliumAddon.Cli.Tests;

/// <summary>
/// What the image holds, checked offline from hack/image/Dockerfile and the Deployment, and how hack/image/build and
/// hack/release/build refuse bad inputs before they build anything. Building and running the image is the opt-in
/// ContainerImageEndToEndTests.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class ContainerImageTests
{
    private static readonly string ImageFolder = Path.Combine(RepositoryPaths.Root, "hack", "image");
    private static readonly string Dockerfile = File.ReadAllText(Path.Combine(ImageFolder, "Dockerfile"));

    private static IReadOnlyList<string> BundledCharts =>
        Regex.Match(Dockerfile, @"CILIUM_CHART_DIRECTORY=(\S+)").Groups[1].Value.Split(':')
            .Select(p => ChartPath().Match(p) is { Success: true } m ? m.Groups[1].Value : throw new AssertionException($"'{p}' is not /charts/cilium/<version>/cilium"))
            .ToList();

    private static Dictionary<string, string> ChartSums =>
        File.ReadAllLines(Path.Combine(ImageFolder, "cilium-charts.sha256")).Where(l => l.Length > 0)
            .Select(l => l.Split("  "))
            .ToDictionary(f => f[1], f => f[0]);

    [Test]
    public void TheImageBundlesTheCiliumCliReleaseTheCodePins() =>
        Assert.That(Regex.Match(Dockerfile, "^ARG CILIUM_CLI_VERSION=(.+)$", RegexOptions.Multiline).Groups[1].Value, Is.EqualTo(CiliumCliRelease.PinnedVersion));

    [Test]
    public void TheImageBundlesTheChartOfTheDefaultVersionAndEveryChartHasAPublishedSha256()
    {
        Assert.That(BundledCharts, Does.Contain(CiliumVersion.Default.ToString()), "unpinned Clusters render at the default version");
        Assert.That(BundledCharts, Is.Ordered.Using<string>((a, b) => CiliumVersion.Parse(a).CompareTo(CiliumVersion.Parse(b))), "oldest first");
        Assert.That(ChartSums.Keys, Is.EquivalentTo(BundledCharts.Select(v => $"cilium-{v}.tgz")));
        Assert.That(ChartSums.Values, Has.All.Matches("^[0-9a-f]{64}$"));
    }

    [Test]
    public void TheImageRunsAsTheDeploymentsUserOnAReadOnlyRootWithAWritableTmp()
    {
        var deployment = DeploymentContainer.Load();

        Assert.That(Regex.Match(Dockerfile, "^USER (.+)$", RegexOptions.Multiline).Groups[1].Value, Is.EqualTo($"{deployment.RunAsUser}:{deployment.RunAsGroup}"));
        Assert.That(deployment.RunAsNonRoot && deployment.ReadOnlyRootFilesystem && !deployment.AllowPrivilegeEscalation, Is.True);
        Assert.That(deployment.DroppedCapabilities, Is.EqualTo(new[] { "ALL" }));
        Assert.That(deployment.TmpMountPath, Is.EqualTo("/tmp"), "the Cilium CLI's runs and .NET need a writable temp folder");
        Assert.That(deployment.Environment.Where(e => e.Name is "HOME" or "TMPDIR").Select(e => e.Value), Has.All.EqualTo("/tmp"));
        Assert.That(deployment.Image, Is.EqualTo("capi-cilium-addon"), "hack/release/build sets the image by this name");
    }

    [Test]
    public void TheDockerfileRunsNothingSoItBuildsOfflineAndOnABaseWithoutAShell()
    {
        Assert.That(Regex.Matches(Dockerfile, "^RUN ", RegexOptions.Multiline), Is.Empty);
        Assert.That(Regex.Matches(Dockerfile, "^FROM ", RegexOptions.Multiline), Has.Count.EqualTo(1), "one stage: the base and what is copied onto it");
        Assert.That(Dockerfile, Does.Contain("ARG BASE_IMAGE=mcr.microsoft.com/dotnet/runtime-deps:10.0-"));
    }

    [Test]
    public async Task TheBuildRefusesAChartArchiveWhoseSha256IsNotKept()
    {
        using var temp = new TempDirectory();
        var archive = temp.Combine("cilium-1.19.6.tgz");
        await File.WriteAllTextAsync(archive, "not the published chart");

        var run = await Build(temp, ["--cilium", FakeCli(temp, "v0.19.7"), "--chart", archive]);

        Assert.That(run.ExitCode, Is.EqualTo(2), run.Describe("build"));
        Assert.That(run.StandardError, Does.Contain($"--chart {archive} has sha256").And.Contain("hack/image/cilium-charts.sha256 does not list"));
    }

    [Test]
    public async Task TheBuildNamesTheChartsItLacks()
    {
        using var temp = new TempDirectory();
        var chart = FakeChart.Create(temp.Combine("chart"), "1.19.6");

        var run = await Build(temp, ["--cilium", FakeCli(temp, "v0.19.7")], chartDirectory: chart);

        Assert.That(run.ExitCode, Is.EqualTo(2), run.Describe("build"));
        var missing = string.Join(' ', BundledCharts.Where(v => v != "1.19.6"));
        Assert.That(run.StandardError, Does.Contain($"missing: {missing}"));
    }

    [Test]
    public async Task TheBuildRefusesAFolderThatIsNotACiliumChart()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Combine("other"));
        await File.WriteAllTextAsync(temp.Combine("other", "Chart.yaml"), "name: hubble\nversion: 1.19.6\n");

        var run = await Build(temp, ["--cilium", FakeCli(temp, "v0.19.7")], chartDirectory: temp.Combine("other"));

        Assert.That(run.ExitCode, Is.EqualTo(2), run.Describe("build"));
        Assert.That(run.StandardError, Does.Contain("names chart 'hubble', not 'cilium'"));
    }

    [TestCase("v0.18.9", "the image pins v0.19.7")]
    [TestCase("v0.19.70", "the image pins v0.19.7")]
    public async Task TheBuildRefusesAnotherCiliumCliRelease(string version, string message)
    {
        using var temp = new TempDirectory();

        var run = await Build(temp, ["--cilium", FakeCli(temp, version)]);

        Assert.That(run.ExitCode, Is.EqualTo(2), run.Describe("build"));
        Assert.That(run.StandardError, Does.Contain($"is cilium-cli {version}; {message}"));
    }

    [TestCase(new[] { "--chart" }, "--chart needs a value")]
    [TestCase(new[] { "--no-such-flag" }, "unknown argument '--no-such-flag'")]
    [TestCase(new[] { "--image", "Registry.Example/UPPER" }, "is not an image repository")]
    public async Task TheBuildRefusesBadArguments(string[] arguments, string message)
    {
        using var temp = new TempDirectory();

        var run = await Build(temp, arguments);

        Assert.That(run.ExitCode, Is.EqualTo(2), run.Describe("build"));
        Assert.That(run.StandardError, Does.Contain(message));
    }

    [Test]
    public async Task TheReleaseRefusesADigestThatIsNotOne()
    {
        var run = await ContainerEngine.RunAsync(Path.Combine(RepositoryPaths.Root, "hack", "release", "build"), ["--digest", "sha256:abc"],
            TimeSpan.FromSeconds(60), RepositoryPaths.Root);

        Assert.That(run.ExitCode, Is.EqualTo(2), run.Describe("release build"));
        Assert.That(run.StandardError, Does.Contain("--digest 'sha256:abc' is not a digest"));
    }

    /// <summary>hack/image/build with no Cilium CLI, chart or engine from the machine: only what the test gives.</summary>
    private static Task<ProcessResult> Build(TempDirectory temp, string[] arguments, string? chartDirectory = null) =>
        ContainerEngine.RunAsync(Path.Combine(ImageFolder, "build"), arguments, TimeSpan.FromSeconds(60), temp.Path, new Dictionary<string, string>
        {
            ["CILIUM_CLI"] = "",
            ["CILIUM_CHART_DIRECTORY"] = chartDirectory ?? "",
            ["CONTAINER_ENGINE"] = "",
        });

    /// <summary>An executable that answers `version --client` as a Cilium CLI of <paramref name="version"/> does.</summary>
    private static string FakeCli(TempDirectory temp, string version)
    {
        var path = temp.Combine("cilium");
        File.WriteAllText(path, $"#!/bin/sh\necho 'cilium-cli: {version} compiled with go1.24.4 on linux/amd64'\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    [GeneratedRegex("^/charts/cilium/([^/]+)/cilium$")]
    private static partial Regex ChartPath();
}
