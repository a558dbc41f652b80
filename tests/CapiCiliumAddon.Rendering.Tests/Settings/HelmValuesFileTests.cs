using System.Text.Json.Nodes;
using CapiCiliumAddon.Rendering.Clusters;
using CapiCiliumAddon.Rendering.Manifests;
using CapiCiliumAddon.Rendering.Planning;
using CapiCiliumAddon.Rendering.Settings;
using CapiCiliumAddon.Rendering.Tests.Clusters;
using CapiCiliumAddon.Rendering.Yaml;
using CapiCiliumAddon.Testing;

namespace CapiCiliumAddon.Rendering.Tests.Settings;

public class HelmValuesFileTests
{
    private static string Recorded(string recording, string file) =>
        File.ReadAllText(Path.Combine(RepositoryPaths.Fixtures, "cilium-cli", recording, file));

    private static RenderPlan BareMetalPlan(Func<PlanContext, PlanContext>? adjust = null, string? extraMetadata = null)
    {
        var context = new PlanContext(new ProfileLibrary(Path.Combine(RepositoryPaths.Root, "templates")), [], CiliumVersion.Parse("1.18.12"), "v0.19.7-12-ge694be34c", "0.1.0");
        var outcome = new RenderPlanner(adjust?.Invoke(context) ?? context)
            .Plan(ClusterReaderTests.Read(ClusterReaderTests.ClusterYaml(extraMetadata: extraMetadata ?? "")).Facts!, new Dictionary<string, IReadOnlyDictionary<string, string>>());
        return outcome is PlanOutcome.Ready ready ? ready.Plan : throw new AssertionException($"not ready: {outcome}");
    }

    private static JsonNode? Yaml(string text) => YamlDocuments.Parse(text, "test").Single().Content;

    /// <summary>
    /// The proof that passing the CLI's own values explicitly makes a second CLI run unnecessary: for the inputs of the
    /// recorded `cilium install --dry-run-helm-values` run (the bare-metal values, no cluster.name), our values file
    /// holds exactly the effective values the real CLI printed, with the same types.
    /// </summary>
    [Test]
    public void OurValuesAreTheEffectiveValuesTheRealCliPrinted()
    {
        var values = BareMetalPlan().Values;
        values.Remove("cluster.name"); // the recorded run passed none; every render of ours passes one explicitly

        var ours = HelmValuesFile.From(values).Text;
        var recorded = Recorded("helm-values-1.18", "stdout.yaml");

        Assert.That(JsonNode.DeepEquals(Yaml(ours), Yaml(recorded)), Is.True, $"ours:\n{ours}\nrecorded:\n{recorded}");
        // Same keys, order and layout line for line; we double-quote strings a YAML reader could mistake (IP addresses),
        // the CLI prints them plain, and the CLI's Println adds one blank line at the end.
        Assert.That(ours.Replace("\"", "", StringComparison.Ordinal), Is.EqualTo(recorded.TrimEnd('\n') + "\n"));
    }

    [Test]
    public void TheRecordedRunArgumentsPlusOurExplicitDefaultsAreAllThatIsPassed()
    {
        var argv = Recorded("helm-values-1.18", "argv.txt").Split('\n').Where(l => l.Contains('=')).ToList();
        var values = BareMetalPlan().Values.All.Where(v => v.Key != "cluster.name").ToList();

        Assert.That(values.Where(v => v.Source.Layer != SettingsLayer.CliDefault).Select(v => $"{v.Key}={v.Display}"), Is.EquivalentTo(argv));
        Assert.That(values.Where(v => v.Source.Layer == SettingsLayer.CliDefault).Select(v => $"{v.Key}={v.Display}"), Is.EqualTo(new[] { "operator.replicas=1" }));
    }

    /// <summary>minimal-1.18 passed only the endpoint; the real CLI rendered the tunnel datapath and one operator replica.</summary>
    [Test]
    public void WithoutARoutingModeTheCliInjectsTheTunnelDatapathAsTheMinimalRecordingShows()
    {
        var stdout = Recorded("minimal-1.18", "stdout.yaml");
        Assert.That(stdout, Does.Contain("  routing-mode: \"tunnel\"\n").And.Contain("  tunnel-protocol: \"vxlan\"\n"));
        Assert.That(Recorded("minimal-1.18", "argv.txt"), Does.Not.Contain("routingMode").And.Not.Contain("tunnelProtocol").And.Not.Contain("operator"));

        var values = new HelmValues();
        values.Set("k8sServiceHost", "10.250.250.29", new ValueSource(SettingsLayer.ClusterFact, "test"));
        CliInjectedValues.ApplyTo(values);

        Assert.That(values.All.Where(v => v.Source.Layer == SettingsLayer.CliDefault).Select(v => $"{v.Key}={v.Display}"),
            Is.EqualTo(new[] { "operator.replicas=1", "routingMode=tunnel", "tunnelProtocol=vxlan" }));
    }

