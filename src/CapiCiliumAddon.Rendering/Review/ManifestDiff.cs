namespace CapiCiliumAddon.Rendering.Review;

public enum FieldChangeKind
{
    /// <summary>The field (or list item) exists only in the new manifest.</summary>
    Added,

    /// <summary>The field (or list item) exists only in the old manifest.</summary>
    Removed,

    /// <summary>A short value changed: show `old → new`.</summary>
    Modified,

    /// <summary>A long or multi-line string changed: show a line diff of <see cref="FieldChange.OldValue"/> and <see cref="FieldChange.NewValue"/>.</summary>
    Text,
}

/// <summary>
/// One leaf change, e.g. `spec.template.spec.containers[name=cilium-agent].image`. For <see cref="FieldChangeKind.Text"/>
/// the values are whole texts (JSON pretty-printed so a one-line JSON document diffs line by line); either may be null
/// when the field was added or removed.
/// </summary>
public sealed record FieldChange(string Path, FieldChangeKind Kind, string? OldValue, string? NewValue);

/// <summary>A changed object. <see cref="OldIdentity"/> is set when it moved between wrappers (e.g. ConfigMap parts).</summary>
public sealed record ObjectChange(ObjectIdentity Identity, ObjectIdentity? OldIdentity, IReadOnlyList<FieldChange> Fields);

public enum HighlightKind
{
    Image,
    Version,
}

/// <summary>
/// A change a reviewer must see first: an image repository whose references changed (deduplicated across every
/// container of every object), or a version-like label/annotation whose values changed.
/// </summary>
public sealed record DiffHighlight(HighlightKind Kind, string Subject, string OldValue, string NewValue);

public sealed record ManifestDiff(
    IReadOnlyList<DiffHighlight> Highlights,
    IReadOnlyList<ObjectIdentity> Removed,
    IReadOnlyList<ObjectIdentity> Added,
    IReadOnlyList<ObjectChange> Changed)
{
    public bool HasDifferences => Removed.Count > 0 || Added.Count > 0 || Changed.Count > 0;
}
