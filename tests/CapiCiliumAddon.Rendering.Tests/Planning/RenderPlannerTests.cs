using CapiCiliumAddon.Rendering;
using CapiCiliumAddon.Rendering.Clusters;
using CapiCiliumAddon.Rendering.Planning;
using CapiCiliumAddon.Rendering.Settings;
using CapiCiliumAddon.Rendering.Tests.Clusters;
using CapiCiliumAddon.Testing;

namespace CapiCiliumAddon.Rendering.Tests.Planning;

public class RenderPlannerTests
{
    private static readonly IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> NoConfigMaps =
        new Dictionary<string, IReadOnlyDictionary<string, string>>();

    private static RenderPlanner Planner(string? templates = null, CiliumVersion? version = null) =>
        new(new PlanContext(new ProfileLibrary(templates ?? Path.Combine(RepositoryPaths.Root, "templates")), [],
            version ?? CiliumVersion.Parse("1.18.12"), "v0.19.7-12-ge694be34c", "0.1.0"));

    private static PlanOutcome Plan(string yaml, RenderPlanner? planner = null,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>? configMaps = null) =>
        (planner ?? Planner()).Plan(ClusterReaderTests.Read(yaml).Facts!, configMaps ?? NoConfigMaps);

    private static string Annotations(params string[] lines) =>
        "  annotations:\n" + string.Concat(lines.Select(l => $"    {l}\n"));

    [Test]
    public void TheBareMetalPlanMatchesTheRecordedBareMetalRun()
    {
        var plan = ((PlanOutcome.Ready)Plan(ClusterReaderTests.ClusterYaml())).Plan;
        var recorded = File.ReadAllLines(Path.Combine(RepositoryPaths.Fixtures, "cilium-cli", "baremetal-native-bgp-1.18", "argv.txt"))
            .Where(l => l.Contains('=')).ToList();

        // Everything the recorded run passed, plus what the CLI would have added on its own, now passed explicitly.
        var planned = plan.Values.All.Where(v => v.Key != "cluster.name").Select(v => $"{v.Key}={v.Display}");
        Assert.That(planned, Is.EquivalentTo(recorded.Append("operator.replicas=1")));
        Assert.That(plan.Values["operator.replicas"]!.Source.Layer, Is.EqualTo(SettingsLayer.CliDefault));
        Assert.That(plan.Values["cluster.name"]!.Display, Is.EqualTo("capi-1"));
    }

    [Test]
    public void EveryValueRemembersItsSource()
    {
        var plan = ((PlanOutcome.Ready)Plan(ClusterReaderTests.ClusterYaml(extraMetadata: Annotations(
            "addon.capi-cilium.io/cni-bin-path: /opt/cni/bin", "addon.capi-cilium.io/profile: ha-operator")))).Plan;

        Assert.That(plan.Values["k8sServiceHost"]!.Source, Is.EqualTo(new ValueSource(SettingsLayer.ClusterFact, "spec.controlPlaneEndpoint.host")));
        Assert.That(plan.Values["cni.binPath"]!.Source.Layer, Is.EqualTo(SettingsLayer.Annotation));
        Assert.That(plan.Values["cni.binPath"]!.Display, Is.EqualTo("/opt/cni/bin"));
        Assert.That(plan.Values["operator.replicas"]!.Source, Is.EqualTo(new ValueSource(SettingsLayer.Profile, "ha-operator.yaml.scriban")));
        Assert.That(plan.Values["routingMode"]!.Source.Layer, Is.EqualTo(SettingsLayer.BuiltIn));
    }

    [Test]
    public void AMissingEndpointIsNotReadyAndNamesTheField()
    {
        var outcome = Plan(ClusterReaderTests.ClusterYaml("host: 10.0.0.1\n    port: 0"));

        var notReady = (PlanOutcome.NotReady)outcome;
        Assert.That(notReady.Reason.Subject, Is.EqualTo("metal3/capi-1"));
        Assert.That(notReady.Reason.Field, Is.EqualTo("spec.controlPlaneEndpoint.port"));
    }

