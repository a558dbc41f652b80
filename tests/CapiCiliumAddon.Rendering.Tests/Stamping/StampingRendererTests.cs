using System.Text.RegularExpressions;
using CapiCiliumAddon.Rendering.Addons;
using CapiCiliumAddon.Rendering.Manifests;
using CapiCiliumAddon.Rendering.CiliumCli;
using CapiCiliumAddon.Rendering.Pipeline;
using CapiCiliumAddon.Rendering.Pipeline.Stamping;
using CapiCiliumAddon.Rendering.Planning;
using CapiCiliumAddon.Rendering.Settings;
using CapiCiliumAddon.Testing;

namespace CapiCiliumAddon.Rendering.Tests.Stamping;

/// <summary>
/// Render once, stamp many, against the fake CLI (which substitutes facts into the real recordings of charts 1.17 to
/// 1.20 where the chart puts them, and names the 1.19+ certificate Job after its spec as the chart does).
/// Every test compares with plain direct renders: stamping must never change a byte of what is written.
/// </summary>
public class StampingRendererTests
{
    private TempDirectory _temp = null!;
    private IReadOnlyList<ChartDirectory> _charts = null!;

    [SetUp]
    public void SetUp()
    {
        _temp = new TempDirectory();
        _charts = new[] { "1.17.18", "1.18.12", "1.19.6", "1.20.0" }
            .Select(v => ChartDirectory.Load(FakeChart.Create(_temp.Combine($"chart-{v}"), v)))
            .ToList();
    }

    [TearDown]
    public void TearDown() => _temp.Dispose();

    [TestCase("1.17.18")]
    [TestCase("1.18.12")]
    [TestCase("1.19.6")]
    [TestCase("1.20.0")]
    public async Task EveryRecordedChartStampsAGroupAsFinishedFilesByteIdenticalFromTwoCliRuns(string version)
    {
        var plans = Enumerable.Range(0, 6).Select(i => Plan(i, version)).ToList();

        var (direct, directRuns, _) = await Render(plans, stamp: false);
        var (stamped, stampedRuns, report) = await Render(plans, stamp: true);

        AssertSameOutputs(direct, stamped);
        Assert.That(directRuns, Is.EqualTo(plans.Count));
        Assert.That(stampedRuns, Is.EqualTo(2), "one template render and one direct sample render");
        Assert.That((report!.Stamped, report.StampedFiles), Is.EqualTo((plans.Count - 1, plans.Count - 1)), string.Join("\n", report.Rebuilt));
        Assert.That(report.Fallbacks, Is.Empty);
        Assert.That(stamped.Select(r => r.Summary.Kind), Is.EqualTo(new[] { RenderKind.Direct }.Concat(Enumerable.Repeat(RenderKind.Stamped, plans.Count - 1))));
        Assert.That(stamped.SelectMany(r => r.Summary.Problems), Is.Empty, "nothing to report");
    }

    [Test]
    public async Task The119And120JobNamesAreDerivedForEachCluster()
    {
        var plans = Enumerable.Range(0, 3).Select(i => Plan(i, "1.19.6")).ToList();

        var (stamped, _, _) = await Render(plans, stamp: true);

        var jobNames = stamped.Select(r => Regex.Match(r.Files!.Single(f => f.Key.StartsWith("configmap-", StringComparison.Ordinal)).Value,
            "  name: (hubble-generate-certs-[0-9a-f]{10})\n").Groups[1].Value).ToList();
        Assert.That(jobNames, Is.Unique, "cluster.name is in the Job's spec, so each Cluster's Job has a name of its own");
        Assert.That(jobNames, Has.None.EqualTo("hubble-generate-certs-d23753c582"), "none keeps the recorded name (cluster.name `default`)");
    }

    [Test]
    public async Task TheBatchKeepsOnlySummariesAfterHandingEachClusterOver()
    {
        var plans = Enumerable.Range(0, 4).Select(i => Plan(i, "1.18.12")).ToList();

        var (stamped, _, _) = await Render(plans, stamp: true);

        Assert.That(stamped.Select(r => r.Summary.Key), Is.EqualTo(plans.Select(p => p.Cluster.Key)), "input order, whatever the finishing order");
        Assert.That(stamped.Select(r => (r.Summary.Objects, r.Summary.Files)), Is.All.EqualTo(((AddonObjects?)null, (IReadOnlyList<KeyValuePair<string, string>>?)null)));
        Assert.That(stamped.Select(r => r.Files), Is.All.Not.Null, "the handler saw every Cluster's files once");
    }

