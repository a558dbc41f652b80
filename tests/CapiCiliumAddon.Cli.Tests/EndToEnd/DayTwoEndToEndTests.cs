using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using CapiCiliumAddon.Rendering.CiliumCli;
using CapiCiliumAddon.Rendering.Clusters;
using CapiCiliumAddon.Rendering.Pipeline.Stamping;
using CapiCiliumAddon.Rendering.Settings;
using CapiCiliumAddon.Rendering.Yaml;
using CapiCiliumAddon.Testing;
using k8s;
using k8s.Autorest;

namespace CapiCiliumAddon.Cli.Tests.EndToEnd;

/// <summary>
/// Opt-in, against a REAL kube-apiserver (E2E_KUBECONFIG) and, for the takeover, the REAL Cilium CLI (CILIUM_CLI with
/// at least two unpacked charts in CILIUM_CHART_DIRECTORY). What the recordings install-over-crs-objects-1.18 and
/// install-over-owned-objects-1.18 show, asserted on today's tools: our render, applied as a ClusterResourceSet
/// applies it, is adopted by `cilium install` with our values without changing an object, and `cilium upgrade` with
/// the next render's values then moves it to the next chart, keeping the Cluster's control plane endpoint.
/// </summary>
[Category("EndToEnd")]
[CancelAfter(600_000)]
public sealed class DayTwoEndToEndTests
{
    private static readonly string[] GitOpsCrds =
    [
        "helmreleases.helm.toolkit.fluxcd.io", "helmrepositories.source.toolkit.fluxcd.io", "applications.argoproj.io",
    ];

    /// <summary>How long `cilium install`/`upgrade` may wait for a Helm hook Job (--wait-duration).</summary>
    private const string HookWait = "45s";

    private TempDirectory _temp = null!;

    [SetUp]
    public void SetUp() => _temp = new TempDirectory();

    [TearDown]
    public void TearDown() => _temp.Dispose();

    private static async Task<(int Exit, string Stdout, string Stderr)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await CliApp.RunAsync(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private string WriteCluster(string name)
    {
        var path = _temp.Combine("clusters", "cluster.yaml");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, RenderCommandTests.Cluster(name, ns: "day2-e2e"));
        return Path.GetDirectoryName(path)!;
    }

    /// <summary>The handoff manifests, created with server-side dry-run and strict field validation on a server holding the real CRDs.</summary>
    [Test]
    public async Task TheFluxAndArgoCdManifestsAreAcceptedByAnApiServerWithTheRealCrds()
    {
        using var server = LiveApiServer.FromEnvironment("that has the Flux and Argo CD CRDs (tests/fixtures/gitops-crds) installed");
        foreach (var crd in GitOpsCrds)
        {
            try
            {
                await server.Client.ApiextensionsV1.ReadCustomResourceDefinitionAsync(crd);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                Assert.Ignore($"skipped: CRD {crd} is not installed on the E2E server; install the GitOps CRDs once with " +
                    "`kubectl apply --server-side -f tests/fixtures/gitops-crds/` to run this test");
            }
        }

        var cilium = FakeCiliumCli.CreateWrapper(_temp.Combine("bin"));
        var chart = FakeChart.Create(_temp.Combine("chart"), "1.18.12");
        var render = await Run("render", WriteCluster("capi-1"), "--out", _temp.Combine("out"), "--cilium", cilium, "--chart-directory", chart);
        Assert.That(render.Exit, Is.EqualTo(0), render.Stderr);
        var handoff = await Run("handoff", _temp.Combine("out"), "--out", _temp.Combine("handoff"));
        Assert.That(handoff.Exit, Is.EqualTo(0), handoff.Stderr);

        // flux-system and argocd may not exist on the test server: dry-run every manifest in a namespace of our own.
        var ns = "capi-cilium-e2e-" + Guid.NewGuid().ToString("N")[..8];
        var namespaceObject = LiveApiServer.Reference("v1", "Namespace", null, ns);
        await server.CreateAsync(namespaceObject);
        try
        {
            var manifests = Directory.GetFiles(_temp.Combine("handoff"), "*.yaml", SearchOption.AllDirectories)
                .Where(f => Path.GetFileName(f) != "kustomization.yaml").Order(StringComparer.Ordinal).ToList();
            Assert.That(manifests, Has.Count.EqualTo(3));
            foreach (var file in manifests)
            {
                var obj = (JsonObject)YamlDocuments.Parse(File.ReadAllText(file), file).Single().Content!;
                obj["metadata"]!["namespace"] = ns;
                var accepted = await server.CreateAsync(obj, dryRun: true);
                Assert.That((string?)accepted["metadata"]?["name"], Is.EqualTo((string?)obj["metadata"]!["name"]), file);
                Assert.That(await server.GetAsync(obj), Is.Null, $"{file}: a dry run persists nothing");
            }
        }
        finally
        {
            await server.DeleteAsync(namespaceObject);
            await FinalizeNamespacesAsync(server, [ns]);
        }
    }

