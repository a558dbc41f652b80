using CapiCiliumAddon.Rendering.Release;
using CapiCiliumAddon.Rendering.Review;
using CapiCiliumAddon.Rendering.Settings;
using CapiCiliumAddon.Testing;

namespace CapiCiliumAddon.Rendering.Tests.Release;

public class ChartChangesTests
{
    /// <summary>The recordings of the same values on each chart (tests/fixtures/cilium-cli/README.md).</summary>
    private static readonly Dictionary<string, string> Recordings = new()
    {
        ["1.17.18"] = "baremetal-native-bgp-1.17",
        ["1.18.12"] = "baremetal-native-bgp-1.18",
        ["1.20.0"] = "baremetal-native-bgp-1.20",
    };

    private static string? CiliumConfigValue(CiliumVersion chart, string key)
    {
        var path = Path.Combine(RepositoryPaths.Fixtures, "cilium-cli", Recordings[chart.ToString()], "stdout.yaml");
        var loaded = ManifestLoader.Load(path);
        var config = loaded.Objects.Single(o => o.Identity is { Kind: "ConfigMap", Name: "cilium-config" });
        return (config.Root.Get("data") as YMap)?.GetText(key);
    }

    [Test]
    public void EveryEntryIsWhatTheRecordedRendersSay()
    {
        Assert.That(ChartChanges.Known, Is.Not.Empty);
        foreach (var change in ChartChanges.Known)
        {
            Assert.Multiple(() =>
            {
                Assert.That(CiliumConfigValue(change.From, change.ConfigKey), Is.EqualTo(change.OldValue), $"{change.ConfigKey} in {change.From}");
                Assert.That(CiliumConfigValue(change.To, change.ConfigKey), Is.EqualTo(change.NewValue), $"{change.ConfigKey} in {change.To}");
            });
        }
    }

    [Test]
    public void EveryEntrySpansARecordedPair()
    {
        foreach (var change in ChartChanges.Known)
        {
            Assert.That(ChartChanges.RecordedPairs, Does.Contain((change.From, change.To)), change.ConfigKey);
        }
    }

    [Test]
    public void AMoveListsTheSpansItCrossesByMinorVersion()
    {
        var v = CiliumVersion.Parse;
        Assert.That(ChartChanges.Between(v("1.17.5"), v("1.18.3")).Select(c => c.ConfigKey), Does.Contain("enable-l2-neigh-discovery").And.Not.Contain("mesh-auth-enabled"));
        Assert.That(ChartChanges.Between(v("1.17.18"), v("1.20.0")).Select(c => c.ConfigKey), Does.Contain("enable-l2-neigh-discovery").And.Contain("mesh-auth-enabled"));
        Assert.That(ChartChanges.Between(v("1.18.1"), v("1.18.12")), Is.Empty, "no known changes within a minor");
        Assert.That(ChartChanges.Between(v("1.18.12"), v("1.19.0")), Is.Empty, "1.19 is not recorded: nothing is attributed to it");
        Assert.That(ChartChanges.PartlyOverlapping(v("1.18.12"), v("1.19.0")), Is.EqualTo(new[] { (v("1.18.12"), v("1.20.0")) }));
    }

    [Test]
    public void ADowngradeGetsTheChangesReversed()
    {
        var back = ChartChanges.Between(CiliumVersion.Parse("1.20.0"), CiliumVersion.Parse("1.18.12")).Single(c => c.ConfigKey == "mesh-auth-enabled");

        Assert.That((back.From.ToString(), back.To.ToString(), back.OldValue, back.NewValue), Is.EqualTo(("1.20.0", "1.18.12", "false", "true")));
    }
}
