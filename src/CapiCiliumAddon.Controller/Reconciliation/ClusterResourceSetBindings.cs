using System.Text.Json.Nodes;

namespace CapiCiliumAddon.Controller.Reconciliation;

/// <summary>
/// Reads what Cluster API recorded in a ClusterResourceSetBinding (named after the Cluster): per ClusterResourceSet,
/// which resources it has applied. Under ApplyOnce this is the only way to know whether a change can still reach a
/// cluster.
/// </summary>
public static class ClusterResourceSetBindings
{
    /// <summary>"Kind/name" of every resource of <paramref name="clusterResourceSetName"/> marked applied.</summary>
    public static IReadOnlyList<string> AppliedResources(JsonObject binding, string clusterResourceSetName) =>
        (binding["spec"]?["bindings"] as JsonArray ?? [])
            .OfType<JsonObject>()
            .Where(b => b["clusterResourceSetName"] is JsonValue name && name.TryGetValue<string>(out var n) && n == clusterResourceSetName)
            .SelectMany(b => (b["resources"] as JsonArray ?? []).OfType<JsonObject>())
            .Where(r => r["applied"] is JsonValue applied && applied.TryGetValue<bool>(out var a) && a)
            .Select(r => $"{(string?)r["kind"]}/{(string?)r["name"]}")
            .ToList();
}
