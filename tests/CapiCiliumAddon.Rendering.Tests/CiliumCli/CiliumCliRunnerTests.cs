using CapiCiliumAddon.Rendering.CiliumCli;
using CapiCiliumAddon.Rendering.Planning;
using CapiCiliumAddon.Rendering.Settings;
using CapiCiliumAddon.Rendering.Tests.Clusters;
using CapiCiliumAddon.Testing;

namespace CapiCiliumAddon.Rendering.Tests.CiliumCli;

public class CiliumCliRunnerTests
{
    private TempDirectory _temp = null!;

    [SetUp]
    public void SetUp() => _temp = new TempDirectory();

    [TearDown]
    public void TearDown() => _temp.Dispose();

    internal static RenderPlan BareMetalPlan(string version = "1.18.12", ChartDirectory? chart = null, string yaml = "")
    {
        var facts = ClusterReaderTests.Read(yaml.Length > 0 ? yaml : ClusterReaderTests.ClusterYaml()).Facts!;
        var planner = new RenderPlanner(new PlanContext(new ProfileLibrary(null), chart is null ? [] : [chart],
            CiliumVersion.Parse(version), "v0.19.7-12-ge694be34c", "0.1.0"));
        return ((PlanOutcome.Ready)planner.Plan(facts, new Dictionary<string, IReadOnlyDictionary<string, string>>())).Plan;
    }

    private CiliumCliRunner Runner(string mode = "replay", TimeSpan? timeout = null, int? maxOutput = null) =>
        new(new CiliumCliOptions(FakeCiliumCli.CreateWrapper(_temp.Combine("bin"), mode, _temp.Combine("record")))
        {
            Timeout = timeout ?? TimeSpan.FromSeconds(30),
            MaxOutputBytes = maxOutput ?? 16 * 1024 * 1024,
        });

    private ChartDirectory Chart(string version) =>
        ChartDirectory.Load(FakeChart.Create(_temp.Combine($"chart-{version}"), version));

    [Test]
    public void TheArgvIsAListWithTheValuesFileAndNoSetStrings()
    {
        Golden.AssertMatches(string.Join("\n", CiliumCliInvocation.DryRunArguments("/charts/cilium", "1.18.12", "/tmp/w/values.json")) + "\n", "argv-chart-directory.txt");
        Golden.AssertMatches(string.Join("\n", CiliumCliInvocation.DryRunArguments(null, "1.18.12", "/tmp/w/values.json")) + "\n", "argv-version.txt");
    }

    [Test]
    public void TheValuesFileIsCanonical()
    {
        Golden.AssertMatches(BareMetalPlan().Values.ToValuesFile(), "values-baremetal.json");
    }

    [Test]
    public async Task RendersThroughTheCliWithoutLeakingTheParentsClusterEnvironment()
    {
        Environment.SetEnvironmentVariable("KUBERNETES_SERVICE_HOST", "10.96.0.1");
        Environment.SetEnvironmentVariable("CILIUM_NAMESPACE", "elsewhere");
        try
        {
            var plan = BareMetalPlan(chart: Chart("1.18.12"));
            var result = await Runner().RenderAsync(plan, CancellationToken.None);

            Assert.That(result.Failure, Is.Null, () => result.Failure!.ToString());
            Assert.That(result.Manifest, Does.Contain("value: \"10.250.250.29\""));
            var invocation = FakeCiliumCli.ReadInvocations(_temp.Combine("record")).Single();
            // PWD is added by the test's /bin/sh wrapper around the fake, not by the runner.
            Assert.That(invocation.Environment.Keys, Is.EquivalentTo(new[] { "HOME", "KUBECONFIG", "PATH", "PWD", "TMPDIR", "XDG_CACHE_HOME", "XDG_CONFIG_HOME" }));
            Assert.That(File.Exists(invocation.Environment["KUBECONFIG"]), Is.False, "the private work directory is removed afterwards");
            var values = invocation.ValuesFiles.Single();
            Assert.That(values.UnixMode, Is.EqualTo("600"));
            Assert.That(values.Content, Is.EqualTo(plan.Values.ToValuesFile()));
            Assert.That(File.Exists(values.Path), Is.False, "the values file is removed after the run");
            Assert.That(invocation.Argv, Does.Not.Contain("--set").And.Not.Contain("--version"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("KUBERNETES_SERVICE_HOST", null);
            Environment.SetEnvironmentVariable("CILIUM_NAMESPACE", null);
        }
    }

    [Test]
    public async Task AFailingCliIsQuotedInTheProblem()
    {
        var result = await Runner("fail:execution error at (cilium/templates/cilium-configmap.yaml:82:5): boom").RenderAsync(BareMetalPlan(), CancellationToken.None);

        Assert.That(result.Manifest, Is.Null);
        Assert.That(result.Failure!.Subject, Is.EqualTo("metal3/capi-1"));
        Assert.That(result.Failure.Message, Is.EqualTo("the Cilium CLI failed (exit 1): Unable to install Cilium: execution error at (cilium/templates/cilium-configmap.yaml:82:5): boom"));
    }

    [Test]
    public async Task AHangingCliIsKilledAtTheTimeout()
    {
        var result = await Runner("hang", timeout: TimeSpan.FromSeconds(2)).RenderAsync(BareMetalPlan(), CancellationToken.None);

        Assert.That(result.Failure!.Message, Does.Contain("did not finish within 2 s and was killed"));
    }

    [Test]
    public async Task HugeOutputIsCutOffNotBuffered()
    {
        var result = await Runner("huge:50", maxOutput: 4 * 1024 * 1024).RenderAsync(BareMetalPlan(), CancellationToken.None);

        Assert.That(result.Failure!.Message, Does.Contain("printed more than 4 MiB and was killed"));
    }

    [Test]
    public async Task ReportsTheCliVersion()
    {
        Assert.That(await Runner().GetVersionAsync(CancellationToken.None), Is.EqualTo("v0.19.7-12-ge694be34c"));
    }

    [Test]
    public void AMissingCliSaysHowToProvideIt()
    {
        var error = Assert.Throws<CiliumCliNotFoundException>(() => CiliumCliLocator.Locate(null, name => name == "PATH" ? _temp.Path : null));

        Assert.That(error!.Message, Does.Contain("--install-cilium-cli").And.Contain("--cilium").And.Contain("CILIUM_CLI"));
    }

    [Test]
    public void AChartDirectoryWithoutChartYamlIsRefused()
    {
        var error = Assert.Throws<ChartDirectoryException>(() => ChartDirectory.Load(_temp.Path));
        Assert.That(error!.Message, Does.Contain("has no Chart.yaml"));
    }
}
