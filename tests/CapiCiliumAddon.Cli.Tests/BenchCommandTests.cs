using CapiCiliumAddon.Cli.Commands;
using CapiCiliumAddon.Testing;

namespace CapiCiliumAddon.Cli.Tests;

/// <summary>`bench` runs end to end with the fake CLI and reports every field. No timing is asserted: the machine decides those.</summary>
public class BenchCommandTests
{
    private TempDirectory _temp = null!;

    [SetUp]
    public void SetUp() => _temp = new TempDirectory();

    [TearDown]
    public void TearDown() => _temp.Dispose();

    private static Task<(int Exit, string Stdout, string Stderr)> Run(string[] args) => CommandRunner.Run(args);

    [TestCase(false, 3, "stamping: 2 CLI run(s); 2 stamped (2 as finished files), 1 direct, 0 fallback")]
    [TestCase(true, 4, "stamping: off (--no-stamp): 3 CLI run(s)")]
    public async Task RendersThreeClustersWithTwoWorkersAndPrintsTheFields(bool noStamp, int cliRuns, string stamping)
    {
        var cilium = FakeCiliumCli.CreateWrapper(_temp.Combine("bin"), "slow:10", _temp.Combine("record"));

        string[] options = noStamp ? ["--no-stamp"] : [];
        var (exit, stdout, stderr) = await Run(["bench", "--clusters", "3", "--workers", "2", "--calibration-runs", "1", "--cilium", cilium,
            "--keep", _temp.Combine("work"), .. options]);

        Assert.That(exit, Is.EqualTo(0), stdout + stderr);
        Assert.That(stdout, Does.Contain("bench: 3 Cluster(s), 2 worker(s)"));
        Assert.That(stdout, Does.Contain("rendered: 3 of 3, failed: 0"));
        Assert.That(stdout, Does.Contain(stamping));
        foreach (var field in new[] { "t_cli: ", "wall time: ", "per Cluster until finished: ", "renders/s: ", "cpu in this process: ", "ideal N*t_cli/W: ",
                     "ratio wall/ideal: ", "against N sequential CLI runs", "peak working set: " })
        {
            Assert.That(stdout, Does.Contain(field));
        }

        // One calibration run plus the batch's, each through the real runner (a values file, no --set strings).
        var installs = FakeCiliumCli.ReadInvocations(_temp.Combine("record")).Where(i => i.Argv.FirstOrDefault() == "install").ToList();
        Assert.That(installs, Has.Count.EqualTo(cliRuns));
        Assert.That(Directory.GetDirectories(_temp.Combine("work", "out", BenchCommand.Namespace)).Select(Path.GetFileName),
            Is.EqualTo(new[] { "bench-00001", "bench-00002", "bench-00003" }));
    }

    [Test]
    public void GeneratedClustersHaveDistinctEndpointsAndPodCidrs()
    {
        var first = BenchCommand.ClusterYaml(1);
        var last = BenchCommand.ClusterYaml(BenchCommand.MaxClusters);
        Assert.That(first, Does.Contain("host: 10.0.0.1").And.Contain("10.128.1.0/24").And.Contain("name: bench-00001"));
        Assert.That(last, Does.Contain("host: 10.0.127.255").And.Contain("10.255.255.0/24"));
    }
}
