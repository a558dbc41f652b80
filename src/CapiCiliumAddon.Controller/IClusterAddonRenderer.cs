using System.Text.Json.Nodes;
using CapiCiliumAddon.Rendering;
using CapiCiliumAddon.Rendering.Pipeline;

namespace CapiCiliumAddon.Controller;

/// <summary>
/// The controller's port onto the rendering core: decide cheaply what a Cluster asks for, and render it only when
/// the answer changed. Planning is pure (no CLI, no API calls), which is what lets a restart over a thousand
/// up-to-date Clusters finish without a single render.
/// </summary>
public interface IClusterAddonRenderer
{
    /// <summary>Names of ConfigMaps (in the Cluster's namespace) the Cluster references for values; read them before <see cref="Plan"/>.</summary>
    IReadOnlyList<string> ReferencedConfigMaps(JsonObject cluster);

    /// <param name="configMaps">The referenced ConfigMaps' data by name; a missing one is absent from the dictionary.</param>
    AddonPlanOutcome Plan(JsonObject cluster, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> configMaps);

    Task<AddonRenderOutcome> RenderAsync(AddonPlan plan, CancellationToken cancellationToken);
}

public abstract record AddonPlanOutcome
{
    private AddonPlanOutcome() { }

    public sealed record Ready(AddonPlan Plan) : AddonPlanOutcome;

    /// <summary>The Cluster is fine but not renderable yet (no control plane endpoint): wait, no objects.</summary>
    public sealed record NotReady(Problem Reason) : AddonPlanOutcome;

    public sealed record Invalid(IReadOnlyList<Problem> Problems) : AddonPlanOutcome;
}

/// <param name="InputHash">Hash of every input of the render; equal hashes mean the stored objects are current.</param>
/// <param name="SelectorLabel">The label, unique to this Cluster, that our ClusterResourceSet selects; the controller sets it on the Cluster.</param>
/// <param name="ObjectNames">Names of every object the render will produce (ConfigMaps, Secret, CRS), so the controller can check freshness and ownership without rendering.</param>
/// <param name="Payload">The core's plan, opaque to the controller.</param>
public sealed record AddonPlan(
    string Namespace,
    string ClusterName,
    string InputHash,
    string CiliumVersion,
    KeyValuePair<string, string> SelectorLabel,
    IReadOnlyList<AddonObjectName> ObjectNames,
    object Payload);

public sealed record AddonObjectName(string ApiVersion, string Kind, string Name);

public abstract record AddonRenderOutcome
{
    private AddonRenderOutcome() { }

    /// <summary>How the render was made: a CLI run of its own, stamped from its group's verified template, or a CLI run after stamping was refused.</summary>
    public RenderKind Kind { get; init; } = RenderKind.Direct;

    /// <summary>
    /// Objects in apply order (ConfigMaps and Secret first, the ClusterResourceSet last), each with apiVersion, kind,
    /// metadata.name/namespace, our labels (managed-by, and the cluster-name label the controller finds them by) and
    /// annotations (including the input hash), and no ownerReferences: the controller adds the owner from the live
    /// Cluster's UID.
    /// </summary>
    public sealed record Rendered(IReadOnlyList<JsonObject> Objects, IReadOnlyList<Problem> Warnings) : AddonRenderOutcome;

    public sealed record Failed(IReadOnlyList<Problem> Problems) : AddonRenderOutcome;
}
