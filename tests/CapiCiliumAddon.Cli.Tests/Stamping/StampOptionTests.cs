using System.Globalization;
using CapiCiliumAddon.Testing;

namespace CapiCiliumAddon.Cli.Tests.Stamping;

/// <summary>Stamping (the default) through the commands: the same trees as with --no-stamp, from two CLI runs per group.</summary>
public class StampOptionTests
{
    private TempDirectory _temp = null!;
    private string _chart117 = null!;
    private string _chart118 = null!;

    [SetUp]
    public void SetUp()
    {
        _temp = new TempDirectory();
        _chart117 = FakeChart.Create(_temp.Combine("chart-1.17"), "1.17.18");
        _chart118 = FakeChart.Create(_temp.Combine("chart-1.18"), "1.18.12");
        Directory.CreateDirectory(_temp.Combine("clusters"));
        File.WriteAllText(_temp.Combine("clusters", "clusters.yaml"), string.Join("---\n", Enumerable.Range(0, 8).Select(i =>
            RenderCommandTests.Cluster($"capi-{i}", string.Create(CultureInfo.InvariantCulture, $"host: 10.0.{i}.10\n    port: {6443 + i}"),
                pods: $"[\"10.{100 + i}.0.0/16\"]"))));
    }

    [TearDown]
    public void TearDown() => _temp.Dispose();

    private async Task<(int Exit, string Stderr, int CliRuns)> Run(string command, string output, params string[] extra)
    {
        var record = _temp.Combine($"record-{command}-{Path.GetFileName(output)}");
        var cilium = FakeCiliumCli.CreateWrapper(_temp.Combine($"bin-{command}-{Path.GetFileName(output)}"), "replay", record);
        string[] args = command == "bump"
            ? ["bump", "--to", "1.18.12", _temp.Combine("clusters"), "--out", output]
            : ["render", _temp.Combine("clusters"), "--out", output, "--cilium-version", "1.17.18"];
        var (exit, _, stderr) = await CommandRunner.Run([.. args, "--cilium", cilium, "--chart-directory", _chart117, "--chart-directory", _chart118, .. extra]);
        return (exit, stderr, FakeCiliumCli.ReadInvocations(record).Count(i => i.Argv.FirstOrDefault() == "install"));
    }

    private static IEnumerable<(string Path, string Content)> Tree(string directory) =>
        Directory.GetFiles(directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(f => (Path.GetRelativePath(directory, f), File.ReadAllText(f)));

    [Test]
    public async Task RenderAndBumpWriteTheSameTreesWithAndWithoutStamping()
    {
        var direct = _temp.Combine("direct");
        var stamped = _temp.Combine("stamped");

        var renders = (await Run("render", direct, "--no-stamp"), await Run("render", stamped));
        var bumps = (await Run("bump", direct, "--no-stamp"), await Run("bump", stamped));

        Assert.That((renders.Item1.Exit, renders.Item2.Exit, bumps.Item1.Exit, bumps.Item2.Exit), Is.EqualTo((0, 0, 0, 0)), renders.Item2.Stderr + bumps.Item2.Stderr);
        Assert.That((renders.Item1.CliRuns, renders.Item2.CliRuns, bumps.Item1.CliRuns, bumps.Item2.CliRuns), Is.EqualTo((8, 2, 8, 2)));
        Assert.That(bumps.Item2.Stderr, Does.Contain(
            "stamping: 7 of 8 Cluster(s) stamped from 1 shared render(s) (7 as finished files, 0 rebuilt from stamped CLI output); 2 Cilium CLI run(s); 0 group(s)"));
        Assert.That(bumps.Item1.Stderr, Does.Not.Contain("stamping:"));
        Assert.That(Tree(stamped), Is.EqualTo(Tree(direct)));
    }

    [Test]
    public async Task CheckAcceptsAStampedTree()
    {
        var stamped = _temp.Combine("stamped");
        Assert.That((await Run("render", stamped)).Exit, Is.EqualTo(0));

        var (exit, stdout, stderr) = await CommandRunner.Run(["check", _temp.Combine("clusters"), "--against", stamped, "--cilium-version", "1.17.18",
            "--cilium", FakeCiliumCli.CreateWrapper(_temp.Combine("bin-check"), "replay", null), "--chart-directory", _chart117, "--chart-directory", _chart118]);

        Assert.That(exit, Is.EqualTo(0), stdout + stderr);
    }
}
