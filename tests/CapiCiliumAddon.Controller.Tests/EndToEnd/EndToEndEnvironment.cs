using CapiCiliumAddon.Controller.Tests.Fakes;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CapiCiliumAddon.Controller.Hosting;
using CapiCiliumAddon.Kubernetes;
using CapiCiliumAddon.Rendering;
using CapiCiliumAddon.Rendering.CiliumCli;
using CapiCiliumAddon.Rendering.Pipeline;
using CapiCiliumAddon.Rendering.Pipeline.Stamping;
using CapiCiliumAddon.Rendering.Planning;
using CapiCiliumAddon.Rendering.Settings;
using CapiCiliumAddon.Testing;
using k8s;
using Microsoft.Extensions.Hosting;

namespace CapiCiliumAddon.Controller.Tests.EndToEnd;

/// <summary>
/// One opt-in end-to-end test's world on a REAL kube-apiserver (E2E_KUBECONFIG): a client, the served Cluster API
/// versions, a namespace of its own, and explicit clean-up of everything created there (no reliance on garbage
/// collection: the e2e server may run no controller-manager). Skips the test when E2E_KUBECONFIG is not set.
/// </summary>
internal sealed class EndToEndEnvironment : IAsyncDisposable
{
    public const string KubeConfigVariable = "E2E_KUBECONFIG";

    /// <summary>The acceptance bound for every "gets ... within" check: what a user waits at most for the controller.</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private readonly List<(ResourceType Type, string Name)> created = [];

    private readonly KubernetesClientConfiguration configuration;

    private EndToEndEnvironment(KubernetesClientConfiguration configuration, KubernetesClient client, string @namespace, ResourceType clusterType, ResourceType crsType)
    {
        this.configuration = configuration;
        Client = client;
        Namespace = @namespace;
        ClusterType = clusterType;
        ClusterResourceSetType = crsType;
    }

    /// <summary>The test's own client. Its user agent (hence the field manager of its writes) is not the controller's.</summary>
    public KubernetesClient Client { get; }

    /// <summary>A client as `capi-cilium controller` makes one (default options), for one replica; the caller disposes it.</summary>
    public KubernetesClient NewControllerClient() => new(configuration);

    public string Namespace { get; }

    public ResourceType ClusterType { get; }

    public ResourceType ClusterResourceSetType { get; }

