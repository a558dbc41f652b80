using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CapiCiliumAddon.Controller.Tests.Fakes;
using CapiCiliumAddon.Kubernetes;
using CapiCiliumAddon.Testing.KubeApi;
using KubernetesClientConfiguration = k8s.KubernetesClientConfiguration;

namespace CapiCiliumAddon.Controller.Tests.Kubernetes;

/// <summary>
/// <see cref="FakeKubernetesHttpServer"/> through the real <see cref="KubernetesClient"/> and plain HTTP: it answers
/// like the recorded real kube-apiserver (tests/fixtures/kube-api) where the recordings cover a request, and keeps the
/// in-memory store's semantics for lists, watches and writes.
/// </summary>
[TestFixture]
[CancelAfter(30_000)]
public sealed class FakeKubernetesHttpServerTests
{
    private FakeKubernetesClient store = null!;
    private FakeKubernetesHttpServer server = null!;
    private KubernetesClient client = null!;

    [SetUp]
    public async Task SetUp()
    {
        store = new FakeKubernetesClient();
        server = await FakeKubernetesHttpServer.StartAsync(store, new FakeKubernetesHttpServerOptions { BookmarkInterval = TimeSpan.FromMilliseconds(200) });
        client = new KubernetesClient(new KubernetesClientConfiguration { Host = server.Url.ToString() }, new KubernetesClientOptions { MaxRetryAttempts = 0, ListAllPageSize = 2 });
    }

    [TearDown]
    public async Task TearDown()
    {
        client.Dispose();
        await server.DisposeAsync();
    }

    private static CancellationToken Timeout() => new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token;

    private void SeedClusters(params string[] names)
    {
        foreach (var name in names)
        {
            store.Seed(ResourceType.Cluster, Objects.Cluster("metal3", name));
        }
    }