    [TestCase("cilium")]
    [TestCase("cni")]
    public async Task HelmOwnershipMetadataIsStampedThroughByteIdentical(string release)
    {
        var plans = Enumerable.Range(0, 4).Select(i => Plan(i, "1.18.12", releaseName: release)).ToList();

        var (direct, _, _) = await Render(plans, stamp: false);
        var (stamped, runs, report) = await Render(plans, stamp: true);

        AssertSameOutputs(direct, stamped);
        Assert.That((runs, report!.Stamped), Is.EqualTo((2, 3)));
        foreach (var (result, plan) in stamped.Zip(plans))
        {
            var files = result.Files!.ToDictionary(f => f.Key, f => f.Value);
            var configMap = files[$"configmap-{plan.Cluster.Name}-cilium.yaml"];
            Assert.That(configMap.Split($"meta.helm.sh/release-name: \"{release}\"").Length - 1, Is.EqualTo(27), "every chart object of the 1.18 render; not the bootstrap Job");
            Assert.That(files[HelmValuesFile.FileName], Does.Contain($"  name: {plan.Cluster.Name}\n"), "each Cluster's own values file");
        }
    }

    [Test]
    public async Task PlansThatDifferInMoreThanFactsFormSeparateGroups()
    {
        // Two versions and an IPv6 pod network (ipv6.enabled is a fact-layer value but not a stamped one): three groups.
        var plans = new List<RenderPlan>();
        for (var i = 0; i < 3; i++)
        {
            plans.Add(Plan(i, "1.18.12"));
            plans.Add(Plan(10 + i, "1.17.18"));
            plans.Add(Plan(20 + i, "1.18.12", pods: $"[\"10.{100 + i}.0.0/16\", \"fd00:{i}::/56\"]"));
        }

        var (direct, _, _) = await Render(plans, stamp: false);
        var (stamped, runs, report) = await Render(plans, stamp: true);

        AssertSameOutputs(direct, stamped);
        Assert.That(runs, Is.EqualTo(6));
        Assert.That((report!.Groups, report.StampedGroups, report.Stamped), Is.EqualTo((3, 3, 6)));
    }

    [Test]
    public async Task HostsOfEachShapeAreStampedFromAPlaceholderOfTheirOwnShape()
    {
        var plans = new List<RenderPlan>();
        for (var i = 0; i < 3; i++)
        {
            plans.Add(Plan(i, "1.18.12"));
            plans.Add(Plan(10 + i, "1.18.12", host: $"fd00:{i}::10"));
            plans.Add(Plan(20 + i, "1.18.12", host: $"api-{i}.example.com"));
        }

        var (direct, _, _) = await Render(plans, stamp: false);
        var (stamped, runs, report) = await Render(plans, stamp: true);

        AssertSameOutputs(direct, stamped);
        Assert.That(runs, Is.EqualTo(6));
        Assert.That((report!.Groups, report.StampedGroups, report.Stamped, report.StampedFiles), Is.EqualTo((3, 3, 6, 6)),
            "hosts sit only inside the chart objects and the values file, where their shape does not change how they are written: " + string.Join("; ", report.Rebuilt));
    }

    [Test]
    public async Task NamesYamlWouldQuoteDifferentlyAreRebuiltNotStampedAsFiles()
    {
        // A name starting with a digit is quoted in our labels and names where the placeholder is not; a namespace too.
        var plans = new[]
        {
            Plan(0, "1.18.12"), Plan(1, "1.18.12"), Plan(2, "1.18.12", name: "7-edge"), Plan(3, "1.18.12", @namespace: "0-fleet"),
            Plan(4, "1.18.12", @namespace: "fleet-b"),
        };

        var (direct, _, _) = await Render(plans, stamp: false);
        var (stamped, runs, report) = await Render(plans, stamp: true);

        AssertSameOutputs(direct, stamped);
        Assert.That(runs, Is.EqualTo(2));
        Assert.That((report!.Stamped, report.StampedFiles), Is.EqualTo((4, 2)));
        Assert.That(report.Rebuilt, Is.EqualTo(new[]
        {
            "0-fleet/capi-3: namespace '0-fleet' would be quoted differently from its placeholder 'stamp-namespace-h4k8m2w6'",
            "metal3/7-edge: cluster name '7-edge' would be quoted differently from its placeholder 'stamp-cluster-p3t7v1x5'",
        }));
    }