    public static CancellationToken Timeout(int seconds = 120) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    /// <summary>Ignores the test unless E2E_KUBECONFIG is set; fails it (with the fix) when the CRDs are not installed.</summary>
    public static async Task<EndToEndEnvironment> StartAsync()
    {
        var kubeconfig = Environment.GetEnvironmentVariable(KubeConfigVariable);
        if (string.IsNullOrEmpty(kubeconfig))
        {
            Assert.Ignore($"skipped: set {KubeConfigVariable} to a kubeconfig of a real kube-apiserver with the Cluster API CRDs " +
                "(tests/fixtures/capi-crds) installed to run the end-to-end tests");
        }

        var configuration = KubernetesConfiguration.Load(kubeconfig);
        var client = new KubernetesClient(configuration, new KubernetesClientOptions { UserAgent = "capi-cilium-e2e" });
        try
        {
            var ct = Timeout(30);
            ResourceType clusterType, crsType;
            try
            {
                clusterType = await client.ResolveAsync(ResourceType.Cluster, ct);
                crsType = await client.ResolveAsync(ResourceType.ClusterResourceSet, ct);
            }
            catch (KubernetesNotFoundException e)
            {
                Assert.Fail($"{KubeConfigVariable}={kubeconfig}: the Cluster API CRDs are not installed ({e.Message}). " +
                    "Install them first: kubectl apply -f tests/fixtures/capi-crds/");
                throw;
            }

            var ns = "capi-cilium-e2e-" + Guid.NewGuid().ToString("N")[..8];
            await client.CreateAsync(ResourceType.Namespace, new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Namespace",
                ["metadata"] = new JsonObject { ["name"] = ns, ["labels"] = new JsonObject { ["app.kubernetes.io/part-of"] = "capi-cilium-e2e" } },
            }, ct);
            TestContext.Progress.WriteLine($"e2e: {client.Server}, namespace {ns}, {clusterType.ApiVersion} Clusters, {crsType.ApiVersion} ClusterResourceSets");
            return new EndToEndEnvironment(configuration, client, ns, clusterType, crsType);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    // ---- objects the test creates ----

    public static JsonObject ClusterObject(ResourceType type, string ns, string name, string? host, bool labelled = true, int port = 6443)
    {
        var spec = new JsonObject
        {
            ["clusterNetwork"] = new JsonObject
            {
                ["pods"] = new JsonObject { ["cidrBlocks"] = new JsonArray("10.244.0.0/16") },
            },
        };
        if (host is not null)
        {
            spec["controlPlaneEndpoint"] = new JsonObject { ["host"] = host, ["port"] = port };
        }

        var metadata = new JsonObject { ["name"] = name, ["namespace"] = ns };
        if (labelled)
        {
            metadata["labels"] = new JsonObject { [AddonKeys.CniLabel] = AddonKeys.CniLabelValue };
        }

        return new JsonObject { ["apiVersion"] = type.ApiVersion, ["kind"] = "Cluster", ["metadata"] = metadata, ["spec"] = spec };
    }

    public async Task<JsonObject> CreateClusterAsync(string name, string? host, bool labelled = true)
    {
        var obj = await Client.CreateAsync(ClusterType, ClusterObject(ClusterType, Namespace, name, host, labelled), Timeout(30));
        created.Add((ClusterType, name));
        return obj;
    }

    public async Task<JsonObject> CreateConfigMapAsync(string name, JsonObject data)
    {
        var obj = await Client.CreateAsync(ResourceType.ConfigMap, new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = Namespace },
            ["data"] = data,
        }, Timeout(30));
        created.Add((ResourceType.ConfigMap, name));
        return obj;
    }

    /// <summary>GET, change, PUT; retried on 409 (our controller may have written the Cluster meanwhile).</summary>
    public async Task<JsonObject> UpdateClusterAsync(string name, Action<JsonObject> change)
    {
        for (var attempt = 1; ; attempt++)
        {
            var cluster = await Client.GetAsync(ClusterType, Namespace, name, Timeout(30));
            change(cluster);
            try
            {
                return await Client.ReplaceAsync(ClusterType, cluster, Timeout(30));
            }
            catch (KubernetesConflictException) when (attempt < 10)
            {
            }
        }
    }

    public async Task<JsonObject?> TryGetAsync(ResourceType type, string name)
    {
        try
        {
            return await Client.GetAsync(type, Namespace, name, Timeout(30));
        }
        catch (KubernetesNotFoundException)
        {
            return null;
        }
    }

    /// <summary>events.k8s.io/v1 Events about <paramref name="name"/> in the test namespace.</summary>
    public async Task<IReadOnlyList<JsonObject>> EventsAboutAsync(string name) =>
        (await Client.ListAllAsync(ResourceType.Event, Namespace, new ListOptions(FieldSelector: $"regarding.name={name}"), Timeout(30))).Items;

    // ---- clean-up ----

    /// <summary>Deletes, one by one, everything in the namespace the test or its controllers made, then the namespace
    /// (not waited for: without a controller-manager its deletion never finishes). Stop the hosts first.</summary>
    public async ValueTask DisposeAsync()
    {
        var ct = Timeout(60);
        var types = new[] { ClusterType, ClusterResourceSetType, ResourceType.ConfigMap, ResourceType.Secret, ResourceType.Event, ResourceType.Lease };
        foreach (var (type, name) in created)
        {
            await DeleteQuietlyAsync(type, name, ct);
        }

        foreach (var type in types)
        {
            ObjectList list;
            try
            {
                list = await Client.ListAllAsync(type, Namespace, new ListOptions(), ct);
            }
            catch (Exception e) when (e is KubernetesApiException or KubernetesConnectionException)
            {
                TestContext.Progress.WriteLine($"e2e clean-up: cannot list {type.Plural} in {Namespace}: {e.Message}");
                continue;
            }

            foreach (var item in list.Items)
            {
                var name = (string?)item["metadata"]?["name"] ?? "";
                // Published by the controller-manager when there is one; not ours.
                if (type == ResourceType.ConfigMap && name == "kube-root-ca.crt") { continue; }
                await DeleteQuietlyAsync(type, name, ct);
            }
        }

        await DeleteQuietlyAsync(ResourceType.Namespace, Namespace, ct);
        Client.Dispose();
    }

    private async Task DeleteQuietlyAsync(ResourceType type, string name, CancellationToken ct)
    {
        try
        {
            await Client.DeleteAsync(type, type.Namespaced ? Namespace : null, name, new DeleteOptions(), ct);
        }
        catch (Exception e) when (e is KubernetesApiException or KubernetesConnectionException)
        {
            TestContext.Progress.WriteLine($"e2e clean-up: cannot delete {type.Kind} {name}: {e.Message}");
        }
    }

    // ---- the controller, in-process ----

    public ControllerOptions ControllerOptions(int metricsPort, bool leaderElect = false, string identity = "e2e-0", string? leaseName = null) => new()
    {
        Namespace = Namespace,
        LabelSelector = $"{AddonKeys.CniLabel}={AddonKeys.CniLabelValue}",
        Workers = 2,
        ClusterType = ClusterType,
        ClusterResourceSetType = ClusterResourceSetType,
        FieldManager = AddonKeys.FieldManager,
        LeaderElect = leaderElect,
        LeaderElectionNamespace = Namespace,
        LeaseName = leaseName ?? "capi-cilium-addon",
        Identity = identity,
        LeaseDuration = TimeSpan.FromSeconds(6),
        RenewDeadline = TimeSpan.FromSeconds(4),
        RetryPeriod = TimeSpan.FromMilliseconds(500),
        MetricsAddress = $"127.0.0.1:{metricsPort}",
        LogFormat = "text",
        BackoffBase = TimeSpan.FromMilliseconds(200),
        BackoffMax = TimeSpan.FromSeconds(2),
        InformerMinBackoff = TimeSpan.FromMilliseconds(100),
        InformerMaxBackoff = TimeSpan.FromSeconds(2),
        ShutdownTimeout = TimeSpan.FromSeconds(15),
    };

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    // ---- polling ----

    /// <summary>Polls <paramref name="probe"/> (null or empty: not yet; else the reason it is not yet) until it returns
    /// null, or fails after <paramref name="within"/> naming the bound and the last reason.</summary>
    public static async Task<TimeSpan> EventuallyAsync(string what, TimeSpan within, Func<Task<string?>> probe, Stopwatch? since = null)
    {
        var clock = since ?? Stopwatch.StartNew();
        string? last;
        while (true)
        {
            last = await probe();
            if (last is null)
            {
                return clock.Elapsed;
            }

            if (clock.Elapsed > within)
            {
                Assert.Fail($"{what}: not within {within.TotalSeconds:0.#} s (bound of the acceptance criterion); after {clock.Elapsed.TotalSeconds:0.0} s still: {last}");
            }

            await Task.Delay(100);
        }
    }
}

