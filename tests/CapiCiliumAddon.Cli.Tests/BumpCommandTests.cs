using CapiCiliumAddon.Testing;

namespace CapiCiliumAddon.Cli.Tests;

public class BumpCommandTests : FakeCiliumTest
{
    private const string Pin117 = "  annotations:\n    addon.capi-cilium.io/cilium-version: 1.17.18";

    private string[] _charts = null!;

    [SetUp]
    public void SetUp() => UseCharts(("1.17.18", null), ("1.18.12", null));

    /// <summary>Makes fake charts of these versions (with these values.yaml, when given) the ones every run gets.</summary>
    private void UseCharts(params (string Version, string? Values)[] charts) =>
        _charts = charts.SelectMany(c => new[] { "--chart-directory", FakeChart.Create(Temp.Combine($"chart-{c.Version}"), c.Version, c.Values) }).ToArray();

    private string Out => Temp.Combine("out");

    private string Clusters => Temp.Combine("clusters");

    private void WriteClusters(params string[] documents)
    {
        Directory.CreateDirectory(Clusters);
        File.WriteAllText(Path.Combine(Clusters, "clusters.yaml"), string.Join("---\n", documents));
    }

    private string[] Environment => ["--cilium", Cilium, .. _charts];

    private async Task Render(string output, string version)
    {
        var (exit, _, stderr) = await CommandRunner.Run(["render", Clusters, "--out", output, "--cilium-version", version, .. Environment]);
        Assert.That(exit, Is.EqualTo(0), stderr);
    }

    private Task<(int Exit, string Stdout, string Stderr)> Bump(params string[] extra) => BumpTo("1.18.12", extra);

    private async Task<(int Exit, string Stdout, string Stderr)> BumpTo(string version, params string[] extra)
    {
        var (exit, stdout, stderr) = await CommandRunner.Run(["bump", "--to", version, Clusters, "--out", Out, .. Environment, .. extra]);
        return (exit, stdout.Replace(Temp.Path, "<tmp>", StringComparison.Ordinal), stderr);
    }

    private static string Unpinned(string name) => RenderCommandTests.Cluster(name);

    private static string Pinned(string name) =>
        RenderCommandTests.Cluster(name, "host: 10.250.250.30\n    port: 6443", pods: "[\"10.245.0.0/16\"]", extraMetadata: Pin117);

    [Test]
    public async Task MovesA117TreeTo118AndListsTheImageChanges()
    {
        WriteClusters(Unpinned("capi-1"));
        await Render(Out, "1.17.18");

        var (exit, stdout, stderr) = await Bump();

        Assert.That(exit, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("changed    metal3/capi-1  Cilium 1.17.18 → 1.18.12"));
        Assert.That(stdout, Does.Contain("quay.io/cilium/cilium: v1.17.18@sha256:"));
        Assert.That(stdout, Does.Contain("enable-l2-neigh-discovery"));
        Assert.That(stdout, Does.Contain("will not receive this change"));
        Golden.AssertMatches(stdout, "bump-1.17-to-1.18.txt");
    }

    [Test]
    public async Task TheFilesAreByteIdenticalToADirectRenderAtTheNewVersion()
    {
        WriteClusters(Unpinned("capi-1"), Unpinned("capi-3").Replace("10.250.250.29", "10.250.250.31", StringComparison.Ordinal));
        await Render(Out, "1.17.18");
        await Render(Temp.Combine("direct"), "1.18.12");

        var (exit, _, stderr) = await Bump();

        Assert.That(exit, Is.EqualTo(0), stderr);
        var direct = CommandRunner.Snapshot(Temp.Combine("direct"));
        Assert.That(direct.Keys, Has.Count.EqualTo(8), "per Cluster: ConfigMap, ClusterResourceSet, kustomization.yaml and the Helm values file");
        Assert.That(CommandRunner.Snapshot(Out), Is.EqualTo(direct));
    }

