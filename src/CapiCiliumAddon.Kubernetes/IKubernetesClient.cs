using System.Text.Json.Nodes;

namespace CapiCiliumAddon.Kubernetes;

/// <summary>
/// The slice of the Kubernetes API the add-on uses: <see cref="KubernetesClient"/> implements it on the official
/// KubernetesClient library, and tests on an in-memory API server. Objects travel as <see cref="JsonObject"/>, read
/// and written through the library's generic (custom-object) API: the add-on reads a handful of fields from Cluster API
/// types that change between API versions, and applies the objects its rendering core produced as they are. The core
/// objects it builds itself are the library's typed models (see <see cref="KubernetesObjects"/>). Every non-2xx
/// answer surfaces as a <see cref="KubernetesApiException"/> subclass, every failure to get one as a
/// <see cref="KubernetesConnectionException"/>.
/// </summary>
public interface IKubernetesClient
{
    /// <summary>The versions the server serves for <paramref name="group"/>, preferred first; empty when the group is not served.</summary>
    Task<IReadOnlyList<string>> GetServedVersionsAsync(string group, CancellationToken cancellationToken);

    Task<JsonObject> GetAsync(ResourceType type, string? @namespace, string name, CancellationToken cancellationToken);

    /// <summary>One page; follow <see cref="ObjectList.Continue"/> for the next, or use <see cref="ListAllAsync"/>.</summary>
    Task<ObjectList> ListAsync(ResourceType type, string? @namespace, ListOptions options, CancellationToken cancellationToken);

    /// <summary>Every page, as one list whose ResourceVersion is the last page's (the point a watch resumes from).</summary>
    Task<ObjectList> ListAllAsync(ResourceType type, string? @namespace, ListOptions options, CancellationToken cancellationToken);

    /// <summary>
    /// The raw watch stream. It ends when the server closes it; an in-stream 410 is thrown as
    /// <see cref="KubernetesGoneException"/>. <see cref="Informer"/> builds resumable list+watch on top.
    /// </summary>
    IAsyncEnumerable<WatchEvent> WatchAsync(ResourceType type, string? @namespace, WatchOptions options, CancellationToken cancellationToken);

    Task<JsonObject> CreateAsync(ResourceType type, JsonObject obj, CancellationToken cancellationToken);

    /// <summary>PUT; the object's metadata.resourceVersion makes it a compare-and-swap.</summary>
    Task<JsonObject> ReplaceAsync(ResourceType type, JsonObject obj, CancellationToken cancellationToken);

    /// <summary>Server-side apply (PATCH application/apply-patch+yaml). The object must carry apiVersion, kind, metadata.name.</summary>
    Task<JsonObject> ApplyAsync(ResourceType type, JsonObject obj, ApplyOptions options, CancellationToken cancellationToken);

    /// <summary>Deletes; NotFound is reported as false rather than thrown, since the caller's goal is already met.</summary>
    Task<bool> DeleteAsync(ResourceType type, string? @namespace, string name, DeleteOptions options, CancellationToken cancellationToken);
}

/// <summary>A resource's REST coordinates. Group is "" for the core API.</summary>
public sealed record ResourceType(string Group, string Version, string Plural, string Kind, bool Namespaced = true)
{
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    public ResourceType WithVersion(string version) => this with { Version = version };

    public static readonly ResourceType ConfigMap = new("", "v1", "configmaps", "ConfigMap");
    public static readonly ResourceType Secret = new("", "v1", "secrets", "Secret");
    public static readonly ResourceType Namespace = new("", "v1", "namespaces", "Namespace", Namespaced: false);
    public static readonly ResourceType Event = new("events.k8s.io", "v1", "events", "Event");
    public static readonly ResourceType Lease = new("coordination.k8s.io", "v1", "leases", "Lease");
    public static readonly ResourceType Cluster = new("cluster.x-k8s.io", "v1beta2", "clusters", "Cluster");
    public static readonly ResourceType ClusterResourceSet = new("addons.cluster.x-k8s.io", "v1beta2", "clusterresourcesets", "ClusterResourceSet");
    public static readonly ResourceType ClusterResourceSetBinding = new("addons.cluster.x-k8s.io", "v1beta2", "clusterresourcesetbindings", "ClusterResourceSetBinding");
}

public sealed record ObjectList(IReadOnlyList<JsonObject> Items, string ResourceVersion, string? Continue);

public sealed record ListOptions(string? LabelSelector = null, string? FieldSelector = null, int? Limit = null, string? Continue = null);

public sealed record WatchOptions(
    string? LabelSelector = null,
    string? ResourceVersion = null,
    bool AllowBookmarks = true,
    int? TimeoutSeconds = null);

public sealed record ApplyOptions(string FieldManager, bool Force = false);

/// <summary>Preconditions make a delete safe against a re-created object of the same name (UID) or a concurrent writer.</summary>
public sealed record DeleteOptions(string? PreconditionUid = null, string? PreconditionResourceVersion = null, string PropagationPolicy = "Background");

public enum WatchEventType { Added, Modified, Deleted, Bookmark }

public sealed record WatchEvent(WatchEventType Type, JsonObject Object);
