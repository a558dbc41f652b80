using System.Text.Json.Nodes;
using CapiCiliumAddon.Rendering.Release;
using CapiCiliumAddon.Rendering.Settings;

namespace CapiCiliumAddon.Rendering.Tests.Release;

public class ChartDefaultsTests
{
    private static JsonObject Json(string text) => JsonNode.Parse(text)!.AsObject();

    [Test]
    public void ListsEveryDefaultThatChangedCameOrWentByHelmKey()
    {
        var from = Json("""{"l2NeighDiscovery": {"enabled": true, "refreshPeriod": "30s"}, "startupProbe": {"failureThreshold": 105}, "cluster": {"name": "default"}}""");
        var to = Json("""{"l2NeighDiscovery": {"enabled": false}, "startupProbe": {"failureThreshold": 300}, "cluster": {"name": "default"}, "kubeProxyReplacement": "false"}""");

        Assert.That(ChartDefaults.Compare(from, to), Is.EqualTo(new[]
        {
            new DefaultChange("kubeProxyReplacement", null, "\"false\""),
            new DefaultChange("l2NeighDiscovery.enabled", "true", "false"),
            new DefaultChange("l2NeighDiscovery.refreshPeriod", "\"30s\"", null),
            new DefaultChange("startupProbe.failureThreshold", "105", "300"),
        }));
    }

    [Test]
    public void ListsCompareWholeAndEmptyMapsAreLeaves()
    {
        var from = Json("""{"operator": {"tolerations": [{"operator": "Exists"}], "nodeSelector": {"kubernetes.io/os": "linux"}, "podAnnotations": {}}}""");
        var to = Json("""{"operator": {"tolerations": [{"operator": "Exists"}, {"key": "a"}], "nodeSelector": {"kubernetes.io/os": "windows"}, "podAnnotations": {"a": "b"}}}""");

        Assert.That(ChartDefaults.Compare(from, to), Is.EqualTo(new[]
        {
            new DefaultChange("operator.nodeSelector.kubernetes.io/os", "\"linux\"", "\"windows\""),
            new DefaultChange("operator.podAnnotations", "{}", null),
            new DefaultChange("operator.podAnnotations.a", null, "\"b\""),
            new DefaultChange("operator.tolerations", """[{"operator":"Exists"}]""", """[{"operator":"Exists"},{"key":"a"}]"""),
        }));
    }

    [Test]
    public void AListOfScalarsSaysWhichItemsCameAndWent()
    {
        var capabilities = new DefaultChange("securityContext.capabilities.ciliumAgent", """["CHOWN","KILL","NET_ADMIN"]""", """["CHOWN","NET_ADMIN","SYSLOG"]""");

        Assert.Multiple(() =>
        {
            Assert.That(capabilities.ListItemChanges, Is.EqualTo("+\"SYSLOG\", -\"KILL\""));
            Assert.That(new DefaultChange("a", "[1,2]", "[2,1]").ListItemChanges, Is.EqualTo("same items, other order"));
            Assert.That(new DefaultChange("a", """[{"name":"all"}]""", "[]").ListItemChanges, Is.Null, "not a list of scalars");
            Assert.That(new DefaultChange("a", "true", "false").ListItemChanges, Is.Null);
        });
    }

    [TestCase("image.tag", true)]
    [TestCase("operator.image.digest", true)]
    [TestCase("authentication.mutual.spire.install.initImage.tag", true)]
    [TestCase("imagePullSecrets", false)]
    [TestCase("startupProbe.failureThreshold", false)]
    public void ImageReferencesAreTold(string key, bool isImage)
    {
        Assert.That(new DefaultChange(key, "a", "b").IsImage, Is.EqualTo(isImage));
    }

    [Test]
    public void AValueSetsTheDefaultsAtItsKeyBelowItAndAboveIt()
    {
        var values = new HelmValues();
        var source = new ValueSource(SettingsLayer.ValuesConfigMap, "metal3/values");
        values.Set("l2NeighDiscovery.enabled", true, source);
        values.Set("operator.tolerations", new JsonArray(), source);
        values.Set("hubble.tls.auto.method", "cronJob", source);

        Assert.Multiple(() =>
        {
            Assert.That(ChartDefaults.Sets(values, "l2NeighDiscovery.enabled"), Is.True);
            Assert.That(ChartDefaults.Sets(values, "operator.tolerations"), Is.True);
            Assert.That(ChartDefaults.Sets(values, "hubble.tls.auto"), Is.True, "a default map the Cluster sets a key in");
            Assert.That(ChartDefaults.Sets(values, "l2NeighDiscovery.refreshPeriod"), Is.False);
            Assert.That(ChartDefaults.Sets(values, "hubble.tls.auto.certValidityDuration"), Is.False);
            Assert.That(ChartDefaults.Sets(values, "operator"), Is.True);
            Assert.That(ChartDefaults.Sets(values, "operatorX"), Is.False);
        });
    }
}