    [Test]
    public async Task APinnedClusterIsUntouchedUnlessIncludePinned()
    {
        WriteClusters(Unpinned("capi-1"), Pinned("capi-2"));
        await Render(Out, "1.17.18");
        var pinnedFolder = Path.Combine(Out, "metal3", "capi-2");
        var before = CommandRunner.Snapshot(pinnedFolder);

        var (exit, stdout, stderr) = await Bump();

        Assert.That(exit, Is.EqualTo(0), stderr);
        Assert.That(CommandRunner.Snapshot(pinnedFolder), Is.EqualTo(before));
        Assert.That(stdout, Does.Contain("pinned     metal3/capi-2  kept at 1.17.18 by addon.capi-cilium.io/cilium-version"));
        Golden.AssertMatches(stdout, "bump-pinned.txt");

        (exit, stdout, stderr) = await Bump("--include-pinned");

        Assert.That(exit, Is.EqualTo(0), stderr);
        Assert.That(CommandRunner.Snapshot(pinnedFolder), Is.Not.EqualTo(before));
        Assert.That(File.ReadAllText(Path.Combine(pinnedFolder, "configmap-capi-2-cilium.yaml")), Does.Contain("addon.capi-cilium.io/cilium-version: \"1.18.12\""));
        Assert.That(stdout, Does.Contain("changed    metal3/capi-2  Cilium 1.17.18 → 1.18.12; its addon.capi-cilium.io/cilium-version annotation still says 1.17.18"));
        Assert.That(stdout, Does.Contain("unchanged  metal3/capi-1"));
    }

    [Test]
    public async Task ASecondBumpChangesNothing()
    {
        WriteClusters(Unpinned("capi-1"));
        await Render(Out, "1.17.18");
        await Bump();
        var before = CommandRunner.Snapshot(Out);

        var (exit, stdout, _) = await Bump();

        Assert.That(exit, Is.EqualTo(0));
        Assert.That(stdout, Does.Contain("unchanged  metal3/capi-1  already Cilium 1.18.12"));
        Assert.That(stdout, Does.Contain("no image changed"));
        Assert.That(CommandRunner.Snapshot(Out), Is.EqualTo(before));
    }

    [Test]
    public async Task ANotReadyClusterIsAWarningNotAFailure()
    {
        WriteClusters(Unpinned("capi-1"), RenderCommandTests.Cluster("pending", "host: \"\"\n    port: 0"));

        var (exit, stdout, stderr) = await Bump();

        Assert.That(exit, Is.EqualTo(0), "a Cluster without an endpoint has no files to move; it renders at the new version once ready");
        Assert.That(stdout, Does.Contain("new        metal3/capi-1"));
        Assert.That(stdout, Does.Match(@"not ready +metal3/pending +no endpoint yet"));
        Assert.That(stderr, Does.Contain("warning: metal3/pending"));
        Assert.That(Directory.Exists(Path.Combine(Out, "metal3", "pending")), Is.False);
    }

    [Test]
    public async Task AnInvalidClusterIsSkippedAndFailsTheRun()
    {
        WriteClusters(Unpinned("capi-1"), RenderCommandTests.Cluster("bad", "host: https://10.0.0.1,10.0.0.2\n    port: 6443"));

        var (exit, stdout, _) = await Bump();

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(stdout, Does.Match(@"skipped +metal3/bad +invalid: "));
    }

    /// <summary>The recorded bare-metal render of each chart, and the chart version it was rendered with.</summary>
    private static readonly Dictionary<string, string> BareMetalRecordings = new()
    {
        ["1.17.18"] = "baremetal-native-bgp-1.17",
        ["1.18.12"] = "baremetal-native-bgp-1.18",
        ["1.19.6"] = "baremetal-native-bgp-1.19",
        ["1.20.0"] = "baremetal-native-bgp-1.20",
    };

    /// <summary>The lines of one titled section of the text summary ("  cilium-config:"), up to the next section.</summary>
    private static List<string> Section(string stdout, string title)
    {
        var lines = stdout.Split('\n');
        var start = Array.IndexOf(lines, $"  {title}:");
        Assert.That(start, Is.GreaterThanOrEqualTo(0), $"no section '{title}' in:\n{stdout}");
        return lines.Skip(start + 1).TakeWhile(l => l.StartsWith("    ", StringComparison.Ordinal)).ToList();
    }

    /// <summary>A cilium-config line of the summary as (marker, key, value): "    ~ key   "a" → "b"  [2 of 3; …]".</summary>
    private static (string Marker, string Key, string Value) ConfigLine(string line)
    {
        var match = System.Text.RegularExpressions.Regex.Match(line, @"^    ([~+-]) (\S+) +(.*)$");
        Assert.That(match.Success, line);
        return (match.Groups[1].Value, match.Groups[2].Value, match.Groups[3].Value);
    }