    [Test]
    public void NoPodCidrIsAnErrorForNativeRouting()
    {
        var invalid = (PlanOutcome.Invalid)Plan(ClusterReaderTests.ClusterYaml(pods: "[]"));

        Assert.That(invalid.Problems.Select(p => p.Field), Does.Contain("spec.clusterNetwork.pods.cidrBlocks"));
    }

    [Test]
    public void Ipv6PodCidrEnablesIpv6NativeRouting()
    {
        var plan = ((PlanOutcome.Ready)Plan(ClusterReaderTests.ClusterYaml(pods: "[\"10.244.0.0/16\", \"fd00:10:244::/56\"]"))).Plan;

        Assert.That(plan.Values["ipv6.enabled"]!.Display, Is.EqualTo("true"));
        Assert.That(plan.Values["ipv6NativeRoutingCIDR"]!.Display, Is.EqualTo("fd00:10:244::/56"));
        Assert.That(plan.Values["ipv4.enabled"], Is.Null);
    }

    [Test]
    public void Ipv6OnlyDisablesIpv4()
    {
        var plan = ((PlanOutcome.Ready)Plan(ClusterReaderTests.ClusterYaml("host: fd00::10\n    port: 6443", pods: "[\"fd00:10:244::/56\"]"))).Plan;

        Assert.That(plan.Values["ipv4.enabled"]!.Display, Is.EqualTo("false"));
        Assert.That(plan.Values["ipv4NativeRoutingCIDR"], Is.Null);
        Assert.That(plan.Values["k8sServiceHost"]!.Display, Is.EqualTo("fd00::10"));
    }

    [Test]
    public void ALongClusterNameGetsAValidDeterministicCiliumNameAndAWarning()
    {
        const string name = "metal3-production-site-a-rack-42-workload";
        var plan = ((PlanOutcome.Ready)Plan(ClusterReaderTests.ClusterYaml(name: name))).Plan;

        Assert.That(plan.CiliumClusterName, Has.Length.LessThanOrEqualTo(32));
        Assert.That(CiliumClusterName.IsValid(plan.CiliumClusterName));
        Assert.That(plan.CiliumClusterName, Does.StartWith("metal3-production-site"));
        Assert.That(plan.CiliumClusterName, Is.EqualTo(CiliumClusterName.Derive("metal3", name)));
        Assert.That(CiliumClusterName.Derive("other", name), Is.Not.EqualTo(plan.CiliumClusterName));
        Assert.That(plan.Warnings.Single(w => w.Field == "metadata.name").Message, Does.Contain(plan.CiliumClusterName));
    }

    [TestCase("1.18.3 --kubeconfig=x")]
    [TestCase("latest")]
    [TestCase("1.18")]
    [TestCase("1.18.3;rm -rf /")]
    public void AVersionAnnotationMustBeAVersion(string version)
    {
        var invalid = (PlanOutcome.Invalid)Plan(ClusterReaderTests.ClusterYaml(extraMetadata: Annotations($"addon.capi-cilium.io/cilium-version: \"{version}\"")));

        Assert.That(invalid.Problems.Single().Field, Is.EqualTo("metadata.annotations[addon.capi-cilium.io/cilium-version]"));
    }

    [Test]
    public void VersionsBelowTheSupportedRangeAreRefused()
    {
        var invalid = (PlanOutcome.Invalid)Plan(ClusterReaderTests.ClusterYaml(extraMetadata: Annotations("addon.capi-cilium.io/cilium-version: 1.16.9")));

        Assert.That(invalid.Problems.Single().Message, Does.Contain("older than the oldest supported version 1.17.0"));
    }

    [Test]
    public void AnUnknownAnnotationWithOurPrefixIsATypo()
    {
        var invalid = (PlanOutcome.Invalid)Plan(ClusterReaderTests.ClusterYaml(extraMetadata: Annotations("addon.capi-cilium.io/cilium-verison: 1.18.12")));

        Assert.That(invalid.Problems.Single().Field, Is.EqualTo("metadata.annotations[addon.capi-cilium.io/cilium-verison]"));
    }