/// <summary>
/// The real rendering core wired as `capi-cilium controller` wires it: the real Cilium CLI when CILIUM_CLI is set
/// (charts from CILIUM_CHART_DIRECTORY), else the fake cilium replaying recorded real runs, whose invocation
/// records let a test count renders independently of the controller.
/// </summary>
internal sealed class EndToEndRendering : IDisposable
{
    private readonly TempDirectory temp;
    private readonly PlanContext context;
    private readonly CiliumCliRunner runner;

    private EndToEndRendering(TempDirectory temp, CiliumCliRunner runner, PlanContext context, string? recordDirectory)
    {
        this.temp = temp;
        this.runner = runner;
        this.context = context;
        RecordDirectory = recordDirectory;
    }

    /// <summary>Null with the real CLI.</summary>
    public string? RecordDirectory { get; }

    public bool IsFake => RecordDirectory is not null;

    public static async Task<EndToEndRendering> CreateAsync()
    {
        var temp = new TempDirectory();
        string cli;
        string? record = null;
        List<ChartDirectory> charts;
        if (Environment.GetEnvironmentVariable(CiliumCliLocator.EnvironmentVariable) is { Length: > 0 } real)
        {
            cli = real;
            charts = (Environment.GetEnvironmentVariable("CILIUM_CHART_DIRECTORY") ?? "")
                .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Select(ChartDirectory.Load)
                .ToList();
        }
        else
        {
            record = temp.Combine("record");
            Directory.CreateDirectory(record);
            cli = FakeCiliumCli.CreateWrapper(temp.Combine("bin"), "replay", record);
            charts = [ChartDirectory.Load(FakeChart.Create(temp.Combine("chart"), "1.18.12"))];
        }

        var runner = new CiliumCliRunner(new CiliumCliOptions(cli));
        var cliVersion = await runner.GetVersionAsync(EndToEndEnvironment.Timeout(60));
        var context = new PlanContext(new ProfileLibrary(Path.Combine(RepositoryPaths.Root, "templates")), charts, null, cliVersion, "0.0.0-e2e");
        TestContext.Progress.WriteLine($"e2e: rendering with {(record is null ? "the real" : "the fake")} Cilium CLI {cli} ({cliVersion}), charts: {string.Join(", ", charts.Select(c => c.Version))}");
        return new EndToEndRendering(temp, runner, context, record);
    }