    private static string Quoted(string value) => $"\"{value}\"";

    [TestCase("1.17.18", "1.18.12")]
    [TestCase("1.18.12", "1.19.6")]
    [TestCase("1.19.6", "1.20.0")]
    public async Task EachMoveListsExactlyTheCiliumConfigChangesOfTheRecordedRenders(string from, string to)
    {
        UseCharts((from, null), (to, null));
        WriteClusters(Unpinned("capi-1"), Unpinned("capi-3").Replace("10.250.250.29", "10.250.250.31", StringComparison.Ordinal));
        await Render(Out, from);

        var (exit, stdout, stderr) = await BumpTo(to);

        Assert.That(exit, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain($"Cilium {from} → {to}: 2 Clusters (metal3/capi-1, metal3/capi-3)"));
        var expected = RecordedCiliumConfig.Changes(BareMetalRecordings[from], BareMetalRecordings[to])
            .Select(c => c switch
            {
                { OldValue: null } => ("+", c.Key, Quoted(c.NewValue!)),
                { NewValue: null } => ("-", c.Key, Quoted(c.OldValue)),
                _ => ("~", c.Key, $"{Quoted(c.OldValue)} → {Quoted(c.NewValue)}"),
            })
            .ToList();
        Assert.That(expected, Is.Not.Empty, "every recorded move changes cilium-config");
        Assert.That(Section(stdout, "cilium-config").Select(ConfigLine), Is.EqualTo(expected),
            "each changed key once, old → new as recorded, with no Cluster list: it applies to both");
    }

    /// <summary>An excerpt of chart 1.17.18's values.yaml: the defaults the fleet tests compare, as the chart has them.</summary>
    private const string Values117 = """
        image:
          repository: "quay.io/cilium/cilium"
          tag: "v1.17.18"
        l2NeighDiscovery:
          enabled: true
          refreshPeriod: "30s"
        enableRuntimeDeviceDetection: true
        startupProbe:
          failureThreshold: 105
        operator:
          replicas: 2
          tolerations:
          - operator: Exists
        """;

    /// <summary>The same excerpt of chart 1.18.12's values.yaml.</summary>
    private const string Values118 = """
        image:
          repository: "quay.io/cilium/cilium"
          tag: "v1.18.12"
        kubeProxyReplacement: "false"
        l2NeighDiscovery:
          enabled: false
        startupProbe:
          failureThreshold: 300
        operator:
          replicas: 2
          tolerations:
          - key: node-role.kubernetes.io/control-plane
            operator: Exists
        """;

    private static string WithValuesConfigMap(string cluster, string name, string values) =>
        cluster.Replace("  labels:", $"  annotations:\n    addon.capi-cilium.io/values-configmap: {name}\n  labels:", StringComparison.Ordinal)
        + $"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: metal3\ndata:\n  values.yaml: |\n    {values}\n";

    /// <summary>
    /// A fleet as a release engineer has one: two plain Clusters (their own endpoints and pod CIDRs), one pinned to
    /// 1.17.18, and one whose values ConfigMap keeps L2 neighbour discovery on (real render: the recording
    /// baremetal-l2-neigh-discovery-1.18).
    /// </summary>
    private void WriteFleet(params string[] more)
    {
        UseCharts(("1.17.18", Values117), ("1.18.12", Values118));
        WriteClusters([
            Unpinned("capi-1"),
            Pinned("capi-2"),
            RenderCommandTests.Cluster("capi-3", "host: 10.250.250.31\n    port: 6443", pods: "[\"10.246.0.0/16\"]"),
            WithValuesConfigMap(Unpinned("capi-4").Replace("10.250.250.29", "10.250.250.32", StringComparison.Ordinal), "capi-4-values",
                "l2NeighDiscovery: {enabled: true}"),
            .. more,
        ]);
    }

