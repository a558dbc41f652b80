using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CapiCiliumAddon.Kubernetes;
using CapiCiliumAddon.Rendering;

namespace CapiCiliumAddon.Controller.Tests.EndToEnd;

/// <summary>
/// The controller's promises checked against a REAL kube-apiserver (E2E_KUBECONFIG) with the Cluster API CRDs, the real
/// KubernetesClient, ControllerHost and rendering core in-process, and the real Cilium CLI (CILIUM_CLI) or the fake one
/// replaying recorded real runs. Opt-in: without E2E_KUBECONFIG every test reports itself skipped.
/// Run: E2E_KUBECONFIG=~/.kube/e2e.yaml [CILIUM_CLI=/usr/local/bin/cilium CILIUM_CHART_DIRECTORY=/charts/cilium-1.19.6]
///      dotnet test tests/CapiCiliumAddon.Controller.Tests --filter FullyQualifiedName~EndToEnd
/// </summary>
[TestFixture]
[Category("EndToEnd")]
[NonParallelizable]
[CancelAfter(300_000)]
public sealed partial class ControllerEndToEndTests
{
    internal static string ObjectName(string cluster) => $"{cluster}-cilium";

    [Test]
    public async Task ReadyLabelledClustersGetCorrectObjects_UnlabelledGetNothing_ARestartRendersNothing()
    {
        await using var env = await EndToEndEnvironment.StartAsync();
        using var rendering = await EndToEndRendering.CreateAsync();

        // One Cluster exists before the controller starts, one appears while it runs, one is not labelled.
        await env.CreateClusterAsync("e2e-before", "10.250.250.11");
        await env.CreateClusterAsync("e2e-unlabelled", "10.250.250.13", labelled: false);
        var sinceStart = Stopwatch.StartNew();
        var first = await Replica.StartAsync(env, rendering);
        await using (first)
        {
            await first.WaitReadyAsync();
            var sinceCreate = Stopwatch.StartNew();
            await env.CreateClusterAsync("e2e-after", "10.250.250.12");

            await EndToEndEnvironment.EventuallyAsync("e2e-before (existed at start) has correct objects", EndToEndEnvironment.Bound,
                () => ObjectsProblemAsync(env, "e2e-before", "10.250.250.11"), sinceStart);
            await EndToEndEnvironment.EventuallyAsync("e2e-after (created while running) has correct objects", EndToEndEnvironment.Bound,
                () => ObjectsProblemAsync(env, "e2e-after", "10.250.250.12"), sinceCreate);

            await AssertUntouchedAsync(env, "e2e-unlabelled");
            Assert.That(first.Renderer.Renders, Is.EqualTo(2), "one render per ready labelled Cluster");
            Assert.That(await first.RendersAsync(), Is.EqualTo(2), "capi_cilium_renders_total");
            if (rendering.IsFake)
            {
                // The two Clusters share version and values: the first is rendered directly and once more with
                // placeholder facts, the second is stamped from that verified template.
                Assert.That(rendering.FakeInstallRuns, Is.EqualTo(2), "`cilium install --dry-run` runs recorded by the fake CLI");
            }
        }

        // Restart: a new process (fresh renderer, fresh caches) finds every object current.
        var versions = await ResourceVersionsAsync(env, "e2e-before", "e2e-after");
        var installRunsBefore = rendering.FakeInstallRuns;
        await using var second = await Replica.StartAsync(env, rendering, identity: "e2e-1");
        await second.WaitReadyAsync();
        await EndToEndEnvironment.EventuallyAsync("the restarted controller has looked at both Clusters", EndToEndEnvironment.Bound, async () =>
        {
            var current = await second.CounterAsync("capi_cilium_reconciles_total", "current");
            var all = await second.CounterAsync("capi_cilium_reconciles_total");
            return current >= 2 ? null : $"reconciles: {current} current of {all}";
        });

        await Assert.MultipleAsync(async () =>
        {
            Assert.That(second.Renderer.Renders, Is.Zero, "renders after the restart (renderer calls)");
            Assert.That(await second.RendersAsync(), Is.Zero, "capi_cilium_renders_total after the restart");
            Assert.That(rendering.FakeInstallRuns, Is.EqualTo(installRunsBefore), "`cilium install` runs after the restart (fake CLI records; 0 = 0 with the real CLI)");
            Assert.That(await ResourceVersionsAsync(env, "e2e-before", "e2e-after"), Is.EqualTo(versions), "nothing was written after the restart");
        });
        await AssertUntouchedAsync(env, "e2e-unlabelled");
    }

