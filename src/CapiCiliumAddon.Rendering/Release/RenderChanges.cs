using CapiCiliumAddon.Rendering.Pipeline.Stamping;
using CapiCiliumAddon.Rendering.Planning;
using CapiCiliumAddon.Rendering.Review;
using CapiCiliumAddon.Rendering.Settings;

namespace CapiCiliumAddon.Rendering.Release;

/// <summary>The part of a render a <see cref="RenderChange"/> is in, in the order a summary lists them.</summary>
public enum RenderChangeArea
{
    /// <summary>A key of ConfigMap <c>cilium-config</c>: what the agent and the operator run with.</summary>
    CiliumConfig,

    /// <summary>The command, args or env of the agent's container (<c>cilium-agent</c>).</summary>
    Agent,

    /// <summary>The command, args or env of the operator's container (<c>cilium-operator</c>).</summary>
    Operator,

    /// <summary>A chart object that came, went, or was renamed.</summary>
    Objects,
}

/// <summary>
/// One change between two renders of a Cluster, with the Cluster's own facts (endpoint, cluster name, pod CIDRs)
/// replaced by placeholders such as <c>&lt;cluster.name&gt;</c>, so that the same change on two Clusters is the same
/// record and a fleet's changes group.
/// </summary>
/// <param name="Owner">The object holding the change, e.g. <c>DaemonSet kube-system/cilium</c>; empty for <see cref="RenderChangeArea.Objects"/>.</param>
/// <param name="Item">
/// cilium-config: the key; agent and operator: the field below the container (<c>args</c>,
/// <c>env[name=GOMEMLIMIT].value</c>); objects: the object, e.g. <c>batch/v1 Job kube-system/hubble-generate-certs</c>.
/// </param>
/// <param name="OldValue">The value before, null when added (as <see cref="FieldChange"/> shows values).</param>
/// <param name="NewValue">The value after, null when removed.</param>
public sealed record RenderChange(RenderChangeArea Area, string Owner, string Item, FieldChangeKind Kind, string? OldValue, string? NewValue)
{
    /// <summary>Where the change is, whatever it is: two Clusters with changes in one slot changed the same thing differently.</summary>
    public (RenderChangeArea Area, string Owner, string Item) Slot => (Area, Owner, Item);
}

/// <summary>
/// What changed between a Cluster's previous render and its new one that a release engineer must read: the keys of
/// <c>cilium-config</c>, the agent's and the operator's command lines and environment, and the chart objects added or
/// removed. Computed with <see cref="ManifestDiffer"/> over the chart's objects (our wrappers are left out: they
/// change with every render).
/// </summary>
public static class RenderChanges
{
    public const string CiliumConfigName = "cilium-config";
    public const string AgentContainer = "cilium-agent";
    public const string OperatorContainer = "cilium-operator";

    /// <summary>What a content-named object's name shows instead of its hash, which differs from Cluster to Cluster.</summary>
    public const string ContentHashPlaceholder = "<hash of its spec>";

    private static readonly string[] ContainerFields = ["command", "args", "env"];

    /// <summary>Every placeholder a fact may be shown as (see <see cref="FactPlaceholders"/>).</summary>
    public static IReadOnlyList<string> FactPlaceholderNames { get; } = StampableFacts.Keys.Select(Placeholder).ToList();

    /// <summary>
    /// The Cluster's facts as they appear in its render, each with its placeholder (<c>&lt;k8sServiceHost&gt;</c>):
    /// the values of <see cref="StampableFacts.Keys"/> in its plan, whatever layer set them.
    /// </summary>
    public static IReadOnlyDictionary<string, string> FactPlaceholders(RenderPlan plan)
    {
        var placeholders = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in StampableFacts.Keys)
        {
            if (HelmValues.AsString(plan.Values[key]?.Value) is { Length: > 0 } text)
            {
                placeholders.TryAdd(text, Placeholder(key));
            }
        }

