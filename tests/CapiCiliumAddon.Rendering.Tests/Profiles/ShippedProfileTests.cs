using CapiCiliumAddon.Rendering.Settings;
using CapiCiliumAddon.Testing;

namespace CapiCiliumAddon.Rendering.Tests.Profiles;

/// <summary>Every profile in templates/ planned for a real-shaped Metal3 cluster, pinned as golden files.</summary>
public class ShippedProfileTests
{
    public static IEnumerable<string> Shipped => new ProfileLibrary(ProfileClusters.ShippedTemplates).Names;

    [Test]
    public void TheShippedProfilesAreTheDocumentedOnes()
    {
        Assert.That(Shipped, Is.EqualTo(new[] { "cluster-pool", "ha-operator", "hubble-ui", "l2-announcements" }));
        var readme = File.ReadAllText(Path.Combine(ProfileClusters.ShippedTemplates, "README.md"));
        Assert.That(Shipped.Where(p => !readme.Contains($"| `{p}` |", StringComparison.Ordinal)), Is.Empty, "profiles missing from templates/README.md");
    }

    [TestCaseSource(nameof(Shipped))]
    public void EachShippedProfilePlansAsItsGoldenFileSays(string profile)
    {
        var plan = ProfileClusters.Ready(ProfileClusters.Plan(ProfileClusters.SiteFile(profile)));

        Assert.That(plan.Warnings, Is.Empty);
        Golden.AssertMatches(ProfileClusters.Describe(plan, profile), $"{profile}.txt");
    }

    [Test]
    public void ClusterPoolOnADualStackClusterPoolsBothPodCidrs()
    {
        var plan = ProfileClusters.Ready(ProfileClusters.Plan(ProfileClusters.SiteFile("cluster-pool", pods: "[\"10.244.0.0/16\", \"fd00:10:244::/56\"]")));

        Golden.AssertMatches(ProfileClusters.Describe(plan, "cluster-pool"), "cluster-pool-dual-stack.txt");
    }

    [TestCase("10.244.0.0/16", 24)]
    [TestCase("10.244.0.0/20", 24)]
    [TestCase("10.244.0.0/24", 25)]
    [TestCase("10.244.0.0/26", 27)]
    public void ClusterPoolPoolsExactlyThePodCidrWithABlockPerNodeLongerThanIt(string podCidr, int expectedMask)
    {
        var plan = ProfileClusters.Ready(ProfileClusters.Plan(ProfileClusters.SiteFile("cluster-pool", pods: $"[\"{podCidr}\"]")));

        Assert.That(plan.Values["ipam.mode"]!.Display, Is.EqualTo("cluster-pool"));
        Assert.That(plan.Values["ipam.operator.clusterPoolIPv4PodCIDRList"]!.Display, Is.EqualTo($"[\"{podCidr}\"]"));
        Assert.That(plan.Values["ipam.operator.clusterPoolIPv4MaskSize"]!.Display, Is.EqualTo(expectedMask.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.That(plan.Values["ipv4NativeRoutingCIDR"]!.Display, Is.EqualTo(podCidr), "native routing still covers exactly the pool");
    }

    [Test]
    public void L2AnnouncementsReplaceBgpAndKeepKubeProxyReplacement()
    {
        var plan = ProfileClusters.Ready(ProfileClusters.Plan(ProfileClusters.SiteFile("l2-announcements")));

        Assert.Multiple(() =>
        {
            Assert.That(plan.Values["l2announcements.enabled"]!.Display, Is.EqualTo("true"));
            Assert.That(plan.Values["bgpControlPlane.enabled"]!.Display, Is.EqualTo("false"));
            Assert.That(plan.Values["kubeProxyReplacement"]!.Display, Is.EqualTo("true"));
            Assert.That(plan.Values["k8sClientRateLimit.qps"]!.Display, Is.EqualTo("30"));
            Assert.That(plan.Values["k8sClientRateLimit.burst"]!.Display, Is.EqualTo("60"));
            Assert.That(plan.Values["k8sServiceHost"]!.Display, Is.EqualTo("192.168.111.249"));
        });
    }
}
