using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CapiCiliumAddon.Kubernetes;
using CapiCiliumAddon.Rendering.CiliumCli;
using CapiCiliumAddon.Testing;
using CapiCiliumAddon.Testing.Containers;

namespace CapiCiliumAddon.Controller.Tests.EndToEnd;

/// <summary>
/// The controller as its users run it: the image hack/release/build makes from local inputs (the real Cilium CLI and
/// charts, a base image given as BASE_IMAGE), run with the user, security settings, memory limit, /tmp and environment
/// of manifests/deployment.yaml against the E2E API server, and the release's install.yaml checked by that server.
/// Opt-in: needs CILIUM_CLI, CILIUM_CHART_DIRECTORY, E2E_KUBECONFIG, BASE_IMAGE and a working podman or docker
/// (`eval "$(.ci/container-engine)"` sets up podman and a local base); otherwise every test says which is missing.
/// </summary>
[TestFixture]
[Category("EndToEnd")]
[NonParallelizable]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class ContainerImageEndToEndTests
{
    private const int BurstSize = 200;

    private static readonly TimeSpan BurstBound = TimeSpan.FromMinutes(3);

    private TempDirectory temp = null!;
    private ContainerEngine engine = null!;
    private string image = null!;
    private string installYaml = null!;
    private string kubeconfig = null!;

    [OneTimeSetUp]
    public async Task BuildTheReleaseAsync()
    {
        var missing = new[] { CiliumCliLocator.EnvironmentVariable, "CILIUM_CHART_DIRECTORY", EndToEndEnvironment.KubeConfigVariable, "BASE_IMAGE" }
            .Where(v => string.IsNullOrEmpty(Environment.GetEnvironmentVariable(v))).ToList();
        if (missing.Count > 0)
        {
            Assert.Ignore($"skipped: set {string.Join(", ", missing)}: the real Cilium CLI and charts the image bundles, the E2E API server, " +
                "and a local base image (`eval \"$(.ci/container-engine)\"` sets up podman and makes one)");
        }

        var (found, reason) = await ContainerEngine.FindAsync();
        if (found is null)
        {
            Assert.Ignore($"skipped: no working container engine ({reason}); `eval \"$(.ci/container-engine)\"` installs and configures podman");
        }

        engine = found;
        kubeconfig = Environment.GetEnvironmentVariable(EndToEndEnvironment.KubeConfigVariable)!;
        temp = new TempDirectory();
        var clock = Stopwatch.StartNew();
        // A repository of the test's own: the developer's image of this version is neither replaced nor left behind.
        var repository = "localhost/capi-cilium-addon-e2e-" + Guid.NewGuid().ToString("N")[..8];
        var release = await ContainerEngine.RunAsync(Path.Combine(RepositoryPaths.Root, "hack", "release", "build"),
            ["--output", temp.Combine("dist"), "--image", repository], TimeSpan.FromMinutes(10), RepositoryPaths.Root);
        Assert.That(release.ExitCode, Is.Zero, release.Describe("hack/release/build"));
        installYaml = release.StandardOutput.Trim().Split('\n')[^1];
        image = ImageLine().Match(File.ReadAllText(installYaml)).Groups["image"].Value;
        Assert.That(image, Is.Not.Empty, $"{installYaml} names no image");
        TestContext.Progress.WriteLine($"image e2e: hack/release/build made {image} with {engine.Name} in {clock.Elapsed.TotalSeconds:0} s");
    }

    [OneTimeTearDown]
    public async Task RemoveTheReleaseAsync()
    {
        if (image is not null)
        {
            await engine.RunAsync(["rmi", "--force", image]);
        }

        temp?.Dispose();
    }

    [Test]
    public async Task TheImageRunsAsTheDeploymentsUserAndNamesWhatItBundles()
    {
        var inspect = await engine.RunAsync(["image", "inspect", image]);
        Assert.That(inspect.ExitCode, Is.Zero, inspect.Describe("image inspect"));
        var config = JsonNode.Parse(inspect.StandardOutput)!.AsArray().Single()!["Config"]!;
        var deployment = DeploymentContainer.Load();
        Assert.That((string?)config["User"], Is.EqualTo($"{deployment.RunAsUser}:{deployment.RunAsGroup}"));
        var labels = config["Labels"]!.AsObject();
        Assert.That((string?)labels["org.opencontainers.image.version"], Is.EqualTo(image.Split(':')[^1]));
        Assert.That((string?)labels["org.opencontainers.image.revision"], Does.Match("^[0-9a-f]{40}$"));
        Assert.That((string?)labels["org.opencontainers.image.licenses"], Is.EqualTo("Apache-2.0"));
        Assert.That((string?)labels["org.opencontainers.image.source"], Is.Not.Empty);
        var size = long.Parse(JsonNode.Parse(inspect.StandardOutput)!.AsArray().Single()!["Size"]!.ToString(), CultureInfo.InvariantCulture);
        TestContext.Out.WriteLine($"image {image}: {size / 1_000_000} MB");

        // --version in the image, with the Deployment's settings: the tool, the bundled CLI and every bundled chart.
        var version = await engine.RunAsync(["run", "--rm", .. deployment.RunOptions(PodFields("version", "default")), image, "--version"]);
        Assert.That(version.ExitCode, Is.Zero, version.Describe("capi-cilium --version in the image"));
        var lines = version.StandardOutput.Trim().Split('\n');
        Assert.That(lines[0], Is.EqualTo($"capi-cilium {image.Split(':')[^1]}"));
        Assert.That(lines[1], Does.Match($@"^cilium-cli {Regex.Escape(CiliumCliRelease.PinnedVersion)}(-\S+)? /usr/local/bin/cilium$"));
        Assert.That(lines[2..], Is.EqualTo(DockerfileCharts().Select(v => $"cilium-chart {v} /charts/cilium/{v}/cilium")));

        // The notice of what it bundles is in the image (copied out: the default base has no shell to cat it with).
        var name = "capi-cilium-notice-" + Guid.NewGuid().ToString("N")[..8];
        var create = await engine.RunAsync(["create", "--name", name, image]);
        Assert.That(create.ExitCode, Is.Zero, create.Describe("create"));
        try
        {
            var copy = await engine.RunAsync(["cp", $"{name}:/licenses/NOTICE.md", temp.Combine("NOTICE.md")]);
            Assert.That(copy.ExitCode, Is.Zero, copy.Describe("cp /licenses/NOTICE.md"));
            var notice = File.ReadAllText(temp.Combine("NOTICE.md"));
            Assert.That(notice, Does.Contain("Cilium CLI " + lines[1].Split(' ')[1]));
            Assert.That(DockerfileCharts(), Has.All.Matches<string>(v => notice.Contains($"Cilium chart {v}", StringComparison.Ordinal)));
        }
        finally
        {
            await engine.RunAsync(["rm", "-f", name]);
        }
    }

    [Test]
    [CancelAfter(480_000)]
    public async Task UnderTheDeploymentsLimitsTheImageSuppliesLabelledClustersThroughABurst()
    {
        await using var env = await EndToEndEnvironment.StartAsync();
        var deployment = DeploymentContainer.Load();
        var metricsPort = EndToEndEnvironment.FreePort();
        var name = "capi-cilium-e2e-" + Guid.NewGuid().ToString("N")[..8];
        var mountedKubeconfig = MountableKubeconfig();
        var run = new List<string>
        {
            "run", "--detach", "--name", name,
            // The API server listens on the host's loopback.
            "--network", "host",
            "--volume", $"{mountedKubeconfig}:/etc/capi-cilium/kubeconfig:ro",
        };
        run.AddRange(deployment.RunOptions(PodFields(name, env.Namespace)));
        run.Add(image);
        run.AddRange(ArgumentsFor(deployment, metricsPort, env.Namespace));
        var started = await engine.RunAsync(run);
        Assert.That(started.ExitCode, Is.Zero, started.Describe("run"));
        try
        {
            var clock = Stopwatch.StartNew();
            await env.CreateClusterAsync("site-a", "192.168.111.249");
            await EndToEndEnvironment.EventuallyAsync("site-a gets its ConfigMap and ClusterResourceSet from the container", TimeSpan.FromSeconds(60), async () =>
                await env.TryGetAsync(ResourceType.ConfigMap, "site-a-cilium") is null ? "no ConfigMap site-a-cilium"
                : await env.TryGetAsync(env.ClusterResourceSetType, "site-a-cilium") is null ? "no ClusterResourceSet site-a-cilium"
                : null, clock);
            TestContext.Out.WriteLine($"site-a supplied {clock.Elapsed.TotalSeconds:0.0} s after the container started");

            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metricsPort}"), Timeout = TimeSpan.FromSeconds(10) };
            Assert.That(await http.GetStringAsync(new Uri("/readyz", UriKind.Relative)), Is.EqualTo("ok\n"));
            Assert.That(await http.GetStringAsync(new Uri("/metrics", UriKind.Relative)), Does.Contain("capi_cilium_renders_total{result=\"success\"} 1"));

            var memory = await MemoryCgroup.OfContainerAsync(engine, name);
            clock.Restart();
            for (var i = 0; i < BurstSize; i++)
            {
                await env.CreateClusterAsync($"burst-{i:D3}", $"10.251.0.{i + 1}");
            }

            await EndToEndEnvironment.EventuallyAsync($"{BurstSize} new Clusters of one group supplied", BurstBound, async () =>
            {
                var sets = (await env.Client.ListAllAsync(env.ClusterResourceSetType, env.Namespace, new ListOptions(), EndToEndEnvironment.Timeout(30))).Items
                    .Count(s => ((string?)s["metadata"]?["name"])?.StartsWith("burst-", StringComparison.Ordinal) == true);
                return sets == BurstSize ? null : $"{sets} of {BurstSize} ClusterResourceSets";
            }, clock);
            var burstTime = clock.Elapsed;
            var maps = (await env.Client.ListAllAsync(ResourceType.ConfigMap, env.Namespace, new ListOptions(), EndToEndEnvironment.Timeout(30))).Items
                .Count(m => ((string?)m["metadata"]?["name"])?.StartsWith("burst-", StringComparison.Ordinal) == true);
            Assert.That(maps, Is.EqualTo(BurstSize), "every burst Cluster has its ConfigMap");

            var peak = memory.PeakBytes();
            var state = JsonNode.Parse((await engine.RunAsync(["inspect", name])).StandardOutput)!.AsArray().Single()!["State"]!;
            var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
            TestContext.Out.WriteLine(
                $"burst of {BurstSize} Clusters supplied in {burstTime.TotalSeconds:0.0} s; container peak memory {peak / (1024.0 * 1024):0.0} MiB " +
                $"of the Deployment's {deployment.MemoryLimitBytes / (1024 * 1024)} MiB limit ({memory.PeakSource}); OOM kills {memory.OomKills()}");
            TestContext.Out.WriteLine(string.Join('\n', metrics.Split('\n').Where(l => l.StartsWith("capi_cilium_renders", StringComparison.Ordinal) && !l.Contains("_bucket", StringComparison.Ordinal))));
            Assert.That((bool?)state["Running"], Is.True, $"the container stopped: {state.ToJsonString()}");
            Assert.That((bool?)state["OOMKilled"], Is.False);
            Assert.That(memory.OomKills(), Is.Zero, "processes of the container killed for memory (the Cilium CLI's count too)");
            Assert.That(peak, Is.LessThan(deployment.MemoryLimitBytes));
            Assert.That(await http.GetStringAsync(new Uri("/readyz", UriKind.Relative)), Is.EqualTo("ok\n"));

            // Its log lines as Kubernetes controllers write them: one JSON object each, a Cluster's found by its field.
            var logs = await engine.RunAsync(["logs", name]);
            var objects = (logs.StandardOutput + logs.StandardError).Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
            Assert.That(objects, Has.All.Matches<JsonObject>(o => o["time"] is not null && o["level"] is not null && o["logger"] is not null && o["message"] is not null));
            Assert.That(objects.Where(o => (string?)o["cluster"] == $"{env.Namespace}/site-a").Select(o => (string)o["message"]!),
                Has.Some.Contains($"{env.Namespace}/site-a"));
        }
        finally
        {
            var logs = await engine.RunAsync(["logs", name]);
            var last = (logs.StandardOutput + logs.StandardError).Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(5);
            TestContext.Out.WriteLine($"last lines of the container's log:\n{string.Join('\n', last)}");
            await engine.RunAsync(["rm", "--force", "--time", "10", name]);
        }
    }

    [Test]
    public async Task TheReleaseInstallYamlPassesAServerSideDryRun()
    {
        // A dry run creates nothing, so the namespaced objects need their Namespace to exist for real. The test server
        // has no namespace controller: one this test makes is finalised by hand afterwards.
        var ns = "capi-cilium-system";
        var exists = await Kubectl("get", "namespace", ns);
        if (exists.ExitCode != 0)
        {
            var create = await Kubectl("create", "namespace", ns);
            Assert.That(create.ExitCode, Is.Zero, create.Describe("create namespace"));
        }

        try
        {
            var dryRun = await Kubectl("apply", "--server-side", "--dry-run=server", "--field-manager", "capi-cilium-e2e", "-f", installYaml);
            Assert.That(dryRun.ExitCode, Is.Zero, dryRun.Describe("kubectl apply --server-side --dry-run=server -f install.yaml"));
            Assert.That(dryRun.StandardOutput, Does.Contain("deployment.apps/capi-cilium-addon serverside-applied (server dry run)"));
            Assert.That(File.ReadAllText(installYaml), Does.Contain($"image: {image}"));
        }
        finally
        {
            if (exists.ExitCode != 0)
            {
                await Kubectl("delete", "namespace", ns, "--wait=false");
                var finalize = new JsonObject
                {
                    ["apiVersion"] = "v1",
                    ["kind"] = "Namespace",
                    ["metadata"] = new JsonObject { ["name"] = ns },
                    ["spec"] = new JsonObject { ["finalizers"] = new JsonArray() },
                };
                var body = temp.Combine("finalize.json");
                File.WriteAllText(body, finalize.ToJsonString());
                await Kubectl("replace", "--raw", $"/api/v1/namespaces/{ns}/finalize", "-f", body);
            }
        }
    }

    private Task<ProcessResult> Kubectl(params string[] arguments) =>
        ContainerEngine.RunAsync("kubectl", ["--kubeconfig", kubeconfig, .. arguments], TimeSpan.FromSeconds(60));

    /// <summary>The downward-API fields the kubelet would fill in for a pod of this name in this namespace.</summary>
    private static Dictionary<string, string> PodFields(string podName, string @namespace) => new()
    {
        ["metadata.name"] = podName,
        ["metadata.namespace"] = @namespace,
    };

    /// <summary>
    /// The Deployment's arguments, with the metrics endpoint on a free loopback port (the container shares the host's
    /// network) and, as a test must, the test's namespace and the E2E server's kubeconfig instead of the pod's.
    /// </summary>
    private static List<string> ArgumentsFor(DeploymentContainer deployment, int metricsPort, string @namespace)
    {
        var arguments = deployment.Arguments.ToList();
        var metrics = arguments.IndexOf("--metrics-address");
        Assert.That(metrics, Is.GreaterThanOrEqualTo(0), "the Deployment serves /metrics (--metrics-address)");
        arguments[metrics + 1] = $"127.0.0.1:{metricsPort}";
        arguments.AddRange(["--namespace", @namespace, "--kubeconfig", "/etc/capi-cilium/kubeconfig"]);
        return arguments;
    }

    /// <summary>
    /// The kubeconfig, readable by the container's user: a copy in a folder only this user can enter, itself readable
    /// by all (the bind mount reaches the file without the folder).
    /// </summary>
    private string MountableKubeconfig()
    {
        var folder = temp.Combine("kubeconfig");
        Directory.CreateDirectory(folder);
        File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var copy = Path.Combine(folder, "kubeconfig");
        File.Copy(kubeconfig, copy, overwrite: true);
        File.SetUnixFileMode(copy, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        return copy;
    }

    private static IReadOnlyList<string> DockerfileCharts() =>
        ChartPath().Matches(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "hack", "image", "Dockerfile"))).Select(m => m.Groups[1].Value).ToList();

    [GeneratedRegex(@"^\s+image: (?<image>\S+)$", RegexOptions.Multiline)]
    private static partial Regex ImageLine();

    [GeneratedRegex(@"/charts/cilium/([^/]+)/cilium")]
    private static partial Regex ChartPath();
}

