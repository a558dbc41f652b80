using System.Text.Json.Nodes;
using CapiCiliumAddon.Rendering.Clusters;
using CapiCiliumAddon.Rendering.Settings;
using CapiCiliumAddon.Rendering.Yaml;
using CapiCiliumAddon.Testing;

namespace CapiCiliumAddon.Cli.Tests;

/// <summary>
/// Opt-in: renders the cluster-pool and l2-announcements profiles with the REAL Cilium CLI named by CILIUM_CLI, once per
/// chart in CILIUM_CHART_DIRECTORY (':'-separated; without it, with the CLI's own chart), and checks what a user needs
/// from each. No recorded run exists for these profiles, so the fake cilium cannot render them: this test is their
/// only end-to-end proof, and their golden files hold what we hand the CLI.
/// </summary>
[Category("RealCiliumCli")]
public class RealCiliumCliProfileTests
{
    private const string Host = "192.168.111.249";
    private const string Port = "6443";

    private TempDirectory _temp = null!;

    [SetUp]
    public void SetUp()
    {
        if (Environment.GetEnvironmentVariable("CILIUM_CLI") is not { Length: > 0 })
        {
            Assert.Ignore("skipped: set CILIUM_CLI to a real Cilium CLI (and CILIUM_CHART_DIRECTORY to unpacked charts) to render the profiles for real");
        }

        _temp = new TempDirectory();
    }

    [TearDown]
    public void TearDown() => _temp?.Dispose();

    /// <summary>Each chart of CILIUM_CHART_DIRECTORY, or null for the CLI's own chart.</summary>
    private static IReadOnlyList<string?> Charts() =>
        Environment.GetEnvironmentVariable("CILIUM_CHART_DIRECTORY") is { Length: > 0 } list
            ? list.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Select(p => (string?)p).ToList()
            : [null];

    [Test]
    public async Task ClusterPoolPoolsThePodCidrWithABlockPerNodeOnEveryChart()
    {
        foreach (var chart in Charts())
        {
            var objects = await RenderProfile("cluster-pool", chart);

            var config = Data(objects, "ConfigMap", "cilium-config");
            Assert.Multiple(() =>
            {
                Assert.That(config.GetValueOrDefault("ipam"), Is.EqualTo("cluster-pool"), chart);
                Assert.That(config.GetValueOrDefault("cluster-pool-ipv4-cidr"), Is.EqualTo("10.244.0.0/16"), chart);
                Assert.That(config.GetValueOrDefault("cluster-pool-ipv4-mask-size"), Is.EqualTo("24"), chart);
                Assert.That(config.GetValueOrDefault("routing-mode"), Is.EqualTo("native"), chart);
                Assert.That(config.GetValueOrDefault("ipv4-native-routing-cidr"), Is.EqualTo("10.244.0.0/16"), chart);
            });
            AssertEndpointInEveryContainer(objects, chart);
        }
    }

    [Test]
    public async Task L2AnnouncementsReplaceBgpOnEveryChart()
    {
        foreach (var chart in Charts())
        {
            var objects = await RenderProfile("l2-announcements", chart);

            var config = Data(objects, "ConfigMap", "cilium-config");
            Assert.Multiple(() =>
            {
                Assert.That(config.GetValueOrDefault("enable-l2-announcements"), Is.EqualTo("true"), chart);
                Assert.That(config.GetValueOrDefault("kube-proxy-replacement"), Is.EqualTo("true"), chart);
                Assert.That(config.GetValueOrDefault("k8s-client-qps"), Is.EqualTo("30"), chart);
                Assert.That(config.GetValueOrDefault("k8s-client-burst"), Is.EqualTo("60"), chart);
                Assert.That(config.GetValueOrDefault("enable-bgp-control-plane") ?? "false", Is.EqualTo("false"), chart);
                Assert.That(config.GetValueOrDefault("ipam"), Is.EqualTo("kubernetes"), chart);
            });
            AssertEndpointInEveryContainer(objects, chart);
        }
    }

