using CapiCiliumAddon.Rendering.CiliumCli;
using CapiCiliumAddon.Rendering.Release;
using CapiCiliumAddon.Rendering.Review;
using CapiCiliumAddon.Rendering.Settings;
using CapiCiliumAddon.Testing;

namespace CapiCiliumAddon.Rendering.Tests.Release;

public class BumpReportTests
{
    private const string Hint = "give its chart";
    private static readonly CiliumVersion From = CiliumVersion.Parse("1.19.6");
    private static readonly CiliumVersion To = CiliumVersion.Parse("1.20.0");

    private static RenderChange Config(string key, string? old, string? now) =>
        new(RenderChangeArea.CiliumConfig, "ConfigMap kube-system/cilium-config", key,
            old is null ? FieldChangeKind.Added : now is null ? FieldChangeKind.Removed : FieldChangeKind.Modified, old, now);

    private static HelmValues Values(params (string Key, string Value, SettingsLayer Layer)[] values)
    {
        var result = new HelmValues();
        foreach (var (key, value, layer) in values)
        {
            result.Set(key, value, new ValueSource(layer, layer == SettingsLayer.ValuesConfigMap ? "metal3/site-values" : "bare metal"));
        }

        return result;
    }

    private static BumpedCluster Moved(string key, params RenderChange[] changes) =>
        new(key, BumpStatus.Changed, $"Cilium {From} → {To}", []) { From = From, Changes = changes, Values = Values(("routingMode", "native", SettingsLayer.BuiltIn)) };

    /// <summary>300 Clusters moving alike, one of which sets envoy's xDS mode itself, and one pinned.</summary>
    private static List<BumpedCluster> Fleet()
    {
        var fleet = Enumerable.Range(1, 300).Select(i => $"metal3/c-{i:D3}")
            .Select(key => key == "metal3/c-042"
                ? Moved(key, Config("devices", null, "\"\""), Config("envoy-xds-mode", null, "sotw"))
                : Moved(key, Config("devices", null, "\"\""), Config("envoy-xds-mode", null, "ads")))
            .ToList();
        fleet.Add(new BumpedCluster("metal3/pinned", BumpStatus.Pinned, "kept at 1.19.6", []) { From = From });
        return fleet;
    }

    [Test]
    public void AFleetMovingAlikeShowsEachChangeOnceAndNamesTheException()
    {
        var report = BumpReport.Build(To, "v0.19.7", "out", Fleet(), [], Hint);

        var move = report.Moves.Single();
        Assert.That((move.From, move.Clusters.Count), Is.EqualTo((From, 300)));
        Assert.That(move.Changes.Select(c => (c.Change.Item, c.Change.NewValue, c.Clusters.Count)), Is.EqualTo(new[]
        {
            ("devices", "\"\"", 300),
            ("envoy-xds-mode", "ads", 299),
            ("envoy-xds-mode", "sotw", 1),
        }));
        Assert.That(move.Changes[1].Exceptions, Is.EqualTo(new[] { new ChangeException("metal3/c-042", "+ \"sotw\"") }));
        Assert.That(report.NotMoved.Select(c => c.Key), Is.EqualTo(new[] { "metal3/pinned" }));

        var text = BumpSummary.Text(report);
        Assert.That(text, Does.Contain("Cilium 1.19.6 → 1.20.0: 300 Clusters\n(+ added, - removed, ~ changed; each change applies to all 300 unless it says which)\n"));
        Assert.That(text, Does.Contain("    + devices         \"\"\n"));
        Assert.That(text, Does.Contain("    + envoy-xds-mode  \"ads\"  [299 of 300; not metal3/c-042 (+ \"sotw\")]\n"));
        Assert.That(text, Does.Contain("    + envoy-xds-mode  \"sotw\"  [1 of 300: metal3/c-042]\n"));
        Assert.That(text, Does.Contain("Not moved, so none of the changes above reach them:\n  metal3/pinned (pinned)\n"));
        Assert.That(text, Does.Contain("Chart defaults 1.19.6 → 1.20.0 (values.yaml) that these Clusters do not set: not compared: chart 1.19.6 and 1.20.0 are not at hand (give its chart)"));
        Assert.That(text, Does.Match("\n  changed    300 Clusters +Cilium 1.19.6 → 1.20.0\n             metal3/c-001, metal3/c-002, "));
        Assert.That(text.Split('\n'), Has.Length.LessThan(80), "300 Clusters alike do not make 300 lines");
    }