        return placeholders;
    }

    private static string Placeholder(string key) => $"<{key}>";

    /// <param name="factPlaceholders">The Cluster's facts (see <see cref="FactPlaceholders"/>); values equal to one are shown as its placeholder.</param>
    public static IReadOnlyList<RenderChange> Between(IReadOnlyList<ManifestObject> oldObjects, IReadOnlyList<ManifestObject> newObjects,
        IReadOnlyDictionary<string, string> factPlaceholders)
    {
        var diff = ManifestDiffer.Compare(ChartObjects(oldObjects), ChartObjects(newObjects));
        string? Mask(string? value) => value is null ? null : MaskValue(value, factPlaceholders);

        var changes = new List<RenderChange>();
        foreach (var change in diff.Changed)
        {
            var id = change.Identity;
            var owner = $"{id.Kind} {(id.Namespace.Length == 0 ? id.Name : id.Namespace + "/" + id.Name)}";
            foreach (var field in change.Fields)
            {
                if (id is { ApiVersion: "v1", Kind: "ConfigMap", Name: CiliumConfigName } && DataKey(field.Path) is { } key)
                {
                    changes.Add(new RenderChange(RenderChangeArea.CiliumConfig, owner, key, field.Kind, Mask(field.OldValue), Mask(field.NewValue)));
                }
                else if (id.Kind is "DaemonSet" or "Deployment" && ContainerField(field.Path) is ({ } container, { } rest))
                {
                    var area = container switch
                    {
                        AgentContainer => RenderChangeArea.Agent,
                        OperatorContainer => RenderChangeArea.Operator,
                        _ => (RenderChangeArea?)null,
                    };
                    if (area is { } known)
                    {
                        changes.Add(new RenderChange(known, owner, rest, field.Kind, Mask(field.OldValue), Mask(field.NewValue)));
                    }
                }
            }
        }

        // An object named after a hash of its spec is renamed whenever the spec changes; the same object on both sides.
        var removed = diff.Removed.Select(ObjectItem).ToList();
        var added = diff.Added.Select(ObjectItem).ToList();
        foreach (var renamed in removed.Intersect(added, StringComparer.Ordinal).ToList())
        {
            removed.Remove(renamed);
            added.Remove(renamed);
            changes.Add(new RenderChange(RenderChangeArea.Objects, "", renamed, FieldChangeKind.Modified, null, null));
        }

        changes.AddRange(removed.Select(item => new RenderChange(RenderChangeArea.Objects, "", item, FieldChangeKind.Removed, item, null)));
        changes.AddRange(added.Select(item => new RenderChange(RenderChangeArea.Objects, "", item, FieldChangeKind.Added, null, item)));
        return changes
            .Distinct()
            .OrderBy(c => c.Area)
            .ThenBy(c => c.Owner, StringComparer.Ordinal)
            .ThenBy(c => c.Item, StringComparer.Ordinal)
            .ThenBy(c => c.Kind)
            .ThenBy(c => c.OldValue, StringComparer.Ordinal)
            .ThenBy(c => c.NewValue, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The chart's objects: all but our own wrappers (ConfigMaps, Secrets and ClusterResourceSets labelled as ours).</summary>
    private static List<ManifestObject> ChartObjects(IReadOnlyList<ManifestObject> objects) =>
        objects.Where(o => o.Label(AddonKeys.ManagedByLabel) != AddonKeys.ManagedByValue).ToList();

    private static string ObjectItem(ObjectIdentity id)
    {
        var name = StampTemplate.ContentNameBase(id.Kind, id.Name) is { } stem ? $"{stem}-{ContentHashPlaceholder}" : id.Name;
        return (id with { Name = name, Scope = "" }).Display;
    }

    /// <summary>A fact's value, whole or as the value of a <c>--flag=value</c> argument, becomes its placeholder.</summary>
    private static string MaskValue(string value, IReadOnlyDictionary<string, string> factPlaceholders)
    {
        if (factPlaceholders.TryGetValue(value, out var placeholder))
        {
            return placeholder;
        }

        var equals = value.IndexOf('=', StringComparison.Ordinal);
        return equals > 0 && factPlaceholders.TryGetValue(value[(equals + 1)..], out placeholder) ? value[..(equals + 1)] + placeholder : value;
    }

    /// <summary>The data key of a ConfigMap field path (<c>data.key</c> or <c>data[key.with.dots]</c>), else null.</summary>
    private static string? DataKey(string path) =>
        path.StartsWith("data.", StringComparison.Ordinal) ? path["data.".Length..]
        : path.StartsWith("data[", StringComparison.Ordinal) && path.EndsWith(']') ? path["data[".Length..^1]
        : null;

    /// <summary>(container, field) for a pod template path into a container's command, args or env, else nulls.</summary>
    private static (string? Container, string? Field) ContainerField(string path)
    {
        const string prefix = "spec.template.spec.containers[name=";
        if (!path.StartsWith(prefix, StringComparison.Ordinal))
        {
            return (null, null);
        }

        var close = path.IndexOf("].", prefix.Length, StringComparison.Ordinal);
        if (close < 0)
        {
            return (null, null);
        }

        var container = path[prefix.Length..close];
        var field = path[(close + 2)..];
        return ContainerFields.Any(f => field == f || field.StartsWith(f + "[", StringComparison.Ordinal) || field.StartsWith(f + ".", StringComparison.Ordinal) || field.StartsWith(f + " ", StringComparison.Ordinal))
            ? (container, field)
            : (null, null);
    }
}