    [Test]
    public async Task AFleetShowsEachChangeOnceWithTheClustersItAppliesToAndTheExceptions()
    {
        WriteFleet();
        await Render(Out, "1.17.18");

        var (exit, stdout, stderr) = await Bump();

        Assert.That(exit, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("Cilium 1.17.18 → 1.18.12: 3 Clusters (metal3/capi-1, metal3/capi-3, metal3/capi-4)\n"
            + "(+ added, - removed, ~ changed; each change applies to all 3 unless it says which)"));
        var config = Section(stdout, "cilium-config").Select(ConfigLine).ToList();
        var expected = RecordedCiliumConfig.Changes("baremetal-native-bgp-1.17", "baremetal-native-bgp-1.18");
        Assert.That(config.Select(c => c.Key), Is.EqualTo(expected.Select(c => c.Key)), "each key once, whatever each Cluster's endpoint, name and pod CIDR");
        Assert.That(config.Single(c => c.Key == "enable-l2-neigh-discovery").Value,
            Is.EqualTo("\"true\" → \"false\"  [2 of 3; not metal3/capi-4 (unchanged)]"), "its values ConfigMap keeps it on");
        Assert.That(config.Where(c => c.Key != "enable-l2-neigh-discovery").Select(c => c.Value), Has.None.Contains("["), "every other change applies to all three");
        Assert.That(stdout, Does.Contain("Not moved, so none of the changes above reach them:\n  metal3/capi-2 (pinned)\n"));

        var defaults = Section(stdout, "Chart defaults 1.17.18 → 1.18.12 (values.yaml) that these Clusters do not set");
        Assert.That(defaults, Is.EqualTo(new[]
        {
            "    ~ l2NeighDiscovery.enabled        true → false  [not for metal3/capi-4: set by it]",
            "    ~ operator.tolerations            [{\"operator\":\"Exists\"}] → [{\"key\":\"node-role.kubernetes.io/control-plane\",\"operator\":\"Exists\"}]",
            "    ~ startupProbe.failureThreshold   105 → 300",
            "    - enableRuntimeDeviceDetection    true (removed)",
            "    - l2NeighDiscovery.refreshPeriod  \"30s\" (removed)",
            "    and 1 image reference (repository, tag, digest); the images these renders use are under Images",
        }), "kubeProxyReplacement, new in 1.18, is set by every Cluster (built in), so its default changes nothing");
        Golden.AssertMatches(stdout, "bump-fleet.txt");
    }

    [Test]
    public async Task TheMarkdownSummaryIsForAPullRequest()
    {
        WriteFleet();
        await Render(Out, "1.17.18");

        var (exit, stdout, stderr) = await Bump("--format", "markdown");

        Assert.That(exit, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.StartWith("## Cilium 1.18.12\n"));
        Assert.That(stdout, Does.Contain("| ~ | `enable-l2-neigh-discovery` | `\"true\"` | `\"false\"` | 2 of 3; not `metal3/capi-4` (unchanged) |"));
        Assert.That(stdout, Does.Contain("| ~ | `l2NeighDiscovery.enabled` | `true` | `false` | `metal3/capi-4` (sets it) |"));
        Golden.AssertMatches(stdout, "bump-fleet.md");
    }

    [Test]
    public async Task PerClusterFactsDoNotSplitAChange()
    {
        // 1.19 → 1.20 renames the certificate Job after a hash of its spec, which holds each Cluster's name.
        UseCharts(("1.19.6", null), ("1.20.0", null));
        WriteClusters(Unpinned("capi-1"), RenderCommandTests.Cluster("edge-7", "host: 192.168.7.10\n    port: 8443", pods: "[\"10.77.0.0/16\"]"),
            RenderCommandTests.Cluster("capi-3", "host: 10.250.250.31\n    port: 6443", ns: "site-b", pods: "[\"10.246.0.0/16\"]"));
        await Render(Out, "1.19.6");
        var jobs = Directory.GetFiles(Out, "configmap-*.yaml", SearchOption.AllDirectories)
            .Select(f => System.Text.RegularExpressions.Regex.Match(File.ReadAllText(f), "name: hubble-generate-certs-[0-9a-f]{10}").Value)
            .ToList();
        Assert.That(jobs.Distinct().Count(), Is.EqualTo(3), "each Cluster's Job has a name of its own");

        var (exit, stdout, stderr) = await BumpTo("1.20.0");

        Assert.That(exit, Is.EqualTo(0), stderr);
        Assert.That(Section(stdout, "Chart objects"), Is.EqualTo(new[]
        {
            "    ~ batch/v1 Job kube-system/hubble-generate-certs-<hash of its spec>  renamed: its name is a hash of its spec, which changed",
        }));
        Assert.That(Section(stdout, "cilium-config").Select(ConfigLine).Select(c => c.Key),
            Is.EqualTo(RecordedCiliumConfig.Changes("baremetal-native-bgp-1.19", "baremetal-native-bgp-1.20").Select(c => c.Key)));
        Assert.That(stdout, Does.Not.Contain(" of 3"), "no change is split by a Cluster's name, endpoint or pod CIDR");
    }

