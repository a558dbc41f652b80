using System.Text.Json.Nodes;
using CapiCiliumAddon.Rendering.Settings;

namespace CapiCiliumAddon.Rendering.Tests.Planning;

public class ValuesLintTests
{
    private static readonly CiliumVersion V118 = CiliumVersion.Parse("1.18.12");

    private static IReadOnlyList<Problem> Lint(string key, JsonNode? value, CiliumVersion? version = null)
    {
        var values = new HelmValues();
        BuiltInValues.ApplyTo(values);
        values.Set("k8sServiceHost", "10.250.250.29", new ValueSource(SettingsLayer.ClusterFact, "spec.controlPlaneEndpoint.host"));
        values.Set("k8sServicePort", 6443, new ValueSource(SettingsLayer.ClusterFact, "spec.controlPlaneEndpoint.port"));
        values.Set(key, value, new ValueSource(SettingsLayer.ValuesConfigMap, "metal3/v"));
        return ValuesLint.Check(values, version ?? V118, "metal3/capi-1");
    }

    [TestCase("tunnel", "vxlan", "routingMode")]
    [TestCase("kubeProxyReplacement", "partial", "kubeProxyReplacement=true")]
    [TestCase("kubeProxyReplacement", "strict", "kubeProxyReplacement=true")]
    [TestCase("kubeProxyReplacement", "probe", "kubeProxyReplacement=true")]
    [TestCase("bgp.enabled", "true", "bgpControlPlane.enabled=true")]
    [TestCase("bgp.announce.loadbalancerIP", "true", "CiliumBGPAdvertisement")]
    public void RemovedKeysAreErrorsThatNameTheReplacement(string key, string value, string replacement)
    {
        var problem = Lint(key, value).Single();

        Assert.That(problem.Severity, Is.EqualTo(ProblemSeverity.Error));
        Assert.That(problem.Field, Is.EqualTo($"values.{key} (from values ConfigMap metal3/v)"));
        Assert.That(problem.Fix ?? problem.Message, Does.Contain(replacement));
    }

    [TestCase("k8sServiceHost", "auto", "cannot be rendered offline")]
    [TestCase("k8sServiceHost", "", "no API server host")]
    [TestCase("k8sServiceHost", "https://10.0.0.1", "not a bare IP address")]
    [TestCase("k8sServiceHost", "10.96.0.1", "service VIP")]
    [TestCase("k8sServicePort", "0", "not a TCP port")]
    [TestCase("k8sServicePort", "abc", "not a TCP port")]
    [TestCase("routingMode", "bogus", "not native or tunnel")]
    [TestCase("cluster.name", "Capi_1", "breaks Cilium's rules")]
    public void SilentlyFatalValuesAreCaughtBeforeTheCliRuns(string key, string value, string message)
    {
        Assert.That(Lint(key, value).Single().Message, Does.Contain(message));
    }

    [Test]
    public void DirectNodeRoutesNeedNativeRouting()
    {
        Assert.That(Lint("routingMode", "tunnel").Single().Field, Does.StartWith("values.autoDirectNodeRoutes"));
    }

    [Test]
    public void TheBareMetalDefaultsAreClean()
    {
        Assert.That(Lint("cluster.name", "capi-1"), Is.Empty);
    }

    [Test]
    public void UnknownKeysAreCaughtAgainstTheChartsDefaults()
    {
        var values = new HelmValues();
        values.Set("kubeProxyReplacment", true, new ValueSource(SettingsLayer.Profile, "typo.yaml.scriban"));
        values.Set("podAnnotations.team", "net", new ValueSource(SettingsLayer.Profile, "typo.yaml.scriban"));
        var defaults = JsonNode.Parse("""{"kubeProxyReplacement": false, "podAnnotations": {}}""")!.AsObject();

        var problem = ValuesLint.CheckKeysExist(values, defaults, "metal3/capi-1").Single();
        Assert.That(problem.Field, Does.StartWith("values.kubeProxyReplacment"));
    }
}