    [Test]
    public void ManyExceptionsAreCountedPastTheFirstFew()
    {
        var fleet = Enumerable.Range(1, 10).Select(i => Moved($"metal3/c-{i:D2}", Config("devices", null, i <= 7 ? "\"\"" : "eth0"))).ToList();

        var change = BumpReport.Build(To, "v", "out", fleet, [], Hint).Moves.Single().Changes.First();

        Assert.That(change.Clusters, Has.Count.EqualTo(7));
        Assert.That(BumpSummary.Text(BumpReport.Build(To, "v", "out", fleet, [], Hint)),
            Does.Contain("[7 of 10; not metal3/c-08 (+ \"eth0\"), metal3/c-09 (+ \"eth0\"), metal3/c-10 (+ \"eth0\")]"));
    }

    [Test]
    public void ChartDefaultsTheClustersDoNotAllSetAreListedWithThoseThatDo()
    {
        using var temp = new TempDirectory();
        var charts = new[]
        {
            ChartDirectory.Load(FakeChart.Create(temp.Combine("1.19"), "1.19.6", "authentication:\n  enabled: true\nrouting: {mode: tunnel}\nroutingMode: \"\"\nimage: {tag: v1.19.6}\n")),
            ChartDirectory.Load(FakeChart.Create(temp.Combine("1.20"), "1.20.0", "authentication:\n  enabled: false\nrouting: {mode: native}\nroutingMode: native\nimage: {tag: v1.20.0}\n")),
        };
        var fleet = new List<BumpedCluster>
        {
            Moved("metal3/a") with { Values = Values(("routingMode", "native", SettingsLayer.BuiltIn), ("authentication.enabled", "true", SettingsLayer.ValuesConfigMap)) },
            Moved("metal3/b"),
            Moved("metal3/c"),
        };

        var defaults = BumpReport.Build(To, "v", "out", fleet, charts, Hint).Moves.Single().Defaults;

        Assert.That(defaults.NotCompared, Is.Null);
        Assert.That(defaults.Defaults.Select(d => (d.Change.Key, d.Change.OldValue, d.Change.NewValue, string.Join(",", d.SetBy))), Is.EqualTo(new[]
        {
            ("authentication.enabled", "true", "false", "metal3/a"),
            ("routing.mode", "\"tunnel\"", "\"native\"", ""),
        }), "routingMode is set by every Cluster, so its new default changes none of them");
        Assert.That(defaults.ImageReferences, Is.EqualTo(1));
    }

    [Test]
    public void ValuesTheNewChartLacksAreNamedWithWhoSetsThem()
    {
        using var temp = new TempDirectory();
        var chart = ChartDirectory.Load(FakeChart.Create(temp.Combine("1.20"), "1.20.0", "routingMode: native\nencryption:\n  enabled: false\n"));
        var fleet = new List<BumpedCluster>
        {
            Moved("metal3/a") with { Values = Values(("routingMode", "native", SettingsLayer.BuiltIn), ("encryption.strictMode.enabled", "true", SettingsLayer.ValuesConfigMap)) },
            new("metal3/b", BumpStatus.Skipped, "invalid", []) { Values = Values(("tunnel", "vxlan", SettingsLayer.ValuesConfigMap), ("bgpControlPlane.enabled", "true", SettingsLayer.BuiltIn)) },
        };

        var report = BumpReport.Build(To, "v", "out", fleet, [chart], Hint);

        Assert.That(report.MissingValuesNotChecked, Is.Null);
        Assert.That(report.MissingValues.Select(m => (m.Key, m.SetBy.Single())), Is.EqualTo(new[]
        {
            ("encryption.strictMode.enabled", ("metal3/a", "values ConfigMap metal3/site-values")),
            ("tunnel", ("metal3/b", "values ConfigMap metal3/site-values")),
        }), "our own built-in values are the planner's business, as in lint");
        Assert.That(report.MissingValues[1].Why, Does.StartWith("removed in Cilium 1.15"));
    }

    [Test]
    public void WithoutTheNewChartOnlyKnownRemovalsAreFoundAndTheSummarySaysSo()
    {
        var fleet = new List<BumpedCluster>
        {
            Moved("metal3/a") with { Values = Values(("tunnel", "vxlan", SettingsLayer.ValuesConfigMap), ("encryption.strictMode.enabled", "true", SettingsLayer.ValuesConfigMap)) },
        };

        var report = BumpReport.Build(To, "v", "out", fleet, [], Hint);

        Assert.That(report.MissingValues.Select(m => m.Key), Is.EqualTo(new[] { "tunnel" }));
        Assert.That(BumpSummary.Text(report), Does.Contain("  (chart 1.20.0 is not at hand (give its chart), so only the removals capi-cilium knows of were looked for)\n"));
    }
}