    [Test]
    public async Task AValueTheNewChartNoLongerHasIsNamedWithTheClustersSettingIt()
    {
        WriteFleet(WithValuesConfigMap(Unpinned("capi-5").Replace("10.250.250.29", "10.250.250.35", StringComparison.Ordinal), "capi-5-values",
            "l2NeighDiscovery: {refreshPeriod: 30s}"));

        var (exit, stdout, stderr) = await Bump();

        Assert.That(exit, Is.EqualTo(1), "the planner refuses it, as lint does");
        Assert.That(stdout, Does.Match(@"skipped +metal3/capi-5 +invalid: the chart defines no value 'l2NeighDiscovery.refreshPeriod'"));
        Assert.That(stdout, Does.Contain(
            "Values the Clusters set that chart 1.18.12 does not have (lint reports them as errors):\n"
            + "  l2NeighDiscovery.refreshPeriod: chart 1.18.12's values.yaml has no such value (removed or renamed); Helm ignores it silently; "
            + "find its new name in the chart's values.yaml or its upgrade notes\n"
            + "    set by metal3/capi-5 (values ConfigMap metal3/capi-5-values)\n"));
        Assert.That(stderr, Does.Contain("metal3/capi-5: values.l2NeighDiscovery.refreshPeriod (from values ConfigMap metal3/capi-5-values)"));
    }

    [Test]
    public async Task ChartDefaultsAreNotGuessedWhenAChartIsNotAtHand()
    {
        WriteFleet();
        await Render(Out, "1.17.18");

        UseCharts(("1.18.12", Values118));
        var (exit, stdout, stderr) = await Bump();

        Assert.That(exit, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain(
            "  Chart defaults 1.17.18 → 1.18.12 (values.yaml) that these Clusters do not set: not compared: chart 1.17.18 is not at hand "
            + "(give its unpacked chart with --chart-directory, CILIUM_CHART_DIRECTORY or chartDirectories in capi-cilium.yaml)\n"));
        Assert.That(Section(stdout, "cilium-config"), Is.Not.Empty, "the renders still say what changed");
    }

    [Test]
    public async Task PreviousFilesThatCannotBeReadAreSaidNotCompared()
    {
        WriteClusters(Unpinned("capi-1"));
        await Render(Out, "1.17.18");
        File.AppendAllText(Path.Combine(Out, "metal3", "capi-1", "configmap-capi-1-cilium.yaml"), "edited: [by hand\n");

        var (exit, stdout, stderr) = await Bump();

        Assert.That(exit, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("changed    metal3/capi-1  Cilium (none) → 1.18.12; its previous files could not be read, so what changed is not listed"));
        Assert.That(stdout, Does.Not.Contain("cilium-config"), "nothing is said about changes nobody could see");
    }

    [Test]
    public async Task UsageErrorsExitTwo()
    {
        WriteClusters(Unpinned("capi-1"));
        Assert.That((await CommandRunner.Run("bump", Clusters, "--out", Out)).Exit, Is.EqualTo(2), "--to is required");
        Assert.That((await CommandRunner.Run("bump", "--to", "latest", Clusters, "--out", Out)).Exit, Is.EqualTo(2));
        Assert.That((await CommandRunner.Run("bump", "--to", "1.18.12", Clusters, "--out", Out, "--cilium-version", "1.17.18")).Exit, Is.EqualTo(2));
        var (exit, _, stderr) = await CommandRunner.Run(["bump", "--to", "1.20.0", Clusters, "--out", Out, .. Environment]);
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(stderr, Does.Contain("Cilium 1.20.0 was requested but the chart directories hold 1.17.18, 1.18.12"));
    }
}
