namespace CapiCiliumAddon.Rendering.Settings;

/// <summary>Settings layers, lowest precedence first (DESIGN.md §4).</summary>
public enum SettingsLayer
{
    /// <summary>What the Cilium CLI would add on its own where nothing else set a value; passed explicitly so every value is ours.</summary>
    CliDefault = 0,
    BuiltIn = 1,
    Profile = 2,
    ValuesConfigMap = 3,
    Annotation = 4,
    ClusterFact = 5,
}

/// <summary>Where a value came from, shown by <c>render --explain</c>.</summary>
/// <param name="Detail">The file, annotation or field, e.g. "spec.controlPlaneEndpoint.host".</param>
public sealed record ValueSource(SettingsLayer Layer, string Detail)
{
    /// <summary>
    /// For a fact read from another object than the Cluster (its infrastructure cluster, e.g. "Metal3Cluster
    /// metal3/site-a"), that object; null for the Cluster's own fields.
    /// </summary>
    public string? Object { get; init; }

    public bool IsUserProvided => Layer is SettingsLayer.Profile or SettingsLayer.ValuesConfigMap or SettingsLayer.Annotation;

    public override string ToString() => Layer switch
    {
        SettingsLayer.CliDefault => $"Cilium CLI default ({Detail})",
        SettingsLayer.BuiltIn => $"built-in ({Detail})",
        SettingsLayer.Profile => $"profile {Detail}",
        SettingsLayer.ValuesConfigMap => $"values ConfigMap {Detail}",
        SettingsLayer.Annotation => $"annotation {Detail}",
        SettingsLayer.ClusterFact => $"{Object ?? "Cluster"} {Detail}",
        _ => Detail,
    };
}