    [Test]
    public async Task AClusterWithoutEndpointGetsAnEventAndNothingElse_ThenItsObjectsOnceTheEndpointIsSet()
    {
        await using var env = await EndToEndEnvironment.StartAsync();
        using var rendering = await EndToEndRendering.CreateAsync();
        await using var replica = await Replica.StartAsync(env, rendering);
        await replica.WaitReadyAsync();

        var sinceCreate = Stopwatch.StartNew();
        await env.CreateClusterAsync("e2e-pending", host: null);
        await EndToEndEnvironment.EventuallyAsync("an Event WaitingForControlPlaneEndpoint about e2e-pending", EndToEndEnvironment.Bound, async () =>
        {
            var events = await env.EventsAboutAsync("e2e-pending");
            return events.Any(e => (string?)e["reason"] == "WaitingForControlPlaneEndpoint" && (string?)e["type"] == "Normal"
                && (string?)e["regarding"]?["kind"] == "Cluster")
                ? null
                : $"events: [{string.Join(", ", events.Select(e => (string?)e["reason"]))}]";
        }, sinceCreate);

        // Nothing else: no objects, no label on the Cluster, no render, no other Event.
        Assert.That(await env.TryGetAsync(ResourceType.ConfigMap, ObjectName("e2e-pending")), Is.Null, "ConfigMap of a Cluster without endpoint");
        Assert.That(await env.TryGetAsync(env.ClusterResourceSetType, ObjectName("e2e-pending")), Is.Null, "ClusterResourceSet of a Cluster without endpoint");
        var pending = await env.Client.GetAsync(env.ClusterType, env.Namespace, "e2e-pending", EndToEndEnvironment.Timeout(30));
        Assert.That(pending["metadata"]?["labels"]?[AddonKeys.ClusterNameLabel], Is.Null, "the controller labels only Clusters it renders for");
        Assert.That(replica.Renderer.Renders, Is.Zero);
        Assert.That((await env.EventsAboutAsync("e2e-pending")).Select(e => (string?)e["reason"]).Distinct(), Is.EqualTo(new[] { "WaitingForControlPlaneEndpoint" }));

        // The infrastructure provider sets the endpoint a reconcile or two later.
        var sinceEndpoint = Stopwatch.StartNew();
        await env.UpdateClusterAsync("e2e-pending", c => c["spec"]!["controlPlaneEndpoint"] = new JsonObject { ["host"] = "10.250.250.14", ["port"] = 6443 });
        await EndToEndEnvironment.EventuallyAsync("e2e-pending has correct objects after its endpoint was set", EndToEndEnvironment.Bound,
            () => ObjectsProblemAsync(env, "e2e-pending", "10.250.250.14"), sinceEndpoint);
        Assert.That(replica.Renderer.Renders, Is.EqualTo(1));
    }

    [Test]
    public async Task RemovingTheLabelRemovesOurObjects_WithoutGarbageCollection()
    {
        await using var env = await EndToEndEnvironment.StartAsync();
        using var rendering = await EndToEndRendering.CreateAsync();
        await using var replica = await Replica.StartAsync(env, rendering);
        await replica.WaitReadyAsync();
        var since = Stopwatch.StartNew();
        await env.CreateClusterAsync("e2e-unlabel", "10.250.250.15");
        await EndToEndEnvironment.EventuallyAsync("e2e-unlabel has correct objects", EndToEndEnvironment.Bound,
            () => ObjectsProblemAsync(env, "e2e-unlabel", "10.250.250.15"), since);

        var sinceUnlabel = Stopwatch.StartNew();
        await env.UpdateClusterAsync("e2e-unlabel", c => (c["metadata"]!["labels"] as JsonObject)!.Remove(AddonKeys.CniLabel));
        await EndToEndEnvironment.EventuallyAsync("our objects of e2e-unlabel are deleted after the cni label was removed", EndToEndEnvironment.Bound, async () =>
        {
            var left = new List<string>();
            if (await env.TryGetAsync(ResourceType.ConfigMap, ObjectName("e2e-unlabel")) is not null) { left.Add("ConfigMap"); }
            if (await env.TryGetAsync(env.ClusterResourceSetType, ObjectName("e2e-unlabel")) is not null) { left.Add("ClusterResourceSet"); }
            return left.Count == 0 ? null : $"still there: {string.Join(", ", left)}";
        }, sinceUnlabel);

        // The Cluster itself is the user's: it stays.
        Assert.That(await env.TryGetAsync(env.ClusterType, "e2e-unlabel"), Is.Not.Null);
        var ours = await env.Client.ListAllAsync(ResourceType.ConfigMap, env.Namespace,
            new ListOptions(LabelSelector: $"{AddonKeys.ManagedByLabel}={AddonKeys.ManagedByValue}"), EndToEndEnvironment.Timeout(30));
        Assert.That(ours.Items, Is.Empty, "no ConfigMap of ours is left in the namespace");
    }

