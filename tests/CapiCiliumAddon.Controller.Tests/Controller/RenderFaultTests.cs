using CapiCiliumAddon.Controller.Hosting;
using CapiCiliumAddon.Controller.Tests.Fakes;
using CapiCiliumAddon.Kubernetes;
using CapiCiliumAddon.Rendering.CiliumCli;
using CapiCiliumAddon.Rendering.Pipeline;
using CapiCiliumAddon.Rendering.Planning;
using CapiCiliumAddon.Rendering.Settings;
using CapiCiliumAddon.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace CapiCiliumAddon.Controller.Tests.Controller;

/// <summary>
/// Faults with the REAL rendering core behind the controller: a Cilium CLI that crashes and then recovers (slowly),
/// and an API server that refuses connections for a while. After the faults clear, every Cluster converges.
/// </summary>
[TestFixture]
[CancelAfter(120_000)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RenderFaultTests
{
    private TempDirectory _temp = null!;

    [SetUp]
    public void SetUp() => _temp = new TempDirectory();

    [TearDown]
    public void TearDown() => _temp.Dispose();

    /// <summary>A CLI whose behaviour the test switches at run time through a file (test-only shell script).</summary>
    private string SwitchableCli(string initialMode)
    {
        var modeFile = _temp.Combine("mode");
        File.WriteAllText(modeFile, initialMode);
        var script = _temp.Combine("cilium");
        File.WriteAllText(script, $"#!/bin/sh\nmode=$(cat '{modeFile}')\nexec '{FakeCiliumCli.BinaryPath}' \"--fake-mode=$mode\" \"$@\"\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return script;
    }

    private async Task<CoreClusterAddonRenderer> RealRenderer(string cli)
    {
        var runner = new CiliumCliRunner(new CiliumCliOptions(cli) { Timeout = TimeSpan.FromSeconds(20) });
        var chart = ChartDirectory.Load(FakeChart.Create(_temp.Combine("chart"), "1.18.12"));
        var context = new PlanContext(new ProfileLibrary(null), [chart], null, await runner.GetVersionAsync(CancellationToken.None), "0.1.0");
        return new CoreClusterAddonRenderer(new RenderPlanner(context), new AddonRenderPipeline(runner));
    }

    private static ControllerOptions Fast() => new()
    {
        BackoffBase = TimeSpan.FromMilliseconds(20),
        BackoffMax = TimeSpan.FromMilliseconds(300),
        InformerMinBackoff = TimeSpan.FromMilliseconds(10),
        InformerMaxBackoff = TimeSpan.FromMilliseconds(200),
        ShutdownTimeout = TimeSpan.FromSeconds(20),
    };

    [Test]
    public async Task TheControllersObjectsCarryHelmOwnershipAndTheDayTwoAnnotations()
    {
        var fake = new FakeKubernetesClient();
        fake.Seed(ResourceType.Cluster, Objects.Cluster("metal3", "capi-1"));
        using var host = ControllerHost.Build(Fast(), fake, await RealRenderer(SwitchableCli("replay")), NullLoggerFactory.Instance);
        await host.StartAsync();
        await FakeKubernetesClient.WaitUntilAsync(() => fake.Peek(ResourceType.ClusterResourceSet, "metal3", "capi-1-cilium") is not null);
        await host.StopAsync();

        var configMap = fake.Peek(ResourceType.ConfigMap, "metal3", "capi-1-cilium")!;
        var data = configMap["data"]!.AsObject().Select(p => p.Value!.GetValue<string>()).ToList();
        Assert.That(data.Count(d => d.Contains("    meta.helm.sh/release-name: \"cilium\"\n", StringComparison.Ordinal)), Is.EqualTo(27), "every chart object");
        Assert.That(data.Single(d => d.Contains("name: hubble-generate-certs-bootstrap", StringComparison.Ordinal)), Does.Not.Contain("meta.helm.sh"));
        var crs = fake.Peek(ResourceType.ClusterResourceSet, "metal3", "capi-1-cilium")!;
        Assert.That((string?)crs["metadata"]!["annotations"]![Rendering.AddonKeys.HelmReleaseNameAnnotation], Is.EqualTo("cilium"));
        Assert.That((string?)crs["metadata"]!["annotations"]![Rendering.AddonKeys.HelmValuesHashAnnotation], Does.StartWith("sha256:"));
    }

    [Test]
    public async Task ACrashingCliIsReportedAndTheClusterConvergesOnceTheCliRecovers()
    {
        var fake = new FakeKubernetesClient();
        fake.Seed(ResourceType.Cluster, Objects.Cluster("metal3", "capi-1"));
        var cli = SwitchableCli("crash");
        using var host = ControllerHost.Build(Fast(), fake, await RealRenderer(cli), NullLoggerFactory.Instance);
        await host.StartAsync();

        await FakeKubernetesClient.WaitUntilAsync(() => fake.All(ResourceType.Event).Any(e => (string?)e["reason"] == "RenderFailed"));
        Assert.That(fake.Peek(ResourceType.ConfigMap, "metal3", "capi-1-cilium"), Is.Null, "a failed render writes nothing");
        Assert.That(fake.All(ResourceType.Event).First(e => (string?)e["reason"] == "RenderFailed")["note"]!.ToString(), Does.Contain("the Cilium CLI failed (exit 2)"));

        File.WriteAllText(_temp.Combine("mode"), "slow:300");
        await FakeKubernetesClient.WaitUntilAsync(() => fake.Peek(ResourceType.ClusterResourceSet, "metal3", "capi-1-cilium") is not null);
        await host.StopAsync();

        var configMap = fake.Peek(ResourceType.ConfigMap, "metal3", "capi-1-cilium")!;
        Assert.That(configMap.ToJsonString(), Does.Contain("10.0.0.10"), "the Cluster's endpoint reached the agents");
    }

    [Test]
    public async Task AnApiServerRefusingConnectionsForAWhileDelaysButDoesNotStopConvergence()
    {
        var fake = new FakeKubernetesClient();
        fake.Seed(ResourceType.Cluster, Objects.Cluster("metal3", "capi-1"));
        fake.Seed(ResourceType.Cluster, Objects.Cluster("metal3", "capi-2", host: "10.0.0.11"));
        fake.FailNext(_ => true, () => new KubernetesConnectionException(new Uri("https://127.0.0.1:6443"), "connection refused", null), 12);
        using var host = ControllerHost.Build(Fast(), fake, await RealRenderer(SwitchableCli("replay")), NullLoggerFactory.Instance);
        await host.StartAsync();

        await FakeKubernetesClient.WaitUntilAsync(() =>
            new[] { "capi-1", "capi-2" }.All(c => fake.Peek(ResourceType.ClusterResourceSet, "metal3", $"{c}-cilium") is not null));
        await host.StopAsync();

        Assert.That(fake.Peek(ResourceType.ConfigMap, "metal3", "capi-2-cilium")!.ToJsonString(), Does.Contain("10.0.0.11"));
    }
}
