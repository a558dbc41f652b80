using CapiCiliumAddon.Testing;
using CapiCiliumAddon.Testing.KubeApi;

namespace CapiCiliumAddon.Cli.Tests;

/// <summary>
/// `capi-cilium status` through the CLI entry point, against an in-process API server answering with recorded real
/// kube-apiserver responses and checking the bearer token of every request, with a kubeconfig whose user logs in
/// through an exec credential plugin (as EKS, GKE, AKS and kubelogin kubeconfigs do).
/// </summary>
[CancelAfter(120_000)]
public sealed class StatusCommandTests
{
    private const string Token = "token-from-the-sso-plugin";

    private TempDirectory temp = null!;

    [SetUp]
    public void SetUp() => temp = new TempDirectory();

    [TearDown]
    public void TearDown() => temp.Dispose();

    /// <summary>Discovery of both groups, the labelled Clusters, and the ClusterResourceSet of the one with an endpoint.</summary>
    private static List<ReplayRoute> ManagementCluster()
    {
        var clusterDiscovery = KubeApiRecordings.Get("discovery-group-cluster");
        var crs = KubeApiRecordings.Get("ssa-crs-create-201");
        return
        [
            ReplayRoute.From(clusterDiscovery),
            new("GET", "/apis/addons.cluster.x-k8s.io", 200, clusterDiscovery.Body.Replace("cluster.x-k8s.io", "addons.cluster.x-k8s.io", StringComparison.Ordinal),
                "derived from discovery-group-cluster: the same versions for the addons group"),
            ReplayRoute.From(KubeApiRecordings.Get("list-clusters-all-ns-labelled-200")),
            new("GET", crs.Path, 200, crs.Body, "derived: ssa-crs-create-201's stored object"),
        ];
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await CliApp.RunAsync(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private static string Row(string stdout, string cluster) =>
        stdout.Split('\n').SingleOrDefault(l => l.StartsWith(cluster + " ", StringComparison.Ordinal)) ?? $"(no row for {cluster} in:\n{stdout})";

    [Test]
    public async Task Status_reaches_the_cluster_with_the_token_an_exec_plugin_prints()
    {
        await using var server = await ReplayApiServer.StartAsync(ManagementCluster(), bearerToken: Token);
        var kubeconfig = Kubeconfigs.WithExecPlugin(temp.Combine("sso"), server.Url, Token);

        var (exit, stdout, stderr) = await Run("status", "--kubeconfig", kubeconfig);

        var trace = string.Join("\n", server.Requests.Select(r => $"{r.Method} {r.Target} [{r.Authorization}] -> {r.Source}"));
        Assert.That(exit, Is.EqualTo(0), $"{stderr}\n{trace}");
        Assert.That(server.Requests.Select(r => r.Authorization), Is.All.EqualTo($"Bearer {Token}"), trace);
        Assert.That(server.Requests.Select(r => r.Source), Has.None.EqualTo(ReplayApiServer.Unrecorded).And.None.EqualTo(ReplayApiServer.Unauthenticated), trace);
        Assert.That(Kubeconfigs.ExecRuns(temp.Combine("sso")), Is.GreaterThanOrEqualTo(1), "the plugin really ran");

        // The recorded CRS was made by hand (no managed-by label of ours): foreign. pending-0 has no endpoint yet.
        Assert.That(Row(stdout, "metal3/capi-1"), Does.Contain("10.250.250.29:6443").And.Contain("foreign"));
        Assert.That(Row(stdout, "metal3/pending-0"), Does.Contain("waiting-for-endpoint"));
    }

    [Test]
    public async Task Status_with_a_token_the_server_refuses_says_unauthorized_and_exits_2()
    {
        await using var server = await ReplayApiServer.StartAsync(ManagementCluster(), bearerToken: Token);
        var kubeconfig = Kubeconfigs.WithExecPlugin(temp.Combine("sso"), server.Url, "an-expired-token");

        var (exit, stdout, stderr) = await Run("status", "--kubeconfig", kubeconfig);

        Assert.That(exit, Is.EqualTo(CliApp.UsageError));
        Assert.That(stderr, Is.EqualTo("error: Unauthorized\n"));
        Assert.That(stdout, Is.Empty);
    }

    [Test]
    public async Task Status_with_a_failing_exec_plugin_names_the_kubeconfig_and_exits_2()
    {
        var kubeconfig = Kubeconfigs.WithExecPlugin(temp.Combine("sso"), new Uri("https://127.0.0.1:1/"), Token, exitCode: 1);

        var (exit, stdout, stderr) = await Run("status", "--kubeconfig", kubeconfig);

        Assert.That(exit, Is.EqualTo(CliApp.UsageError));
        Assert.That(stderr, Is.EqualTo(
            $"error: kubeconfig {kubeconfig}: the exec credential plugin of user \"sso\" ({Path.Combine(temp.Combine("sso"), "credential-plugin.sh")}) gave no credential: " +
            "it printed no ExecCredential JSON (its own error output, if any, is above)\n"));
        Assert.That(stdout, Is.Empty);
    }
}