    [TestCase("routingMode", "native", "operator.replicas=1")]
    [TestCase("routingMode", "tunnel", "operator.replicas=1 tunnelProtocol=vxlan")]
    [TestCase("tunnelProtocol", "geneve", "operator.replicas=1 routingMode=tunnel")]
    [TestCase("operator.replicas", "2", "routingMode=tunnel tunnelProtocol=vxlan")]
    [TestCase("operator", "null", "routingMode=tunnel tunnelProtocol=vxlan")]
    public void AValueTheUserGaveIsNeverReplaced(string key, string given, string injected)
    {
        var values = new HelmValues();
        values.Set(key, JsonNode.Parse(given is "native" or "tunnel" or "geneve" ? $"\"{given}\"" : given), new ValueSource(SettingsLayer.Profile, "p"));
        CliInjectedValues.ApplyTo(values);

        Assert.That(string.Join(" ", values.All.Where(v => v.Source.Layer == SettingsLayer.CliDefault).Select(v => $"{v.Key}={v.Display}")), Is.EqualTo(injected));
        Assert.That(values[key]!.Source.Layer, Is.EqualTo(SettingsLayer.Profile));
    }

    [Test]
    public void TheFileIsByteStableAndItsHashIsOfItsBytes()
    {
        var first = BareMetalPlan().HelmValuesFile;
        var second = BareMetalPlan().HelmValuesFile;

        Assert.That(second, Is.EqualTo(first));
        Assert.That(first.Hash, Is.EqualTo("sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(first.Text)))));
        Golden.AssertMatches(first.Text, "values-file-baremetal.yaml");
    }

    [Test]
    public void TheReleaseNameComesFromTheAnnotationElseTheCommandLineAndIsHashedIn()
    {
        var byDefault = BareMetalPlan();
        var byFlag = BareMetalPlan(c => c with { HelmReleaseName = "cni" });
        var byAnnotation = BareMetalPlan(c => c with { HelmReleaseName = "cni" }, $"  annotations:\n    {AddonKeys.HelmReleaseNameAnnotation}: cilium-cni\n");

        Assert.That(byDefault.HelmRelease, Is.EqualTo(new HelmReleaseIdentity("cilium", "kube-system")));
        Assert.That(byFlag.HelmRelease!.Name, Is.EqualTo("cni"));
        Assert.That(byAnnotation.HelmRelease!.Name, Is.EqualTo("cilium-cni"));
        Assert.That(new[] { byDefault.InputHash, byFlag.InputHash, byAnnotation.InputHash }, Is.Unique);
        Assert.That(byFlag.OutputAnnotations[AddonKeys.HelmReleaseNameAnnotation], Is.EqualTo("cni"));
        Assert.That(byFlag.Warnings.Single().Field, Is.EqualTo("--helm-release-name"));
        Assert.That(byFlag.Warnings.Single().Message, Does.Contain("`cilium install` and `cilium upgrade` only ever use the release 'cilium'"));
        Assert.That(byDefault.OutputAnnotations[AddonKeys.HelmValuesHashAnnotation], Is.EqualTo(byDefault.HelmValuesFile.Hash));
    }

    [Test]
    public void AnInvalidReleaseNameAnnotationNamesTheField()
    {
        var context = new PlanContext(new ProfileLibrary(null), [], CiliumVersion.Parse("1.18.12"), "v", "0");
        var outcome = new RenderPlanner(context).Plan(
            ClusterReaderTests.Read(ClusterReaderTests.ClusterYaml(extraMetadata: $"  annotations:\n    {AddonKeys.HelmReleaseNameAnnotation}: Cilium_1\n")).Facts!,
            new Dictionary<string, IReadOnlyDictionary<string, string>>());

        var problem = ((PlanOutcome.Invalid)outcome).Problems.Single();
        Assert.That(problem.Field, Is.EqualTo($"metadata.annotations[{AddonKeys.HelmReleaseNameAnnotation}]"));
        Assert.That(problem.Message, Does.Contain("'Cilium_1' is not a Helm release name"));
    }

    [Test]
    public void SwitchedOffThereIsNoReleaseAndNoReleaseAnnotation()
    {
        var plan = BareMetalPlan(c => c with { HelmOwnership = false });

        Assert.That(plan.HelmRelease, Is.Null);
        Assert.That(plan.OutputAnnotations.ContainsKey(AddonKeys.HelmReleaseNameAnnotation), Is.False);
        Assert.That(plan.InputHash, Is.Not.EqualTo(BareMetalPlan().InputHash));
    }
}
