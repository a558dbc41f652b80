using System.Text;
using System.Text.Json.Nodes;
using CapiCiliumAddon.Kubernetes;
using CapiCiliumAddon.Rendering;
using CapiCiliumAddon.Rendering.Pipeline;

namespace CapiCiliumAddon.Controller.Tests.EndToEnd;

/// <summary>
/// Runs without a cluster, so the parts of the opt-in end-to-end tests that need none are checked on every run: the
/// rendering wiring (real core, fake CLI unless CILIUM_CLI) accepts exactly the Clusters those tests create, renders
/// what their checks expect, and the fake's invocation records count the renders.
/// </summary>
[TestFixture]
[CancelAfter(120_000)]
public sealed class EndToEndWiringTests
{
    private static readonly (string Name, string Host)[] EndToEndClusters =
    [
        ("e2e-before", "10.250.250.11"), ("e2e-after", "10.250.250.12"), ("e2e-pending", "10.250.250.14"),
        ("e2e-unlabel", "10.250.250.15"), ("e2e-le-1", "10.250.250.21"), ("e2e-le-4", "10.250.250.24"),
    ];

    private static JsonObject AsServed(JsonObject cluster)
    {
        cluster["metadata"]!["uid"] = Guid.NewGuid().ToString();
        return JsonNode.Parse(cluster.ToJsonString())!.AsObject();
    }

    [Test]
    public async Task TheEndToEndClustersRenderWithTheRealCoreAndPassTheEndToEndChecks()
    {
        using var rendering = await EndToEndRendering.CreateAsync();
        var renderer = rendering.NewRenderer();
        var empty = new Dictionary<string, IReadOnlyDictionary<string, string>>();
        var kinds = new List<RenderKind>();

        var pending = AsServed(EndToEndEnvironment.ClusterObject(ResourceType.Cluster, "capi-cilium-e2e-wiring", "e2e-pending", host: null));
        Assert.That(renderer.Plan(pending, empty), Is.InstanceOf<AddonPlanOutcome.NotReady>(), "a Cluster without endpoint waits");

        foreach (var (name, host) in EndToEndClusters)
        {
            // Through JSON text, as the API server delivers it: ClusterReader refuses a port held as an in-memory int
            // (TryGetValue<long> fails on an int-backed JsonValue), though it reads the same number parsed from text.
            var cluster = AsServed(EndToEndEnvironment.ClusterObject(ResourceType.Cluster, "capi-cilium-e2e-wiring", name, host));
            var plan = renderer.Plan(cluster, empty);
            Assert.That(plan, Is.InstanceOf<AddonPlanOutcome.Ready>(), $"{name}: {(plan is AddonPlanOutcome.Invalid i ? string.Join("; ", i.Problems) : plan)}");
            var ready = ((AddonPlanOutcome.Ready)plan).Plan;
            Assert.That(ready.SelectorLabel, Is.EqualTo(new KeyValuePair<string, string>(AddonKeys.ClusterNameLabel, name)));

            var outcome = await renderer.RenderAsync(ready, EndToEndEnvironment.Timeout(60));
            Assert.That(outcome, Is.InstanceOf<AddonRenderOutcome.Rendered>(), $"{name}: {outcome}");
            kinds.Add(outcome.Kind);
            var objects = ((AddonRenderOutcome.Rendered)outcome).Objects;
            var crs = objects.Single(o => (string?)o["kind"] == "ClusterResourceSet");
            Assert.That((string?)crs["metadata"]!["name"], Is.EqualTo(ControllerEndToEndTests.ObjectName(name)));
            var manifest = new StringBuilder();
            foreach (var resource in crs["spec"]!["resources"]!.AsArray().OfType<JsonObject>())
            {
                var cm = objects.Single(o => (string?)o["kind"] == (string?)resource["kind"] && (string?)o["metadata"]!["name"] == (string?)resource["name"]);
                foreach (var (_, value) in cm["data"]!.AsObject().OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    manifest.Append((string?)value).Append('\n');
                }
            }

            Assert.That(ControllerEndToEndTests.ManifestProblems(manifest.ToString(), name, host, 6443), Is.Empty, name);
        }

        Assert.That(renderer.Renders, Is.EqualTo(EndToEndClusters.Length));
        await TestContext.Progress.WriteLineAsync($"e2e wiring: renders by kind: {string.Join(", ", kinds)}");
        if (rendering.IsFake)
        {
            // One group: the first Cluster rendered directly and once with placeholder facts, every other one stamped.
            Assert.That(rendering.FakeInstallRuns, Is.EqualTo(2), "renders counted from the fake CLI's invocation records");
            Assert.That(kinds, Is.EqualTo(new[] { RenderKind.Direct }.Concat(Enumerable.Repeat(RenderKind.Stamped, EndToEndClusters.Length - 1))));
        }
    }
}