    /// <summary>Renders one Metal3 Cluster with the profile; returns every object of its ConfigMaps by kind and name.</summary>
    private async Task<IReadOnlyDictionary<(string Kind, string Name), JsonObject>> RenderProfile(string profile, string? chart)
    {
        var run = _temp.Combine($"{profile}-{Path.GetFileName(chart) ?? "cli-chart"}-{Guid.NewGuid():N}");
        var clusters = Path.Combine(run, "clusters");
        Directory.CreateDirectory(clusters);
        File.WriteAllText(Path.Combine(clusters, "site.yaml"), RenderCommandTests.Cluster("site-a-prod", $"host: {Host}\n    port: {Port}",
            extraMetadata: $"  annotations:\n    addon.capi-cilium.io/profile: {profile}"));
        var output = Path.Combine(run, "out");
        string[] args = ["render", clusters, "--out", output, "--templates", Path.Combine(RepositoryPaths.Root, "templates")];
        if (chart is not null)
        {
            // One chart at a time: the render takes that chart's version, whichever versions the list holds.
            args = [.. args, "--chart-directory", chart];
        }

        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await CliApp.RunAsync(args, stdout, stderr);
        Assert.That(exit, Is.EqualTo(0), $"profile {profile}, chart {chart ?? "(the CLI's own)"}:\n{stderr}");

        var objects = new Dictionary<(string, string), JsonObject>();
        foreach (var file in Directory.GetFiles(Path.Combine(output, "metal3", "site-a-prod"), "configmap-*.yaml"))
        {
            var wrapper = (JsonObject)YamlDocuments.ReadFile(file).Single().Content!;
            foreach (var (_, value) in wrapper["data"]!.AsObject())
            {
                foreach (var document in YamlDocuments.Parse(value!.GetValue<string>(), file))
                {
                    if (document.Content is JsonObject o)
                    {
                        objects[((string)o["kind"]!, (string)o["metadata"]!["name"]!)] = o;
                    }
                }
            }
        }

        return objects;
    }

    private static Dictionary<string, string?> Data(IReadOnlyDictionary<(string Kind, string Name), JsonObject> objects, string kind, string name)
    {
        Assert.That(objects.ContainsKey((kind, name)), $"{kind} {name} is rendered");
        return objects[(kind, name)]["data"]!.AsObject().ToDictionary(p => p.Key, p => HelmValues.AsString(p.Value));
    }

    /// <summary>The API server endpoint in the containers that carry it: agent init config, clean-cilium-state, agent, envoy (where the chart renders its DaemonSet), operator.</summary>
    private static void AssertEndpointInEveryContainer(IReadOnlyDictionary<(string Kind, string Name), JsonObject> objects, string? chart)
    {
        var containers = new List<(string Workload, string List, string Container)>
        {
            ("DaemonSet cilium", "initContainers", "config"),
            ("DaemonSet cilium", "initContainers", "clean-cilium-state"),
            ("DaemonSet cilium", "containers", "cilium-agent"),
            ("Deployment cilium-operator", "containers", "cilium-operator"),
        };
        if (objects.ContainsKey(("DaemonSet", "cilium-envoy")))
        {
            containers.Add(("DaemonSet cilium-envoy", "containers", "cilium-envoy"));
        }

        Assert.Multiple(() =>
        {
            foreach (var (workload, list, name) in containers)
            {
                var parts = workload.Split(' ');
                var container = objects[(parts[0], parts[1])]["spec"]!["template"]!["spec"]![list]!.AsArray()
                    .OfType<JsonObject>().Single(c => (string?)c["name"] == name);
                var env = container["env"]!.AsArray().OfType<JsonObject>().ToDictionary(e => (string)e["name"]!, e => HelmValues.AsString(e["value"]));
                Assert.That(env.GetValueOrDefault("KUBERNETES_SERVICE_HOST"), Is.EqualTo(Host), $"{workload} {name} ({chart})");
                Assert.That(env.GetValueOrDefault("KUBERNETES_SERVICE_PORT"), Is.EqualTo(Port), $"{workload} {name} ({chart})");
            }
        });
    }
}