    [TestCase(40_000, "is split into several ConfigMap or Secret parts")]
    [TestCase(200_000, "too close to the limit of 200000 to skip the splitting")]
    public async Task RendersNearThePartLimitAreRebuiltAndSplitLikeDirectOnes(int maxConfigMapBytes, string why)
    {
        var limits = new AddonLimits(maxConfigMapBytes);
        var plans = Enumerable.Range(0, 3).Select(i => Plan(i, "1.18.12")).ToList();

        var (direct, _, _) = await Render(plans, stamp: false, limits: limits);
        var (stamped, runs, report) = await Render(plans, stamp: true, limits: limits);

        AssertSameOutputs(direct, stamped);
        Assert.That(runs, Is.EqualTo(2));
        Assert.That((report!.Stamped, report.StampedFiles), Is.EqualTo((2, 0)));
        Assert.That(report.Rebuilt, Has.All.Contain(why));
        var configMapParts = direct[0].Files!.Count(f => f.Key.StartsWith("configmap-", StringComparison.Ordinal));
        Assert.That(configMapParts, maxConfigMapBytes < 100_000 ? Is.GreaterThan(1) : Is.EqualTo(1));
    }

    [Test]
    public async Task AGroupOfOneRendersDirectly()
    {
        var plans = new[] { Plan(0, "1.18.12"), Plan(1, "1.17.18") };

        var (direct, _, _) = await Render(plans, stamp: false);
        var (stamped, runs, report) = await Render(plans, stamp: true);

        AssertSameOutputs(direct, stamped);
        Assert.That(runs, Is.EqualTo(2));
        Assert.That((report!.StampedGroups, report.Stamped, report.Fallbacks.Count), Is.EqualTo((0, 0, 0)));
    }

    [Test]
    public async Task AClusterNamedLikeTheChartDefaultRendersDirectly()
    {
        // Templates compare cluster.name with "default"; a placeholder could not stand for it.
        var plans = new[] { Plan(0, "1.18.12", name: "default"), Plan(1, "1.18.12"), Plan(2, "1.18.12") };

        var (direct, _, _) = await Render(plans, stamp: false);
        var (stamped, runs, report) = await Render(plans, stamp: true);

        AssertSameOutputs(direct, stamped);
        Assert.That(runs, Is.EqualTo(3), "the default-named Cluster directly, the other two as template + sample");
        Assert.That(report!.Stamped, Is.EqualTo(1));
    }

    [Test]
    public async Task AJobNameThatIsNotTheHashOfItsSpecIsNotStamped()
    {
        // 1.19+ names the certificate Job hubble-generate-certs-<sha256 of its spec>, and the spec holds cluster.name.
        // A template whose Job name is not that hash could not be re-derived per Cluster: the group renders directly.
        var cli = PerturbingWrapper("template", "s/^  name: hubble-generate-certs-[0-9a-f]\\{10\\}$/  name: hubble-generate-certs-0123456789/");
        var plans = Enumerable.Range(0, 4).Select(i => Plan(i, "1.20.0")).ToList();

        var (direct, _, _) = await Render(plans, stamp: false, cli: cli);
        var (stamped, runs, report) = await Render(plans, stamp: true, cli: cli);

        AssertSameOutputs(direct, stamped, ignoreStampingWarnings: true);
        Assert.That(runs, Is.EqualTo(1 + plans.Count), "the template, then every Cluster directly");
        Assert.That(report!.Fallbacks.Single(), Does.Contain("cluster.name is part of Job hubble-generate-certs-0123456789")
            .And.Contain("not the sha256 of its spec"));
        var warning = stamped[0].Summary.Problems.Single();
        Assert.That((warning.Severity, warning.Subject, warning.Field), Is.EqualTo((ProblemSeverity.Warning, "metal3/capi-0", "stamping")));
        Assert.That(stamped.Skip(1).SelectMany(r => r.Summary.Problems), Is.Empty, "reported once, on the group's first Cluster");
        Assert.That(stamped.Select(r => r.Summary.Kind), Is.EqualTo(new[] { RenderKind.Direct, RenderKind.Fallback, RenderKind.Fallback, RenderKind.Fallback }));
    }