    [Test]
    public async Task AForeignConfigMapWithOurNameSurvivesUntouched()
    {
        await using var env = await EndToEndEnvironment.StartAsync();
        using var rendering = await EndToEndRendering.CreateAsync();
        var foreign = await env.CreateConfigMapAsync(ObjectName("e2e-foreign"), new JsonObject { ["owner"] = "someone else", ["cilium.yaml"] = "# not ours\n" });
        await using var replica = await Replica.StartAsync(env, rendering);
        await replica.WaitReadyAsync();

        var since = Stopwatch.StartNew();
        await env.CreateClusterAsync("e2e-foreign", "10.250.250.16");
        await EndToEndEnvironment.EventuallyAsync("a Warning Event ObjectNotOwned about e2e-foreign", EndToEndEnvironment.Bound, async () =>
        {
            var events = await env.EventsAboutAsync("e2e-foreign");
            return events.Any(e => (string?)e["reason"] == "ObjectNotOwned" && (string?)e["type"] == "Warning")
                ? null
                : $"events: [{string.Join(", ", events.Select(e => (string?)e["reason"]))}]";
        }, since);

        // Let it retry (backoff 0.2 s .. 2 s) a few times before looking again.
        await Task.Delay(TimeSpan.FromSeconds(3));
        var after = await env.Client.GetAsync(ResourceType.ConfigMap, env.Namespace, ObjectName("e2e-foreign"), EndToEndEnvironment.Timeout(30));
        Assert.Multiple(() =>
        {
            Assert.That((string?)after["metadata"]!["resourceVersion"], Is.EqualTo((string?)foreign["metadata"]!["resourceVersion"]), "resourceVersion");
            Assert.That(after["data"]!.ToJsonString(), Is.EqualTo(foreign["data"]!.ToJsonString()), "data");
            Assert.That(after["metadata"]!["labels"], Is.Null, "labels");
            Assert.That(after["metadata"]!["ownerReferences"], Is.Null, "ownerReferences");
            Assert.That((after["metadata"]!["managedFields"] as JsonArray ?? []).Select(m => (string?)m?["manager"]), Does.Not.Contain(AddonKeys.FieldManager), "managedFields");
        });
        Assert.That(await env.TryGetAsync(env.ClusterResourceSetType, ObjectName("e2e-foreign")), Is.Null, "no ClusterResourceSet would point at a ConfigMap we do not own");
        Assert.That(replica.Renderer.Renders, Is.Zero, "ownership is checked before rendering");
    }

    // ---- checks ----