    /// <summary>
    /// The acceptance of the day-2 handoff with the real tools, on two adjacent charts of 1.19 or later. On a server
    /// without nodes (the team's e2e server), no Cilium pod ever starts; should a chart still run a hook Job, the CLI
    /// waits --wait-duration for it and exits 1 after Helm has done its work, as recorded in
    /// install-over-owned-objects-1.18; that exit, and only that one, is accepted. The test refuses to run where nodes
    /// exist (it would start Cilium on them) or where any object it would create already exists.
    /// </summary>
    [Test]
    public async Task CiliumInstallAdoptsTheBootstrapUnchangedAndCiliumUpgradeMovesToTheNextChart()
    {
        using var server = LiveApiServer.FromEnvironment("without nodes, to install Cilium's objects into");
        var cli = Environment.GetEnvironmentVariable(CiliumCliLocator.EnvironmentVariable);
        var charts = (Environment.GetEnvironmentVariable("CILIUM_CHART_DIRECTORY") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Select(ChartDirectory.Load).OrderBy(c => c.Version).ToList();
        if (string.IsNullOrEmpty(cli) || charts.Count < 2)
        {
            Assert.Ignore("skipped: set CILIUM_CLI to a real Cilium CLI and CILIUM_CHART_DIRECTORY to at least two unpacked charts (':'-separated) to run the takeover test");
        }

        var nodes = await server.Client.CoreV1.ListNodeAsync(limit: 1);
        if (nodes.Items.Count > 0)
        {
            Assert.Ignore("skipped: the E2E server has nodes; this test installs Cilium into kube-system and only runs where no Cilium pod can start");
        }

        // Both charts 1.19 or later: before 1.19 the Hubble certificate Job is a post-install hook, which never completes
        // on a server without nodes, and Helm does not upgrade a release whose install failed waiting for it.
        var pair = Enumerable.Range(1, charts.Count - 1).FirstOrDefault(i => charts[i - 1].Version.IsAtLeast(1, 19));
        if (pair == 0)
        {
            Assert.Ignore($"skipped: the takeover needs two charts of 1.19 or later in CILIUM_CHART_DIRECTORY (given: {string.Join(", ", charts.Select(c => c.Version))})");
        }

        var (from, next) = (charts[pair - 1], charts[pair]);
        var clusters = WriteCluster("capi-day2");
        var first = await Run("render", clusters, "--out", _temp.Combine("from"), "--cilium", cli!, "--chart-directory", from.Path);
        Assert.That(first.Exit, Is.EqualTo(0), first.Stderr);
        var second = await Run("render", clusters, "--out", _temp.Combine("next"), "--cilium", cli!, "--chart-directory", next.Path);
        Assert.That(second.Exit, Is.EqualTo(0), second.Stderr);
        var folder = Path.Combine("day2-e2e", "capi-day2");
        var bootstrap = ObjectsOf(_temp.Combine("from", folder));
        var upgraded = ObjectsOf(_temp.Combine("next", folder));
        var values = _temp.Combine("from", folder, HelmValuesFile.FileName);
        var nextValues = _temp.Combine("next", folder, HelmValuesFile.FileName);

        var hookJob = LiveApiServer.Reference("batch/v1", "Job", "kube-system", "hubble-generate-certs");
        foreach (var obj in bootstrap.Concat(upgraded).Append(hookJob))
        {
            if (await server.GetAsync(obj) is not null)
            {
                Assert.Ignore($"skipped: {LiveApiServer.Describe(obj)} already exists on the E2E server; this test never touches objects it did not create");
            }
        }

        if (await ReleaseSecrets(server) is { Count: > 0 } existing)
        {
            Assert.Ignore($"skipped: the E2E server already has Helm release {string.Join(", ", existing)}");
        }

        var created = new List<JsonObject>();
        try
        {
            // As a ClusterResourceSet applies it: each object of the ConfigMap, in data-key order, created once.
            foreach (var obj in bootstrap)
            {
                created.Add(await server.CreateAsync(obj, strict: false));
            }

            var install = await CiliumAsync(cli!, server.KubeConfigPath, "install", "--chart-directory", from.Path, "--values", values, "--wait-duration", HookWait);
            AssertDoneOrOnlyWaitingForTheHook(install, "install");
            Assert.That(await ReleaseSecrets(server), Does.Contain("sh.helm.release.v1.cilium.v1"), "Helm recorded the release: it adopted the objects");
            foreach (var before in created)
            {
                var after = await server.GetAsync(before);
                Assert.That(after, Is.Not.Null, $"{LiveApiServer.Describe(before)} still exists");
                Assert.That((string?)after!["metadata"]!["uid"], Is.EqualTo((string?)before["metadata"]!["uid"]), $"{LiveApiServer.Describe(before)} was adopted, not re-created");
                Assert.That(after["metadata"]!["generation"]?.GetValue<long>(), Is.EqualTo(before["metadata"]!["generation"]?.GetValue<long>()),
                    $"{LiveApiServer.Describe(before)}: the adoption changed its spec");
                Assert.That((string?)after["metadata"]!["annotations"]?["meta.helm.sh/release-name"], Is.EqualTo(
                    (string?)before["metadata"]!["annotations"]?["meta.helm.sh/release-name"]), LiveApiServer.Describe(before));
            }

            // Without --values, `cilium upgrade` finds no kube-proxy and takes k8sServiceHost/Port from the kubeconfig it
            // was given, which for a workload cluster's admin is rarely the control plane endpoint the agents must dial.
            var unguarded = await CiliumAsync(cli!, server.KubeConfigPath, "upgrade", "--chart-directory", next.Path, "--dry-run-helm-values");
            Assert.That(unguarded.Exit, Is.EqualTo(0), unguarded.Stderr);
            // The values, then a blank line and a hint about restarting pods.
            var printedValues = unguarded.Stdout.Split("\n\n")[0];
            var unguardedValues = (JsonObject)YamlDocuments.Parse(printedValues, "cilium upgrade --dry-run-helm-values").Single().Content!;
            Assert.That((string?)unguardedValues["k8sServiceHost"]?.ToString(), Is.EqualTo(KubeConfigServer(server).Host),
                "cilium upgrade without the render's values points Cilium at the kubeconfig's server");

            var upgrade = await CiliumAsync(cli!, server.KubeConfigPath, "upgrade", "--chart-directory", next.Path, "--values", nextValues, "--wait-duration", HookWait);
            AssertDoneOrOnlyWaitingForTheHook(upgrade, "upgrade");
            Assert.That(await ReleaseSecrets(server), Does.Contain("sh.helm.release.v1.cilium.v2"));
            var agent = await server.GetAsync(LiveApiServer.Reference("apps/v1", "DaemonSet", "kube-system", "cilium"));
            var image = ((JsonArray)agent!["spec"]!["template"]!["spec"]!["containers"]!).Single(c => (string?)c!["name"] == "cilium-agent")!["image"]!.GetValue<string>();
            Assert.That(image, Does.Contain($":v{next.Version}@"), "the agent runs the next chart's image");
            Assert.That(await EndpointEnvironmentAsync(server, upgraded), Is.EqualTo(
                    Enumerable.Repeat((ClusterEndpointHost, ClusterEndpointPort), StampTemplate.EnvironmentContainers).ToList()),
                "after `cilium upgrade --values cilium-values.yaml` every container still dials the Cluster's control plane endpoint");
        }
        finally
        {
            foreach (var obj in upgraded.Concat(bootstrap).Reverse().OrderBy(o => (string?)o["kind"] == "Namespace"))
            {
                await server.DeleteAsync(obj);
            }

            // What Helm created on its own: the hook Job of charts before 1.19, and the release records.
            await server.DeleteAsync(hookJob);
            foreach (var secret in await ReleaseSecrets(server))
            {
                await server.DeleteAsync(LiveApiServer.Reference("v1", "Secret", "kube-system", secret));
            }

            await FinalizeNamespacesAsync(server, created.Where(o => (string?)o["kind"] == "Namespace").Select(o => o["metadata"]!["name"]!.GetValue<string>()));
        }
    }

    /// <summary>The endpoint of <see cref="RenderCommandTests.Cluster"/>'s default Cluster, which the render pins.</summary>
    private const string ClusterEndpointHost = "10.250.250.29";

    private const string ClusterEndpointPort = "6443";

    private static Uri KubeConfigServer(LiveApiServer server) =>
        new(k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile(server.KubeConfigPath).Host);

    /// <summary>
    /// KUBERNETES_SERVICE_HOST/PORT of every live container, among the workloads of <paramref name="rendered"/>, that
    /// carries them, in the render's object order.
    /// </summary>
    private static async Task<List<(string? Host, string? Port)>> EndpointEnvironmentAsync(LiveApiServer server, IEnumerable<JsonObject> rendered)
    {
        var endpoints = new List<(string?, string?)>();
        foreach (var workload in rendered.Where(o => (string?)o["kind"] is "DaemonSet" or "Deployment"))
        {
            var live = await server.GetAsync(workload);
            Assert.That(live, Is.Not.Null, LiveApiServer.Describe(workload));
            var pod = live!["spec"]!["template"]!["spec"]!;
            foreach (var container in new[] { "initContainers", "containers" }.SelectMany(list => pod[list] as JsonArray ?? []))
            {
                var env = (container!["env"] as JsonArray ?? []).ToDictionary(e => (string)e!["name"]!, e => (string?)e!["value"]);
                if (env.TryGetValue("KUBERNETES_SERVICE_HOST", out var host))
                {
                    endpoints.Add((host, env.GetValueOrDefault("KUBERNETES_SERVICE_PORT")));
                }
            }
        }

        return endpoints;
    }

    /// <summary>
    /// A server without kube-controller-manager never finishes deleting a namespace (its finalizer stays), and the
    /// next run would find cilium-secrets still there. The namespaces this test created are empty by now; finish them
    /// as the namespace controller would.
    /// </summary>
    private static async Task FinalizeNamespacesAsync(LiveApiServer server, IEnumerable<string> names)
    {
        foreach (var name in names)
        {
            for (var attempt = 0; attempt < 20; attempt++)
            {
                try
                {
                    var ns = await server.Client.CoreV1.ReadNamespaceAsync(name);
                    if (attempt == 19)
                    {
                        ns.Spec ??= new k8s.Models.V1NamespaceSpec();
                        ns.Spec.Finalizers = [];
                        await server.Client.CoreV1.ReplaceNamespaceFinalizeAsync(ns, name);
                    }
                }
                catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
                {
                    break;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(500));
            }
        }
    }

    private static void AssertDoneOrOnlyWaitingForTheHook((int Exit, string Stdout, string Stderr) run, string command)
    {
        if (run.Exit == 0)
        {
            return;
        }

        var why = $"cilium {command} failed other than by waiting for the Hubble hook Job on a server without nodes:\n{run.Stdout}\n{run.Stderr}";
        Assert.That(run.Exit, Is.EqualTo(1), why);
        Assert.That(run.Stderr, Does.Contain("resource Job/kube-system/hubble-generate-certs not ready"), why);
    }

    /// <summary>The objects of a rendered Cluster folder's ConfigMaps, in the order a ClusterResourceSet applies them.</summary>
    private static List<JsonObject> ObjectsOf(string folder)
    {
        var objects = new List<JsonObject>();
        foreach (var file in Directory.GetFiles(folder, "configmap-*.yaml").Order(StringComparer.Ordinal))
        {
            var configMap = (JsonObject)YamlDocuments.Parse(File.ReadAllText(file), file).Single().Content!;
            foreach (var (key, value) in ((JsonObject)configMap["data"]!).OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                objects.AddRange(YamlDocuments.Parse(value!.GetValue<string>(), $"{file} data[{key}]").Select(d => (JsonObject)d.Content!));
            }
        }

        Assert.That(objects, Is.Not.Empty, folder);
        return objects;
    }

    private static async Task<List<string>> ReleaseSecrets(LiveApiServer server) =>
        (await server.Client.CoreV1.ListNamespacedSecretAsync("kube-system", labelSelector: "owner=helm,name=cilium")).Items
            .Select(s => s.Metadata.Name).Order(StringComparer.Ordinal).ToList();

    /// <summary>The real CLI against the E2E server.</summary>
    private Task<(int Exit, string Stdout, string Stderr)> CiliumAsync(string cli, string kubeconfig, params string[] args) =>
        RealCiliumCli.RunAsync(cli, kubeconfig, _temp.Combine("home"), TimeSpan.FromMinutes(4), args);
}