    [Test]
    public async Task ASampleThatDiffersFromItsStampFallsBackAndSaysWhere()
    {
        // Every real (non-template) render comes out with one line changed, as if the chart derived it from a fact.
        var cli = PerturbingWrapper("direct", "s/enable-policy: \"default\"/enable-policy: \"always\"/");
        var plans = Enumerable.Range(0, 4).Select(i => Plan(i, "1.18.12")).ToList();

        var (direct, _, _) = await Render(plans, stamp: false, cli: cli);
        var (stamped, runs, report) = await Render(plans, stamp: true, cli: cli);

        AssertSameOutputs(direct, stamped, ignoreStampingWarnings: true);
        Assert.That(runs, Is.EqualTo(1 + plans.Count));
        var fallback = report!.Fallbacks.Single();
        Assert.That(fallback, Does.Contain("metal3/capi-0").And.Contain("differs from its direct render at line ")
            .And.Contain("enable-policy: \"always\"").And.Contain("enable-policy: \"default\""));
        Assert.That(stamped[0].Problems.Single().Message, Is.EqualTo(fallback));
        Assert.That(stamped.Select(r => r.State), Is.All.EqualTo(ClusterState.Rendered));
    }

    [Test]
    public async Task APlaceholderInAnUnexpectedPlaceFallsBack()
    {
        var cli = PerturbingWrapper("template", "s/enable-policy: \"default\"/enable-policy: \"203.0.113.231\"/");
        var plans = Enumerable.Range(0, 3).Select(i => Plan(i, "1.18.12")).ToList();

        var (direct, _, _) = await Render(plans, stamp: false, cli: cli);
        var (stamped, runs, report) = await Render(plans, stamp: true, cli: cli);

        AssertSameOutputs(direct, stamped, ignoreStampingWarnings: true);
        Assert.That(runs, Is.EqualTo(1 + plans.Count));
        Assert.That(report!.Fallbacks.Single(), Does.Contain("k8sServiceHost: the placeholder is in an unexpected place")
            .And.Contain("ConfigMap cilium-config").And.Contain("enable-policy"));
    }

    [Test]
    public async Task AMissingPlaceholderFallsBack()
    {
        // One of the five endpoint env values is not the placeholder: the chart did not put the fact where expected.
        var cli = PerturbingWrapper("template", "0,/value: \"54839\"/s//value: \"6443\"/");
        var plans = Enumerable.Range(0, 3).Select(i => Plan(i, "1.18.12")).ToList();

        var (stamped, runs, report) = await Render(plans, stamp: true, cli: cli);

        Assert.That(runs, Is.EqualTo(1 + plans.Count));
        Assert.That(report!.Fallbacks.Single(), Does.Contain("k8sServicePort: expected 5 × KUBERNETES_SERVICE_PORT env value, found 4"));
        Assert.That(stamped.Select(r => r.State), Is.All.EqualTo(ClusterState.Rendered));
    }

    [Test]
    public async Task AStampedClusterIsCheckedAgainstItsOwnPlan()
    {
        // A template whose endpoint env is stamped correctly but whose config breaks a check fails every Cluster
        // (sample included) the same way a direct render would.
        var cli = PerturbingWrapper("all", "s/kube-proxy-replacement: \"true\"/kube-proxy-replacement: \"false\"/");
        var plans = Enumerable.Range(0, 3).Select(i => Plan(i, "1.18.12")).ToList();

        var (direct, _, _) = await Render(plans, stamp: false, cli: cli);
        var (stamped, runs, _) = await Render(plans, stamp: true, cli: cli);

        Assert.That(runs, Is.EqualTo(2));
        Assert.That(stamped.Select(r => r.State), Is.All.EqualTo(ClusterState.Failed));
        Assert.That(stamped.Select(r => r.Problems.Select(p => p.ToString())), Is.EqualTo(direct.Select(r => r.Problems.Select(p => p.ToString()))));
    }