    /// <summary>Sends the recording's method and path with <paramref name="body"/>; the answer must be the recorded one.</summary>
    private async Task AssertAnswersAsRecordedAsync(string recording, string? body = null, string contentType = "application/json")
    {
        var recorded = KubeApiRecordings.Get(recording);
        using var http = new HttpClient { BaseAddress = server.Url };
        using var request = new HttpRequestMessage(new HttpMethod(recorded.Method), recorded.Target.TrimStart('/'));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        using var response = await http.SendAsync(request, Timeout());
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync(Timeout()));
        Assert.That((int)response.StatusCode, Is.EqualTo(recorded.Status), recording);
        Assert.That(answer!.ToJsonString(), Is.EqualTo(recorded.Json.ToJsonString()), recording);
    }

    [Test]
    public async Task FailuresAreTheStatusAnswersTheRealServerGave()
    {
        await AssertAnswersAsRecordedAsync("get-cluster-missing-404");

        SeedClusters("capi-1");
        await AssertAnswersAsRecordedAsync("create-cluster-conflict-409", Objects.Cluster("metal3", "capi-1").ToJsonString());

        var lease = store.Seed(ResourceType.Lease, new JsonObject { ["metadata"] = new JsonObject { ["name"] = "capi-cilium-addon", ["namespace"] = "metal3" }, ["spec"] = new JsonObject() });
        var stale = lease.DeepClone().AsObject();
        store.Mutate(ResourceType.Lease, "metal3", "capi-cilium-addon", l => l["spec"]!["holderIdentity"] = "other");
        await AssertAnswersAsRecordedAsync("update-lease-stale-rv-409", stale.ToJsonString());

        var configMap = Objects.ConfigMap("metal3", "capi-1-cilium", new() { ["cilium.yaml"] = "ours" });
        await store.ApplyAsync(ResourceType.ConfigMap, configMap, new ApplyOptions("capi-cilium-addon", Force: true), Timeout());
        configMap["data"]!["cilium.yaml"] = "theirs";
        await AssertAnswersAsRecordedAsync("ssa-configmap-conflict-other-manager-409", configMap.ToJsonString(), "application/apply-patch+yaml");
    }

    [Test]
    public async Task FailuresReachTheClientAsTheirTypedExceptions()
    {
        SeedClusters("capi-1");
        Assert.ThrowsAsync<KubernetesNotFoundException>(() => client.GetAsync(ResourceType.Cluster, "metal3", "nope", Timeout()));
        Assert.ThrowsAsync<KubernetesAlreadyExistsException>(() => client.CreateAsync(ResourceType.Cluster, Objects.Cluster("metal3", "capi-1"), Timeout()));
        Assert.ThrowsAsync<KubernetesInvalidException>(() => client.CreateAsync(ResourceType.ConfigMap, Objects.ConfigMap("metal3", ""), Timeout()));

        var applied = await client.ApplyAsync(ResourceType.ConfigMap, Objects.ConfigMap("metal3", "x", new() { ["k"] = "a" }), new ApplyOptions("one"), Timeout());
        var conflict = Assert.ThrowsAsync<KubernetesConflictException>(() =>
            client.ApplyAsync(ResourceType.ConfigMap, Objects.ConfigMap("metal3", "x", new() { ["k"] = "b" }), new ApplyOptions("two"), Timeout()))!;
        Assert.That(conflict.Causes.Select(c => (c.Type, c.Field, c.Message)), Is.EqualTo(new[] { ("FieldManagerConflict", ".data.k", "conflict with \"one\"") }));
        await client.ApplyAsync(ResourceType.ConfigMap, Objects.ConfigMap("metal3", "x", new() { ["k"] = "b" }), new ApplyOptions("two", Force: true), Timeout());
        Assert.That(store.Peek(ResourceType.ConfigMap, "metal3", "x")!["data"]!["k"]!.GetValue<string>(), Is.EqualTo("b"), "force takes the field over");

        var uid = applied["metadata"]!["uid"]!.GetValue<string>();
        Assert.ThrowsAsync<KubernetesConflictException>(() => client.DeleteAsync(ResourceType.ConfigMap, "metal3", "x", new DeleteOptions(PreconditionUid: "another"), Timeout()));
        Assert.That(await client.DeleteAsync(ResourceType.ConfigMap, "metal3", "x", new DeleteOptions(PreconditionUid: uid), Timeout()), Is.True);
        Assert.That(await client.DeleteAsync(ResourceType.ConfigMap, "metal3", "x", new DeleteOptions(PreconditionUid: uid), Timeout()), Is.False, "already gone");
    }

    [Test]
    public async Task DiscoveryListsTheServedVersionsAndTheClientFallsBackToAnOlderOne()
    {
        Assert.That(await client.ResolveAsync(ResourceType.Cluster, Timeout()), Is.EqualTo(ResourceType.Cluster));
        Assert.That(await client.GetServedVersionsAsync("", Timeout()), Is.EqualTo(new[] { "v1" }));

        store.ServedVersions["cluster.x-k8s.io"] = ["v1beta1"];
        Assert.That((await client.ResolveAsync(ResourceType.Cluster, Timeout())).Version, Is.EqualTo("v1beta1"));
        Assert.ThrowsAsync<KubernetesNotFoundException>(() => client.ResolveAsync(ResourceType.Cluster with { Group = "infrastructure.cluster.x-k8s.io" }, Timeout()));
    }

    [Test]
    public async Task ListsArePagedWithLimitAndContinueAndFilteredByLabel()
    {
        SeedClusters("c-1", "c-2", "c-3", "c-4", "c-5");
        store.Seed(ResourceType.Cluster, Objects.Cluster("metal3", "other", cilium: false));

        var first = await client.ListAsync(ResourceType.Cluster, null, new ListOptions("cni=cilium", Limit: 2), Timeout());
        Assert.That(first.Items.Select(Name), Is.EqualTo(new[] { "c-1", "c-2" }));
        Assert.That(first.Continue, Is.Not.Null);
        var second = await client.ListAsync(ResourceType.Cluster, null, new ListOptions("cni=cilium", Limit: 2, Continue: first.Continue), Timeout());
        Assert.That(second.Items.Select(Name), Is.EqualTo(new[] { "c-3", "c-4" }));
        Assert.That(second.ResourceVersion, Is.EqualTo(first.ResourceVersion), "every page carries the first page's resourceVersion");

        var all = await client.ListAllAsync(ResourceType.Cluster, "metal3", new ListOptions("cni=cilium"), Timeout());
        Assert.That(all.Items.Select(Name), Is.EqualTo(new[] { "c-1", "c-2", "c-3", "c-4", "c-5" }), "three pages of two");

        await client.ApplyAsync(ResourceType.ConfigMap, Objects.ConfigMap("metal3", "cm"), new ApplyOptions("one"), Timeout());
        var configMaps = await client.ListAsync(ResourceType.ConfigMap, "metal3", new ListOptions(), Timeout());
        Assert.That(configMaps.Items.Single()["kind"]!.GetValue<string>(), Is.EqualTo("ConfigMap"), "filled in by the client: the server leaves it out, as for every built-in type");

        store.Compact();
        Assert.ThrowsAsync<KubernetesGoneException>(() => client.ListAsync(ResourceType.Cluster, null, new ListOptions("cni=cilium", Limit: 2, Continue: first.Continue), Timeout()),
            "a continue token from before a compaction");
    }

    [Test]
    public async Task WatchesResumeFromAResourceVersionGetBookmarksAndEndWithTheirTimeout()
    {
        SeedClusters("capi-1");
        var list = await client.ListAsync(ResourceType.Cluster, null, new ListOptions("cni=cilium"), Timeout());
        store.Mutate(ResourceType.Cluster, "metal3", "capi-1", c => c["metadata"]!["labels"]!["extra"] = "1");
        store.Mutate(ResourceType.Cluster, "metal3", "capi-1", c => c["metadata"]!["labels"]!.AsObject().Remove("cni"));

        var events = new List<WatchEvent>();
        await foreach (var ev in client.WatchAsync(ResourceType.Cluster, null, new WatchOptions("cni=cilium", list.ResourceVersion, AllowBookmarks: true, TimeoutSeconds: 1), Timeout()))
        {
            events.Add(ev);
        }

        Assert.That(events.Where(e => e.Type != WatchEventType.Bookmark).Select(e => e.Type), Is.EqualTo(new[] { WatchEventType.Modified, WatchEventType.Deleted }),
            "the history after the list's resourceVersion; leaving the selector is a DELETED");
        Assert.That(events.Count(e => e.Type == WatchEventType.Bookmark), Is.GreaterThan(0), "bookmarks every 200 ms while the watch was open for 1 s");
    }

    [Test]
    public async Task AWatchFromACompactedResourceVersionFailsInTheStreamWith410()
    {
        SeedClusters("capi-1");
        var list = await client.ListAsync(ResourceType.Cluster, null, new ListOptions(), Timeout());
        store.Mutate(ResourceType.Cluster, "metal3", "capi-1", c => c["metadata"]!["labels"]!["extra"] = "1");
        store.Compact();

        var gone = Assert.ThrowsAsync<KubernetesGoneException>(async () =>
        {
            await foreach (var _ in client.WatchAsync(ResourceType.Cluster, null, new WatchOptions(ResourceVersion: list.ResourceVersion, TimeoutSeconds: 5), Timeout()))
            {
            }
        })!;
        Assert.That(gone.Reason, Is.EqualTo("Expired"));
        Assert.That(gone.Message, Does.StartWith("too old resource version"));
    }

    [Test]
    public async Task UnservedResourcesAndOtherPatchTypesAreRefusedAsTheRealServerRefusesThem()
    {
        using var http = new HttpClient { BaseAddress = server.Url };
        using (var missing = await http.GetAsync("apis/cluster.x-k8s.io/v1alpha3/clusters", Timeout()))
        {
            Assert.That(missing.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        }

        using var merge = new HttpRequestMessage(HttpMethod.Patch, "api/v1/namespaces/metal3/configmaps/x") { Content = new StringContent("{}", Encoding.UTF8) };
        merge.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/merge-patch+json");
        using var refused = await http.SendAsync(merge, Timeout());
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.UnsupportedMediaType));
        Assert.That(JsonNode.Parse(await refused.Content.ReadAsStringAsync(Timeout()))!["reason"]!.GetValue<string>(), Is.EqualTo("UnsupportedMediaType"));
    }

    private static string Name(JsonObject o) => o["metadata"]!["name"]!.GetValue<string>();
}
