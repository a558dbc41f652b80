using CapiCiliumAddon.Rendering.Addons;
using CapiCiliumAddon.Rendering.Output;
using CapiCiliumAddon.Rendering.Planning;
using CapiCiliumAddon.Rendering.Settings;

namespace CapiCiliumAddon.Rendering.Pipeline;

public enum ClusterState
{
    /// <summary>Rendered and checked; outputs may be written.</summary>
    Rendered,

    /// <summary>Waiting for the control plane endpoint; nothing written.</summary>
    NotReady,

    /// <summary>The Cluster or its settings are wrong; nothing written.</summary>
    Invalid,

    /// <summary>The CLI failed or its output failed our checks; nothing written.</summary>
    Failed,
}

/// <summary>How a Cluster's output was produced.</summary>
public enum RenderKind
{
    /// <summary>Its own Cilium CLI run.</summary>
    Direct,

    /// <summary>Its group's shared render with its own facts stamped in; no CLI run of its own.</summary>
    Stamped,

    /// <summary>Its own Cilium CLI run because its group's shared render failed a stamping check.</summary>
    Fallback,
}

/// <summary>What happened to one Cluster. Problems include warnings even when it rendered.</summary>
/// <param name="Objects">The objects as JSON and YAML; null for a Cluster stamped from its group's finished files
/// (see <see cref="Files"/>), and in the summaries a batch returns.</param>
public sealed record ClusterResult(string Key, ClusterState State, RenderPlan? Plan, AddonObjects? Objects, IReadOnlyList<Problem> Problems)
{
    public TimeSpan Duration { get; init; }

    public RenderKind Kind { get; init; } = RenderKind.Direct;

    /// <summary>The Helm values the Cluster's settings stack to: its plan's, or for an invalid Cluster as far as planning got (null when it got nowhere).</summary>
    public HelmValues? Values
    {
        get => field ?? Plan?.Values;
        init;
    }

    /// <summary>
    /// What the GitOps writer writes for this Cluster (<see cref="ManifestTree.Files"/>): file name → content, in apply
    /// order, the kustomization last. Null unless <see cref="State"/> is Rendered and the output has not been released.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>>? Files
    {
        get => field ?? (Objects is null ? null : ManifestTree.Files(Objects));
        init;
    }

    /// <summary>The result without its output: what a batch keeps of a Cluster once its handler has seen it.</summary>
    public ClusterResult Released() => this with { Objects = null, Files = null };
}