    [TestCase("k8sServiceHost", "10.0.0.1", "host-ipv4")]
    [TestCase("k8sServiceHost", "fd00::1", "host-ipv6")]
    [TestCase("k8sServiceHost", "api.example.com", "host-dns")]
    [TestCase("k8sServiceHost", "auto", null)]
    [TestCase("k8sServiceHost", "Api.Example.com", null)]
    [TestCase("k8sServicePort", "6443", "port")]
    [TestCase("k8sServicePort", "0", null)]
    [TestCase("k8sServicePort", "06443", null)]
    [TestCase("ipv4NativeRoutingCIDR", "10.244.0.0/16", "cidr-ipv4")]
    [TestCase("ipv6NativeRoutingCIDR", "fd00::/56", "cidr-ipv6")]
    [TestCase("cluster.name", "capi-1", "name")]
    [TestCase("cluster.name", "default", null)]
    [TestCase("cluster.name", "123", null)]
    [TestCase("cluster.name", "1e3", null)]
    [TestCase("cluster.name", "true", null)]
    [TestCase("cluster.name", "a234567890123456789012345678901234", null)]
    public void OnlyPlainValuesHaveAStampableShape(string key, string value, string? shape) =>
        Assert.That(StampableFacts.ShapeOf(key, value), Is.EqualTo(shape));

    [Test]
    public void PlaceholdersAreValidFactsOfTheirOwnShape()
    {
        Assert.That(StampableFacts.PlaceholderName, Has.Length.LessThanOrEqualTo(32));
        foreach (var (key, shape) in new[] { ("k8sServiceHost", "host-ipv4"), ("k8sServiceHost", "host-ipv6"), ("k8sServiceHost", "host-dns"),
                     ("k8sServicePort", "port"), ("ipv4NativeRoutingCIDR", "cidr-ipv4"), ("ipv6NativeRoutingCIDR", "cidr-ipv6"), ("cluster.name", "name") })
        {
            Assert.That(StampableFacts.ShapeOf(key, StampableFacts.PlaceholderText(shape)), Is.EqualTo(shape), key);
        }
    }

    [Test]
    public void NoPlaceholderOccursInAnyRecordedRender()
    {
        var recordings = Directory.GetFiles(Path.Combine(RepositoryPaths.Root, "tests", "fixtures", "cilium-cli"), "stdout.yaml", SearchOption.AllDirectories);
        Assert.That(recordings, Is.Not.Empty);
        foreach (var file in recordings)
        {
            var text = File.ReadAllText(file);
            foreach (var shape in new[] { "host-ipv4", "host-ipv6", "host-dns", "cidr-ipv4", "cidr-ipv6", "name" })
            {
                Assert.That(text, Does.Not.Contain(StampableFacts.Stem(shape)), file);
            }

            Assert.That(Regex.IsMatch(text, "(?<![0-9A-Za-z])54839(?![0-9A-Za-z])"), Is.False, file);
            foreach (var placeholder in new[] { FinishedStamp.PlaceholderNamespace, FinishedStamp.PlaceholderClusterName, FinishedStamp.PlaceholderSelectorValue, FinishedStamp.PlaceholderInputHash })
            {
                Assert.That(text, Does.Not.Contain(placeholder), file);
            }
        }
    }

    private RenderPlan Plan(int i, string version, string? name = null, string? pods = null, string? host = null, string? @namespace = null,
        string releaseName = HelmReleaseIdentity.DefaultName) =>
        FleetPlans.Plan(_charts, i, version, name, pods, host, @namespace, releaseName: releaseName);

    private int _run;

    /// <summary>One Cluster as the batch returned it, with the files its handler was given.</summary>
    private sealed record Rendered(ClusterResult Summary, IReadOnlyList<KeyValuePair<string, string>>? Files)
    {
        public ClusterState State => Summary.State;