    [Test]
    public void AMissingProfileNamesTheAvailableOnes()
    {
        var invalid = (PlanOutcome.Invalid)Plan(ClusterReaderTests.ClusterYaml(extraMetadata: Annotations("addon.capi-cilium.io/profile: hubble-uii")));

        var problem = invalid.Problems.Single();
        Assert.That(problem.Message, Does.Contain("'hubble-uii' does not exist"));
        Assert.That(problem.Fix, Does.Contain("hubble-ui"));
    }

    [Test]
    public void ABrokenProfileTemplateIsReportedForTheCluster()
    {
        using var templates = new TempDirectory();
        File.WriteAllText(templates.Combine("typo.yaml.scriban"), "cluster:\n  name: {{ yaml cluster.nmae }}\n");

        var invalid = (PlanOutcome.Invalid)Plan(ClusterReaderTests.ClusterYaml(extraMetadata: Annotations("addon.capi-cilium.io/profile: typo")), Planner(templates.Path));

        Assert.That(invalid.Problems.Single().Message, Does.Contain("profile 'typo' failed to render"));
    }

    [Test]
    public void ProfilesSeeTheClustersFacts()
    {
        using var templates = new TempDirectory();
        File.WriteAllText(templates.Combine("named.yaml.scriban"), "operator:\n  podLabels:\n    site: {{ yaml cluster.name }}\n");

        var plan = ((PlanOutcome.Ready)Plan(ClusterReaderTests.ClusterYaml(extraMetadata: Annotations("addon.capi-cilium.io/profile: named")), Planner(templates.Path))).Plan;

        Assert.That(plan.Values["operator.podLabels.site"]!.Display, Is.EqualTo("capi-1"));
    }

    [Test]
    public void ValuesFromAConfigMapSitAboveTheProfileAndAreLinted()
    {
        var yaml = ClusterReaderTests.ClusterYaml(extraMetadata: Annotations("addon.capi-cilium.io/values-configmap: cilium-values"));
        var configMaps = new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            ["cilium-values"] = new Dictionary<string, string> { ["values.yaml"] = "tunnel: vxlan\nhubble:\n  relay:\n    enabled: true\n" },
        };

        var invalid = (PlanOutcome.Invalid)Plan(yaml, configMaps: configMaps);

