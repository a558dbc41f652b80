using System.Globalization;
using CapiCiliumAddon.Rendering.CiliumCli;
using CapiCiliumAddon.Rendering.Manifests;
using CapiCiliumAddon.Rendering.Planning;
using CapiCiliumAddon.Rendering.Settings;
using CapiCiliumAddon.Rendering.Tests.Clusters;

namespace CapiCiliumAddon.Rendering.Tests.Stamping;

/// <summary>Plans for Clusters of one fleet: the bare-metal defaults, each with its own endpoint, port, pod CIDR and name.</summary>
internal static class FleetPlans
{
    public static RenderPlan Plan(IReadOnlyList<ChartDirectory> charts, int i, string version, string? name = null, string? pods = null, string? host = null,
        string? @namespace = null, string cliVersion = "v0.19.7-12-ge694be34c", string releaseName = HelmReleaseIdentity.DefaultName)
    {
        var yaml = ClusterReaderTests.ClusterYaml(
            endpoint: string.Create(CultureInfo.InvariantCulture, $"host: \"{host ?? $"10.{i / 200}.{i % 200}.{10 + i % 7}"}\"\n    port: {6443 + i}"),
            pods: pods ?? $"[\"10.{100 + i % 100}.0.0/16\"]",
            name: name ?? $"capi-{i}");
        var facts = ClusterReaderTests.Read(yaml).Facts!;
        facts = @namespace is null ? facts : facts with { Namespace = @namespace };
        var planner = new RenderPlanner(new PlanContext(new ProfileLibrary(null), charts, CiliumVersion.Parse(version), cliVersion, "0.1.0")
        {
            HelmReleaseName = releaseName,
        });
        var outcome = planner.Plan(facts, new Dictionary<string, IReadOnlyDictionary<string, string>>());
        return outcome is PlanOutcome.Ready ready ? ready.Plan : throw new AssertionException($"not ready: {outcome}");
    }
}
