using CapiCiliumAddon.Kubernetes;

namespace CapiCiliumAddon.Controller.Reconciliation;

public sealed record ReconcilerOptions
{
    public const string Prefix = "addon.capi-cilium.io/";
    public const string ManagedByLabel = "app.kubernetes.io/managed-by";
    public const string ManagedByValue = "capi-cilium-addon";
    public const string InputHashAnnotation = Prefix + "input-hash";

    public string FieldManager { get; init; } = "capi-cilium-addon";

    /// <summary>The Clusters we serve; a Cluster that stops matching loses our objects.</summary>
    public string LabelSelector { get; init; } = "cni=cilium";

    /// <summary>Renders at once (~125 MB each).</summary>
    public int MaxConcurrentRenders { get; init; } = 2;

    public ResourceType ClusterResourceSetType { get; init; } = ResourceType.ClusterResourceSet;

    public ResourceType ClusterResourceSetBindingType { get; init; } = ResourceType.ClusterResourceSetBinding;

    /// <summary>An invalid Cluster is looked at again after this (its values ConfigMap may be fixed without a Cluster event).</summary>
    public TimeSpan InvalidRequeue { get; init; } = TimeSpan.FromMinutes(5);
}