        var problem = invalid.Problems.Single();
        Assert.That(problem.Field, Is.EqualTo("values.tunnel (from values ConfigMap metal3/cilium-values)"));
        Assert.That(problem.Fix, Does.Contain("routingMode"));
    }

    [Test]
    public void AUserValueMayNotMoveTheApiServerAwayFromTheEndpoint()
    {
        var yaml = ClusterReaderTests.ClusterYaml(extraMetadata: Annotations("addon.capi-cilium.io/values-configmap: v"));
        var configMaps = new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            ["v"] = new Dictionary<string, string> { ["values.yaml"] = "k8sServiceHost: 10.96.0.1\n" },
        };

        var invalid = (PlanOutcome.Invalid)Plan(yaml, configMaps: configMaps);

        Assert.That(invalid.Problems.Single().Message, Does.Contain("contradicts the Cluster's spec.controlPlaneEndpoint.host"));
    }

    [Test]
    public void AnEndpointReadFromTheInfrastructureClusterSaysSoInEveryValueAndMessage()
    {
        var source = new EndpointSource("Metal3Cluster metal3/capi-1", "spec.controlPlaneEndpoint");
        var read = ClusterReaderTests.Read(ClusterReaderTests.ClusterYaml(extraMetadata: Annotations("addon.capi-cilium.io/values-configmap: v"))).Facts!;
        var facts = read with { EndpointSource = source };
        var configMaps = new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            ["v"] = new Dictionary<string, string> { ["values.yaml"] = "k8sServicePort: 443\n" },
        };
        var noConfigMap = new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            ["v"] = new Dictionary<string, string> { ["values.yaml"] = "{}\n" },
        };

        var plan = ((PlanOutcome.Ready)Planner().Plan(facts, noConfigMap)).Plan;
        var invalid = (PlanOutcome.Invalid)Planner().Plan(facts, configMaps);

        Assert.That(plan.Values["k8sServiceHost"]!.Source.ToString(), Is.EqualTo("Metal3Cluster metal3/capi-1 spec.controlPlaneEndpoint.host"));
        Assert.That(plan.Values["k8sServicePort"]!.Source.ToString(), Is.EqualTo("Metal3Cluster metal3/capi-1 spec.controlPlaneEndpoint.port"));
        Assert.That(plan.Values["k8sServicePort"]!.Source.Layer, Is.EqualTo(SettingsLayer.ClusterFact), "still a fact of the Cluster: stamped like one");
        Assert.That(invalid.Problems.Single().ToString(), Is.EqualTo(
            "metal3/capi-1: values.k8sServicePort (from values ConfigMap metal3/v): '443' contradicts Metal3Cluster metal3/capi-1 spec.controlPlaneEndpoint.port (6443); " +
            "Cilium must reach the API server at the control plane endpoint (remove k8sServicePort; it is always taken from Metal3Cluster metal3/capi-1 spec.controlPlaneEndpoint.port)"));
    }

    [Test]
    public void AReasonFromTheInputFilesReplacesTheGenericNotReadyMessage()
    {
        var reason = Problem.Warning("metal3/capi-1", "spec.infrastructureRef", "the control plane endpoint is not set yet: Metal3Cluster metal3/capi-1 is not among the input files");
        var facts = ClusterReaderTests.Read(ClusterReaderTests.ClusterYaml("host: \"\"\n    port: 0")).Facts! with { PendingEndpointReason = reason };

        var notReady = (PlanOutcome.NotReady)Planner().Plan(facts, NoConfigMaps);

        Assert.That(notReady.Reason, Is.SameAs(reason));
    }

    [Test]
    public void AWiderUserNativeRoutingCidrIsKeptANarrowerOneIsRefused()
    {
        PlanOutcome WithCidr(string cidr) => Plan(
            ClusterReaderTests.ClusterYaml(extraMetadata: Annotations("addon.capi-cilium.io/values-configmap: v")),
            configMaps: new Dictionary<string, IReadOnlyDictionary<string, string>>
            {
                ["v"] = new Dictionary<string, string> { ["values.yaml"] = $"ipv4NativeRoutingCIDR: {cidr}\n" },
            });

        Assert.That(((PlanOutcome.Ready)WithCidr("10.0.0.0/8")).Plan.Values["ipv4NativeRoutingCIDR"]!.Display, Is.EqualTo("10.0.0.0/8"));
        Assert.That(((PlanOutcome.Invalid)WithCidr("10.244.0.0/24")).Problems.Single().Message, Does.Contain("does not cover the pod CIDR 10.244.0.0/16"));
    }

    [Test]
    public void TheInputHashChangesWithEveryInputAndOnlyThen()
    {
        string Hash(string yaml, RenderPlanner? planner = null) => ((PlanOutcome.Ready)Plan(yaml, planner)).Plan.InputHash;
        var baseline = Hash(ClusterReaderTests.ClusterYaml());

        Assert.That(Hash(ClusterReaderTests.ClusterYaml()), Is.EqualTo(baseline));
        Assert.That(Hash(ClusterReaderTests.ClusterYaml("host: 10.250.250.30\n    port: 6443")), Is.Not.EqualTo(baseline));
        Assert.That(Hash(ClusterReaderTests.ClusterYaml(pods: "[\"10.245.0.0/16\"]")), Is.Not.EqualTo(baseline));
        Assert.That(Hash(ClusterReaderTests.ClusterYaml(), Planner(version: CiliumVersion.Parse("1.17.18"))), Is.Not.EqualTo(baseline));
        Assert.That(baseline, Does.Match("^sha256:[0-9a-f]{64}$"));
    }
}
