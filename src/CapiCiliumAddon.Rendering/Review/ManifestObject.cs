namespace CapiCiliumAddon.Rendering.Review;

/// <summary>
/// Who an object is: apiVersion/kind/namespace/name (namespace empty for cluster-scoped objects). Objects found inside
/// a ConfigMap or Secret data value carry the wrapper as <see cref="Scope"/>, so two clusters' copies of
/// `DaemonSet kube-system/cilium` in one GitOps tree stay apart.
/// </summary>
public sealed record ObjectIdentity(string ApiVersion, string Kind, string Namespace, string Name, string Scope = "")
    : IComparable<ObjectIdentity>
{
    /// <summary>The identity without its wrapper, used to pair an object that moved between wrappers.</summary>
    public ObjectIdentity Unscoped => this with { Scope = "" };

    public int CompareTo(ObjectIdentity? other)
    {
        if (other is null)
        {
            return 1;
        }
        var c = string.CompareOrdinal(Scope, other.Scope);
        if (c == 0) c = string.CompareOrdinal(ApiVersion, other.ApiVersion);
        if (c == 0) c = string.CompareOrdinal(Kind, other.Kind);
        if (c == 0) c = string.CompareOrdinal(Namespace, other.Namespace);
        if (c == 0) c = string.CompareOrdinal(Name, other.Name);
        return c;
    }

    /// <summary>`apps/v1 DaemonSet kube-system/cilium`, or `v1 Namespace cilium-secrets` when cluster-scoped.</summary>
    public string Display => $"{ApiVersion} {Kind} {(Namespace.Length == 0 ? Name : Namespace + "/" + Name)}";

    public override string ToString() => Scope.Length == 0 ? Display : $"{Display} (in {Scope})";
}

/// <summary>One Kubernetes object read from a manifest: a top-level document or one embedded in a data value.</summary>
public sealed class ManifestObject
{
    internal ManifestObject(ObjectIdentity identity, string sourceFile, int line, YMap root)
    {
        Identity = identity;
        SourceFile = sourceFile;
        Line = line;
        Root = root;
    }

    public ObjectIdentity Identity { get; }

    /// <summary>The file the object was read from (for embedded objects: the wrapper's file).</summary>
    public string SourceFile { get; }

    /// <summary>1-based line of the object's document in <see cref="SourceFile"/>.</summary>
    public int Line { get; }

    /// <summary>
    /// The object's content. For a wrapper whose data values were expanded, those values are replaced by a fixed
    /// marker: their content is compared as embedded objects, only the keys themselves remain a wrapper field.
    /// </summary>
    internal YMap Root { get; }

    /// <summary>The value of label <paramref name="key"/>, or null.</summary>
    public string? Label(string key) => Metadata("labels", key);

    /// <summary>The value of annotation <paramref name="key"/>, or null.</summary>
    public string? Annotation(string key) => Metadata("annotations", key);

    private string? Metadata(string field, string key) => (Root.Get("metadata") as YMap)?.Get(field) is YMap map ? map.GetText(key) : null;
}

/// <summary>The objects read from one path, and what went wrong (errors make the result unusable).</summary>
public sealed record ManifestLoadResult(IReadOnlyList<ManifestObject> Objects, IReadOnlyList<Problem> Problems)
{
    public bool HasErrors => Problems.Any(p => p.Severity == ProblemSeverity.Error);
}
