namespace CapiCiliumAddon.Kubernetes.Tests;

/// <summary>Opt-in, read-only checks against a real cluster: set E2E_KUBECONFIG to a kubeconfig path.</summary>
[Category("E2E")]
public sealed class LiveClusterTests
{
    [Test]
    public async Task Discovery_and_list_against_a_real_cluster()
    {
        var kubeconfig = Environment.GetEnvironmentVariable("E2E_KUBECONFIG");
        if (string.IsNullOrEmpty(kubeconfig))
        {
            Assert.Ignore("set E2E_KUBECONFIG to run against a real cluster");
        }

        using var client = new KubernetesClient(KubernetesConfiguration.Load(kubeconfig));
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        Assert.That(await client.GetServedVersionsAsync("", cts.Token), Does.Contain("v1"));
        var namespaces = await client.ListAllAsync(ResourceType.Namespace, null, new ListOptions(Limit: 1), cts.Token);
        Assert.That(namespaces.Items.Select(n => (string?)n["metadata"]!["name"]), Does.Contain("default"));
        var clusters = await client.GetServedVersionsAsync("cluster.x-k8s.io", cts.Token);
        if (clusters.Count > 0)
        {
            var resolved = await client.ResolveAsync(ResourceType.Cluster, cts.Token);
            await client.ListAsync(resolved, null, new ListOptions(Limit: 1), cts.Token);
        }
    }
}
