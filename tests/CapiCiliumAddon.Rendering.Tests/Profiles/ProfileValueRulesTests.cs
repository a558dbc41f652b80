using CapiCiliumAddon.Rendering.Lint;
using CapiCiliumAddon.Rendering.Manifests;
using CapiCiliumAddon.Rendering.Tests.Lint;
using CapiCiliumAddon.Rendering.Tests.Manifests;

namespace CapiCiliumAddon.Rendering.Tests.Profiles;

/// <summary>
/// The value rules behind the new profiles, wherever values come from: a cluster-pool that is not exactly the
/// Cluster's pod CIDR, a per-node block that does not fit in it, L2 announcements without kube-proxy replacement.
/// </summary>
public class ProfileValueRulesTests
{
    private const string ValuesConfigMapAnnotation = "    addon.capi-cilium.io/values-configmap: cilium-values";
    private const string PoolField = "values.ipam.operator.clusterPoolIPv4PodCIDRList (from values ConfigMap metal3/cilium-values)";

    private static IReadOnlyList<Problem> Refused(string profile, string valuesYaml, string pods = "[\"10.244.0.0/16\"]") =>
        ProfileClusters.Problems(ProfileClusters.Plan(
            ProfileClusters.SiteFile(profile, pods, ValuesConfigMapAnnotation),
            valuesConfigMap: new Dictionary<string, string> { ["values.yaml"] = valuesYaml }));

    [TestCase("[\"10.0.0.0/8\"]", TestName = "A pool wider than the pod CIDR is refused")]
    [TestCase("[\"10.245.0.0/16\"]", TestName = "A pool beside the pod CIDR is refused")]
    [TestCase("[\"10.244.0.0/17\"]", TestName = "A pool inside the pod CIDR is refused")]
    [TestCase("[\"10.244.0.0/16\", \"10.245.0.0/16\"]", TestName = "A pool with a second CIDR is refused")]
    public void APoolThatIsNotExactlyThePodCidrIsRefusedNamingItsSource(string pool)
    {
        var problem = Refused("cluster-pool", $"ipam:\n  operator:\n    clusterPoolIPv4PodCIDRList: {pool}\n").Single();

        Assert.That(problem.Subject, Is.EqualTo("metal3/site-a-prod"));
        Assert.That(problem.Field, Is.EqualTo(PoolField));
        Assert.That(problem.Message, Does.Contain("is not the Cluster's IPv4 pod CIDR 10.244.0.0/16").And.Contain("routed by nobody"));
        Assert.That(problem.Fix, Does.Contain("[10.244.0.0/16]"));
    }

    [Test]
    public void ClusterPoolModeWithoutAPoolIsRefusedBecauseTheChartDefaultIsElsewhere()
    {
        var problem = Refused("ha-operator", "ipam:\n  mode: cluster-pool\n").Single();

        Assert.That(problem.Field, Is.EqualTo("values.ipam.operator.clusterPoolIPv4PodCIDRList"));
        Assert.That(problem.Message, Does.StartWith("unset (the chart's default pool) is not the Cluster's IPv4 pod CIDR 10.244.0.0/16"));
    }

    [TestCase(16)]
    [TestCase(8)]
    [TestCase(33)]
    public void APerNodeBlockThatDoesNotFitInsideThePoolIsRefused(int mask)
    {
        var problem = Refused("cluster-pool", $"ipam:\n  operator:\n    clusterPoolIPv4MaskSize: {mask}\n").Single();

        Assert.That(problem.Field, Is.EqualTo("values.ipam.operator.clusterPoolIPv4MaskSize (from values ConfigMap metal3/cilium-values)"));
        Assert.That(problem.Message, Does.Contain("longer than 16 and at most 32"));
        Assert.That(problem.Fix, Does.EndWith("to 24"));
    }

    [Test]
    public void TheChartsDefaultBlockIsCheckedToo()
    {
        // A /24 pod CIDR pooled with the chart's own /24 per node leaves room for one node.
        var problem = Refused("ha-operator", "ipam:\n  mode: cluster-pool\n  operator:\n    clusterPoolIPv4PodCIDRList: [\"10.244.0.0/24\"]\n", pods: "[\"10.244.0.0/24\"]").Single();

        Assert.That(problem.Field, Is.EqualTo("values.ipam.operator.clusterPoolIPv4MaskSize"));
        Assert.That(problem.Message, Does.StartWith("unset (the chart's /24) is not a per-node block inside the /24 pool"));
        Assert.That(problem.Fix, Does.EndWith("to 25"));
    }