        public IReadOnlyList<Problem> Problems => Summary.Problems;
    }

    /// <summary>Renders through the fake (or <paramref name="cli"/>), returning results, CLI install runs and the report.</summary>
    private async Task<(IReadOnlyList<Rendered> Results, int Runs, StampingReport? Report)> Render(IReadOnlyList<RenderPlan> plans, bool stamp,
        Func<string, string, string>? cli = null, AddonLimits? limits = null)
    {
        var run = _run++;
        var record = _temp.Combine($"record-{run}");
        var bin = _temp.Combine($"bin-{run}");
        Directory.CreateDirectory(record);
        var runner = new CiliumCliRunner(new CiliumCliOptions(cli is null ? FakeCiliumCli.CreateWrapper(bin, "replay", record) : cli(bin, record))
        {
            Timeout = TimeSpan.FromSeconds(60),
        });
        var pipeline = new AddonRenderPipeline(runner, limits);
        var stamper = stamp ? new StampingRenderer(runner, pipeline, 2, limits) : null;
        var files = new System.Collections.Concurrent.ConcurrentDictionary<string, IReadOnlyList<KeyValuePair<string, string>>?>(StringComparer.Ordinal);
        var results = await new BatchRenderer(pipeline, 2, stamper).RenderAsync(plans, (result, _) =>
        {
            Assert.That(files.TryAdd(result.Key, result.Files), Is.True, $"{result.Key} handed over twice");
            return ValueTask.CompletedTask;
        }, null, CancellationToken.None);
        var runs = FakeCiliumCli.ReadInvocations(record).Count(i => i.Argv.FirstOrDefault() == "install");
        return (results.Select(r => new Rendered(r, files[r.Key])).ToList(), runs, stamper?.LastReport);
    }

    /// <summary>
    /// A test-only CLI: runs the fake (recording into the run's record directory) and pipes its stdout through a sed
    /// expression for the renders chosen by <paramref name="which"/>: "template" (placeholder facts), "direct" (real facts) or "all".
    /// </summary>
    internal static Func<string, string, string> PerturbingWrapper(string which, string sedExpression) => (directory, record) =>
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "cilium");
        var condition = which switch
        {
            "template" => "grep -q '203.0.113.231' \"$last\"",
            "direct" => "! grep -q '203.0.113.231' \"$last\"",
            _ => "true",
        };
        File.WriteAllText(path, $$"""
            #!/bin/sh
            # Test-only: the fake cilium, with some renders perturbed.
            fake={{Quote(FakeCiliumCli.BinaryPath)}}
            record={{Quote($"--fake-record={record}")}}
            if [ "$1" != install ]; then exec "$fake" "$record" "$@"; fi
            for last; do :; done
            out=$("$fake" "$record" "$@"; echo "exit=$?")
            code=${out##*exit=}
            out=${out%exit=*}
            if {{condition}}; then
              printf '%s' "$out" | sed -e {{Quote(sedExpression)}}
            else
              printf '%s' "$out"
            fi
            exit "$code"

            """);
        if (OperatingSystem.IsWindows())
        {
            Assert.Ignore("the perturbing CLI is a /bin/sh script");
        }
        else
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return path;
    };

    private static string Quote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static void AssertSameOutputs(IReadOnlyList<Rendered> direct, IReadOnlyList<Rendered> stamped, bool ignoreStampingWarnings = false)
    {
        Assert.That(stamped.Select(r => r.Summary.Key), Is.EqualTo(direct.Select(r => r.Summary.Key)), "same Clusters, same order");
        for (var i = 0; i < direct.Count; i++)
        {
            var key = direct[i].Summary.Key;
            Assert.That(stamped[i].State, Is.EqualTo(direct[i].State), key);
            Assert.That(direct[i].State, Is.EqualTo(ClusterState.Rendered), () => string.Join("\n", direct[i].Problems));
            var problems = stamped[i].Problems.Where(p => !(ignoreStampingWarnings && p.Field == "stamping"));
            Assert.That(problems, Is.EqualTo(direct[i].Problems), key);
            Assert.That(stamped[i].Files, Is.EqualTo(direct[i].Files), $"{key}: byte-identical files");
        }
    }
}
