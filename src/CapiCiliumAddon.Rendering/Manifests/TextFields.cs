namespace CapiCiliumAddon.Rendering.Manifests;

/// <summary>
/// The fields of an object that the API server types as strings and that YAML writers most often fill with a plain
/// scalar Kubernetes reads as something else (<c>yes</c>, <c>on</c>, <c>8080</c>): label and annotation values, env
/// values and ConfigMap data. The API server refuses the whole object when one holds a boolean or a number, so a
/// ClusterResourceSet carrying it never applies. Paths are mapping keys with a <c>[...]</c> step for each sequence
/// item, as <see cref="Yaml.YamlJson.Field"/> joins them.
/// </summary>
public static class TextFields
{
    /// <summary>What the field at <paramref name="path"/> is ("a label value"...), or null when Kubernetes does not require text there.</summary>
    public static string? Describe(IReadOnlyList<string> path, bool isConfigMap) => path switch
    {
        ["data", _] when isConfigMap => "a ConfigMap data value",
        [.., "metadata", "labels", _] => "a label value",
        [.., "metadata", "annotations", _] => "an annotation value",
        [.., "env", ['[', ..], "value"] => "an env value",
        _ => null,
    };
}