    [Test]
    public void ADualStackClusterNeedsAnIpv6PoolToo()
    {
        var problem = Refused("ha-operator", "ipam:\n  mode: cluster-pool\n  operator:\n    clusterPoolIPv4PodCIDRList: [\"10.244.0.0/16\"]\n",
            pods: "[\"10.244.0.0/16\", \"fd00:10:244::/56\"]").Single();

        Assert.That(problem.Field, Is.EqualTo("values.ipam.operator.clusterPoolIPv6PodCIDRList"));
        Assert.That(problem.Message, Does.Contain("IPv6 pod CIDR fd00:10:244::/56"));
    }

    [Test]
    public void TheKubernetesIpamModeIgnoresPoolKeys()
    {
        var plan = ProfileClusters.Ready(ProfileClusters.Plan(ProfileClusters.SiteFile("ha-operator", extraAnnotations: ValuesConfigMapAnnotation),
            valuesConfigMap: new Dictionary<string, string> { ["values.yaml"] = "ipam:\n  operator:\n    clusterPoolIPv4PodCIDRList: [\"10.0.0.0/8\"]\n" }));

        Assert.That(plan.Values["ipam.mode"]!.Display, Is.EqualTo("kubernetes"));
    }

    [Test]
    public void L2AnnouncementsWithoutKubeProxyReplacementAreRefused()
    {
        var problem = Refused("l2-announcements", "kubeProxyReplacement: false\n").Single();

        Assert.That(problem.Field, Is.EqualTo("values.l2announcements.enabled (from profile l2-announcements.yaml.scriban)"));
        Assert.That(problem.Message, Does.Contain("need kube-proxy replacement"));
    }

    [Test]
    public void TheLintFindsAForeignPoolInARenderedManifest()
    {
        // The recorded render without values: cluster-pool IPAM over the chart's 10.0.0.0/8.
        var findings = CiliumLinterTests.Lint(null, ("render.yaml", Recordings.Stdout("minimal-1.18")), ("cluster.yaml", CiliumLinterTests.Cluster("capi-1")));

        var pool = findings.Where(f => f.Rule == LintRules.ClusterPool).ToList();
        Assert.That(pool.Select(f => (f.SeverityText, f.Object, f.Field)), Is.EqualTo(new[] { ("error", "ConfigMap kube-system/cilium-config", "data[cluster-pool-ipv4-cidr]") }));
        Assert.That(pool[0].Message, Does.Contain("'10.0.0.0/8' is not the Cluster's IPv4 pod CIDR 10.244.0.0/16"));
    }

    [Test]
    public void TheLintAcceptsThePodCidrAsPoolInARenderedManifest()
    {
        var render = Recordings.MutateDocument(Recordings.Stdout("minimal-1.18"), "ConfigMap", "cilium-config",
            doc => doc.Replace("cluster-pool-ipv4-cidr: \"10.0.0.0/8\"", "cluster-pool-ipv4-cidr: \"10.244.0.0/16\"", StringComparison.Ordinal));

        var findings = CiliumLinterTests.Lint(null, ("render.yaml", render), ("cluster.yaml", CiliumLinterTests.Cluster("capi-1")));

        Assert.That(findings.Where(f => f.Rule == LintRules.ClusterPool), Is.Empty);
    }

    [Test]
    public void TheRenderCheckCompareTheRenderedPoolWithThePlan()
    {
        var planned = Recordings.BareMetalPlan("minimal-1.18") with
        {
            IpamMode = "cluster-pool",
            ClusterPoolIpv4Cidrs = "10.244.0.0/16",
            ClusterPoolIpv4MaskSize = "24",
        };

        var problems = RenderChecks.Check(Recordings.Parse("minimal-1.18"), planned).Where(p => p.Field.StartsWith("data[cluster-pool", StringComparison.Ordinal)).ToList();

        Assert.That(problems.Select(p => (p.Subject, p.Field, p.Message)), Is.EqualTo(new[]
        {
            ("ConfigMap kube-system/cilium-config", "data[cluster-pool-ipv4-cidr]", "Expected \"10.244.0.0/16\", found \"10.0.0.0/8\"."),
        }));
        Assert.That(RenderChecks.Check(Recordings.Parse("minimal-1.18"), planned with { ClusterPoolIpv4Cidrs = "10.0.0.0/8" })
            .Where(p => p.Field.StartsWith("data[cluster-pool", StringComparison.Ordinal)), Is.Empty);
    }
}