    /// <summary>A fresh renderer (what one controller process would build: stamping on, as by default), counted.</summary>
    public CountingRenderer NewRenderer()
    {
        var pipeline = new AddonRenderPipeline(runner);
        return new(new CoreClusterAddonRenderer(new RenderPlanner(context), pipeline, new StampTemplateCache(runner, pipeline)));
    }

    /// <summary>`cilium install` runs the fake recorded so far (0 with the real CLI: use the metrics there).</summary>
    public int FakeInstallRuns => RecordDirectory is null
        ? 0
        : FakeCiliumCli.ReadInvocations(RecordDirectory).Count(i => i.Argv.Contains("install"));

    public void Dispose() => temp.Dispose();
}

/// <summary>One in-process controller replica (ControllerHost.Build, as the CLI runs it) with its /metrics.</summary>
internal sealed partial class Replica : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly IHost host;
    private readonly KubernetesClient client;
    private bool stopped;

    private Replica(IHost host, KubernetesClient client, CountingRenderer renderer, int port, string identity)
    {
        this.host = host;
        this.client = client;
        Renderer = renderer;
        Port = port;
        Identity = identity;
    }

    public CountingRenderer Renderer { get; }

    public int Port { get; }

    public string Identity { get; }

    public static async Task<Replica> StartAsync(EndToEndEnvironment env, EndToEndRendering rendering, bool leaderElect = false, string identity = "e2e-0", string? leaseName = null)
    {
        var port = EndToEndEnvironment.FreePort();
        var renderer = rendering.NewRenderer();
        var client = env.NewControllerClient();
        var host = ControllerHost.Build(env.ControllerOptions(port, leaderElect, identity, leaseName), client, renderer);
        try
        {
            await host.StartAsync(EndToEndEnvironment.Timeout(30));
        }
        catch
        {
            host.Dispose();
            client.Dispose();
            throw;
        }

        return new Replica(host, client, renderer, port, identity);
    }

    /// <summary>Waits for /readyz: the Cluster cache has synced.</summary>
    public Task WaitReadyAsync() => EndToEndEnvironment.EventuallyAsync($"replica {Identity} ready (/readyz)", EndToEndEnvironment.Bound, async () =>
    {
        try
        {
            using var response = await Http.GetAsync(new Uri($"http://127.0.0.1:{Port}/readyz"));
            return response.IsSuccessStatusCode ? null : $"/readyz answered {(int)response.StatusCode}";
        }
        catch (HttpRequestException e)
        {
            return e.Message;
        }
    });

    /// <summary>The sum of a Prometheus counter over the label value given (or all of them).</summary>
    public async Task<long> CounterAsync(string name, string? result = null)
    {
        var text = await Http.GetStringAsync(new Uri($"http://127.0.0.1:{Port}/metrics"));
        long sum = 0;
        foreach (Match m in CounterLine().Matches(text))
        {
            if (m.Groups["name"].Value != name) { continue; }
            if (result is not null && !m.Groups["labels"].Value.Contains($"result=\"{result}\"", StringComparison.Ordinal)) { continue; }
            sum += (long)double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture);
        }

        return sum;
    }

    public Task<long> RendersAsync() => CounterAsync("capi_cilium_renders_total");

    public async Task StopAsync()
    {
        if (stopped) { return; }
        stopped = true;
        await host.StopAsync(EndToEndEnvironment.Timeout(30));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            host.Dispose();
            client.Dispose();
        }
    }

    [GeneratedRegex(@"^(?<name>[a-z_]+)(?<labels>\{[^}]*\})?\s+(?<value>[0-9.eE+-]+)\s*$", RegexOptions.Multiline)]
    private static partial Regex CounterLine();
}
