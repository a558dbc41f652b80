using CapiCiliumAddon.Controller.Tests.Fakes;
using CapiCiliumAddon.Kubernetes;
using static CapiCiliumAddon.Benchmarks.Harness;

namespace CapiCiliumAddon.Benchmarks;

/// <summary>
/// The API server a burst runs against, seeded with its N new Clusters: the controller tests' in-memory one in this
/// process (the controller calls it directly), or the same store served over HTTP by a child process
/// (<see cref="ApiServerProcess"/>) and reached through the real <see cref="KubernetesClient"/> and a kubeconfig, so that
/// this process holds only the controller and pays for the client's HTTP and JSON.
/// </summary>
internal sealed class BurstApi : IAsyncDisposable
{
    private readonly FakeKubernetesClient? store;
    private readonly ApiServerProcess? server;
    private readonly string? kubeconfig;
    private readonly KubernetesClient? client;

    private BurstApi(FakeKubernetesClient store)
    {
        this.store = store;
        Client = store;
        Description = "API server: in memory, in this process (no HTTP, no JSON)";
    }

    private BurstApi(ApiServerProcess server, string kubeconfig)
    {
        this.server = server;
        this.kubeconfig = kubeconfig;
        client = Connect(kubeconfig);
        Client = client;
        Description = $"API server: process {server.ProcessId} at {server.Url} (the in-memory store over HTTP); this process reaches it through KubernetesClient and {kubeconfig}";
    }

    public string Description { get; }

    public IKubernetesClient Client { get; }

    public static BurstApi InMemory(int clusters)
    {
        var fake = new FakeKubernetesClient();
        for (var i = 1; i <= clusters; i++)
        {
            fake.Seed(ResourceType.Cluster, FleetCluster(i));
        }

        fake.ClearCalls();
        return new BurstApi(fake);
    }

    /// <param name="withoutEnvironment">Variables of this process the server must not inherit (this process's GC heap limit).</param>
    public static async Task<BurstApi> StartProcessAsync(int clusters, string directory, IEnumerable<string> withoutEnvironment)
    {
        var server = await ApiServerProcess.StartAsync(clusters, withoutEnvironment);
        try
        {
            return new BurstApi(server, FakeKubernetesHttpServer.WriteKubeconfig(server.Url, Path.Combine(directory, "kubeconfig")));
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>The Cluster and ClusterResourceSet versions, found by discovery as the controller command finds them.</summary>
    public async Task<(ResourceType Cluster, ResourceType ClusterResourceSet)> DiscoverAsync() => client is null
        ? (ResourceType.Cluster, ResourceType.ClusterResourceSet)
        : (await client.ResolveAsync(ResourceType.Cluster, CancellationToken.None), await client.ResolveAsync(ResourceType.ClusterResourceSet, CancellationToken.None));

    /// <summary>Requests and writes since the last <see cref="ClearCallsAsync"/>; memory only for a server process.</summary>
    public Task<ApiServerStats> StatsAsync() => server is not null ? server.StatsAsync() : Task.FromResult(ApiServerStats.Of(store!, 0, 0, TimeSpan.Zero));

    public Task ClearCallsAsync()
    {
        if (server is not null)
        {
            return server.ClearCallsAsync();
        }

        store!.ClearCalls();
        return Task.CompletedTask;
    }

    /// <summary>A client of its own, as a restarted controller process builds one (the same store when in memory).</summary>
    public ClientHandle NewClient()
    {
        if (kubeconfig is null)
        {
            return new ClientHandle(store!, null);
        }

        var connected = Connect(kubeconfig);
        return new ClientHandle(connected, connected);
    }

    public async ValueTask DisposeAsync()
    {
        client?.Dispose();
        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }

    /// <summary>With the client options the controller command uses (its defaults).</summary>
    private static KubernetesClient Connect(string kubeconfig) => new(KubernetesConfiguration.Load(kubeconfig));

    public sealed class ClientHandle(IKubernetesClient client, IDisposable? owned) : IDisposable
    {
        public IKubernetesClient Client { get; } = client;

        public void Dispose() => owned?.Dispose();
    }
}
