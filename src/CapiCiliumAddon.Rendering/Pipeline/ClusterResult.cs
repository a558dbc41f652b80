using CapiCiliumAddon.Rendering.Addons;
using CapiCiliumAddon.Rendering.Planning;

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

/// <summary>What happened to one Cluster. Problems include warnings even when it rendered.</summary>
public sealed record ClusterResult(string Key, ClusterState State, RenderPlan? Plan, AddonObjects? Objects, IReadOnlyList<Problem> Problems)
{
    public TimeSpan Duration { get; init; }
}