    /// <summary>Null when the Cluster has exactly the objects the controller owes it (label, ConfigMap, ClusterResourceSet, right endpoint); else what is missing or wrong.</summary>
    internal static async Task<string?> ObjectsProblemAsync(EndToEndEnvironment env, string cluster, string host, int port = 6443)
    {
        var live = await env.TryGetAsync(env.ClusterType, cluster);
        if (live is null) { return "the Cluster is gone"; }
        var uid = (string?)live["metadata"]!["uid"];
        var crs = await env.TryGetAsync(env.ClusterResourceSetType, ObjectName(cluster));
        if (crs is null) { return "no ClusterResourceSet yet"; }

        var problems = new List<string>();
        if ((string?)live["metadata"]!["labels"]?[AddonKeys.ClusterNameLabel] != cluster)
        {
            problems.Add($"Cluster lacks label {AddonKeys.ClusterNameLabel}={cluster}");
        }

        CheckOurs(crs, "ClusterResourceSet", uid, problems);
        var hash = (string?)crs["metadata"]!["annotations"]?[AddonKeys.InputHashAnnotation];
        if ((string?)crs["spec"]?["strategy"] != "ApplyOnce") { problems.Add($"CRS strategy {crs["spec"]?["strategy"]}"); }
        var matchLabels = crs["spec"]?["clusterSelector"]?["matchLabels"] as JsonObject;
        if (matchLabels is null || matchLabels.Count != 1 || (string?)matchLabels[AddonKeys.ClusterNameLabel] != cluster)
        {
            problems.Add($"CRS selects {crs["spec"]?["clusterSelector"]?.ToJsonString()}, not only this Cluster");
        }

        var resources = (crs["spec"]?["resources"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        if (resources.Count == 0) { problems.Add("CRS lists no resources"); }
        var manifest = new System.Text.StringBuilder();
        foreach (var resource in resources)
        {
            var name = (string?)resource["name"] ?? "";
            if ((string?)resource["kind"] != "ConfigMap") { continue; }
            var cm = await env.TryGetAsync(ResourceType.ConfigMap, name);
            if (cm is null) { problems.Add($"ConfigMap {name} listed by the CRS is missing"); continue; }
            CheckOurs(cm, $"ConfigMap {name}", uid, problems);
            if ((string?)cm["metadata"]!["annotations"]?[AddonKeys.InputHashAnnotation] != hash) { problems.Add($"ConfigMap {name} has another input hash than the CRS"); }
            foreach (var (key, value) in (cm["data"] as JsonObject ?? []).OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                manifest.Append((string?)value).Append('\n');
            }
        }

        problems.AddRange(ManifestProblems(manifest.ToString(), cluster, host, port));
        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    /// <summary>The facts of the Cluster, as the rendered manifest must carry them.</summary>
    internal static List<string> ManifestProblems(string text, string cluster, string host, int port)
    {
        var problems = new List<string>();
        var hosts = EnvValue(text, "KUBERNETES_SERVICE_HOST");
        var ports = EnvValue(text, "KUBERNETES_SERVICE_PORT");
        if (hosts.Count == 0 || hosts.Any(h => h != host)) { problems.Add($"KUBERNETES_SERVICE_HOST values [{string.Join(", ", hosts)}], expected {host}"); }
        if (ports.Count == 0 || ports.Any(p => p != port.ToString(System.Globalization.CultureInfo.InvariantCulture))) { problems.Add($"KUBERNETES_SERVICE_PORT values [{string.Join(", ", ports)}], expected {port}"); }
        if (!Regex.IsMatch(text, $@"cluster-name:\s*""?{Regex.Escape(cluster)}""?\s*\n")) { problems.Add($"cilium-config lacks cluster-name {cluster}"); }
        if (!text.Contains("10.244.0.0/16", StringComparison.Ordinal)) { problems.Add("the manifest does not mention the pod CIDR 10.244.0.0/16"); }
        return problems;
    }

    private static void CheckOurs(JsonObject obj, string what, string? clusterUid, List<string> problems)
    {
        var meta = obj["metadata"]!;
        if ((string?)meta["labels"]?[AddonKeys.ManagedByLabel] != AddonKeys.ManagedByValue) { problems.Add($"{what} lacks {AddonKeys.ManagedByLabel}"); }
        if (string.IsNullOrEmpty((string?)meta["annotations"]?[AddonKeys.InputHashAnnotation])) { problems.Add($"{what} lacks the input hash"); }
        if (string.IsNullOrEmpty((string?)meta["annotations"]?[AddonKeys.CiliumVersionAnnotation])) { problems.Add($"{what} lacks the Cilium version"); }
        var owners = (meta["ownerReferences"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        if (!owners.Any(o => (string?)o["kind"] == "Cluster" && (string?)o["uid"] == clusterUid))
        {
            problems.Add($"{what} is not owned by the Cluster (uid {clusterUid}): {meta["ownerReferences"]?.ToJsonString()}");
        }
    }

    private static List<string> EnvValue(string manifest, string variable) =>
        Regex.Matches(manifest, $@"name:\s*{variable}\s*\n\s*value:\s*""?(?<v>[^""\s]+)""?")
            .Select(m => m.Groups["v"].Value)
            .ToList();

    /// <summary>No object, label or Event: the controller never saw it.</summary>
    private static async Task AssertUntouchedAsync(EndToEndEnvironment env, string cluster)
    {
        Assert.That(await env.TryGetAsync(ResourceType.ConfigMap, ObjectName(cluster)), Is.Null, $"ConfigMap of {cluster}");
        Assert.That(await env.TryGetAsync(env.ClusterResourceSetType, ObjectName(cluster)), Is.Null, $"ClusterResourceSet of {cluster}");
        var live = await env.Client.GetAsync(env.ClusterType, env.Namespace, cluster, EndToEndEnvironment.Timeout(30));
        Assert.That(live["metadata"]?["labels"]?[AddonKeys.ClusterNameLabel], Is.Null, $"label on {cluster}");
        Assert.That(await env.EventsAboutAsync(cluster), Is.Empty, $"Events about {cluster}");
    }

    /// <summary>resourceVersions of the Clusters and all their objects: any write changes one.</summary>
    private static async Task<Dictionary<string, string?>> ResourceVersionsAsync(EndToEndEnvironment env, params string[] clusters)
    {
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var cluster in clusters)
        {
            result[$"Cluster/{cluster}"] = (string?)(await env.TryGetAsync(env.ClusterType, cluster))?["metadata"]?["resourceVersion"];
            result[$"ClusterResourceSet/{ObjectName(cluster)}"] = (string?)(await env.TryGetAsync(env.ClusterResourceSetType, ObjectName(cluster)))?["metadata"]?["resourceVersion"];
        }

        var ours = await env.Client.ListAllAsync(ResourceType.ConfigMap, env.Namespace,
            new ListOptions(LabelSelector: $"{AddonKeys.ManagedByLabel}={AddonKeys.ManagedByValue}"), EndToEndEnvironment.Timeout(30));
        foreach (var cm in ours.Items)
        {
            result[$"ConfigMap/{cm["metadata"]!["name"]}"] = (string?)cm["metadata"]!["resourceVersion"];
        }

        return result;
    }
}
