using System.Text.Json;
using System.Text.Json.Nodes;

namespace CapiCiliumAddon.Rendering.Clusters;

/// <summary>A reference to one namespaced object, as Cluster API refs name it: API group, kind, namespace, name.</summary>
public sealed record ObjectReference(string Group, string Kind, string Namespace, string Name)
{
    /// <summary>"Metal3Cluster metal3/site-a": how messages name the object.</summary>
    public override string ToString() => $"{Kind} {Namespace}/{Name}";
}

/// <summary>One object of the input files, with where it was found.</summary>
public sealed record InputObject(JsonObject Content, string Location);

/// <summary>
/// Every object of the input files by group, kind, namespace and name, so a Cluster's references (its
/// infrastructure cluster) can be followed to the files that define them. An object without
/// <c>metadata.namespace</c> is in <c>default</c>, as for Clusters and ConfigMaps: that is where kubectl would put it.
/// </summary>
public sealed class InputObjects
{
    private readonly Dictionary<ObjectReference, List<InputObject>> _objects = [];

    /// <summary>Adds a document if it names its apiVersion, kind and name; anything else cannot be referenced.</summary>
    public void Add(JsonObject content, string location)
    {
        if (ReferenceTo(content) is { } reference)
        {
            if (!_objects.TryGetValue(reference, out var found))
            {
                _objects[reference] = found = [];
            }

            found.Add(new InputObject(content, location));
        }
    }

    /// <summary>Every definition of the object (more than one is an ambiguity the caller reports).</summary>
    public IReadOnlyList<InputObject> Find(ObjectReference reference) =>
        _objects.TryGetValue(reference, out var found) ? found : [];

    /// <summary>Namespaces holding an object of this group, kind and name, other than the referenced one: the usual mistake.</summary>
    public IReadOnlyList<string> OtherNamespaces(ObjectReference reference) =>
        _objects.Keys
            .Where(k => k.Group == reference.Group && k.Kind == reference.Kind && k.Name == reference.Name && k.Namespace != reference.Namespace)
            .Select(k => k.Namespace)
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>The API group of an apiVersion: "infrastructure.cluster.x-k8s.io/v1beta1" → "infrastructure.cluster.x-k8s.io", "v1" → "".</summary>
    public static string GroupOf(string apiVersion)
    {
        var slash = apiVersion.IndexOf('/');
        return slash < 0 ? "" : apiVersion[..slash];
    }

    private static ObjectReference? ReferenceTo(JsonObject content)
    {
        var metadata = content["metadata"] as JsonObject;
        if (StringAt(content, "apiVersion") is not { } apiVersion || StringAt(content, "kind") is not { } kind
            || StringAt(metadata, "name") is not { } name)
        {
            return null;
        }

        return new ObjectReference(GroupOf(apiVersion), kind, StringAt(metadata, "namespace") ?? "default", name);
    }

    private static string? StringAt(JsonObject? obj, string key) =>
        obj?[key] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? (string?)value : null;
}