/// <summary>
/// A running container's memory cgroup, found from its first process: its peak usage (cgroup v2 memory.peak, v1
/// memory.max_usage_in_bytes) and the OOM kills in it, which count every process of the container.
/// </summary>
internal sealed class MemoryCgroup(string directory, bool v2)
{
    public string PeakSource => Path.Combine(directory, v2 ? "memory.peak" : "memory.max_usage_in_bytes");

    public static async Task<MemoryCgroup> OfContainerAsync(ContainerEngine engine, string container)
    {
        var pid = (await engine.RunAsync(["inspect", "--format", "{{.State.Pid}}", container])).StandardOutput.Trim();
        var lines = await File.ReadAllLinesAsync($"/proc/{pid}/cgroup");
        // Hybrid and v1 hierarchies have a memory controller line "N:memory:/path"; pure v2 has only "0::/path".
        var v1 = lines.Select(l => l.Split(':', 3)).FirstOrDefault(p => p.Length == 3 && p[1].Split(',').Contains("memory"));
        if (v1 is not null)
        {
            return new MemoryCgroup("/sys/fs/cgroup/memory" + v1[2], v2: false);
        }

        var unified = lines.Single(l => l.StartsWith("0::", StringComparison.Ordinal))[3..];
        return new MemoryCgroup("/sys/fs/cgroup" + unified, v2: true);
    }

    public long PeakBytes() => long.Parse(File.ReadAllText(PeakSource).Trim(), CultureInfo.InvariantCulture);

    public long OomKills()
    {
        var file = Path.Combine(directory, v2 ? "memory.events" : "memory.oom_control");
        var line = File.ReadAllLines(file).FirstOrDefault(l => l.StartsWith("oom_kill ", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line["oom_kill ".Length..], CultureInfo.InvariantCulture);
    }
}
