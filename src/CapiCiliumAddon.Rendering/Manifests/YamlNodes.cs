using CapiCiliumAddon.Rendering.Yaml;
using YamlDotNet.RepresentationModel;

namespace CapiCiliumAddon.Rendering.Manifests;

/// <summary>Small read helpers over YamlDotNet's representation model (for JSON, see <see cref="YamlJson"/>).</summary>
public static class YamlNodes
{
    public static YamlNode? Get(this YamlMappingNode? map, string key)
    {
        if (map is null)
        {
            return null;
        }

        foreach (var (k, v) in map.Children)
        {
            if (k is YamlScalarNode s && s.Value == key)
            {
                return v;
            }
        }

        return null;
    }

    public static YamlMappingNode? GetMap(this YamlMappingNode? map, string key) => map.Get(key) as YamlMappingNode;

    public static YamlSequenceNode? GetSeq(this YamlMappingNode? map, string key) => map.Get(key) as YamlSequenceNode;

    /// <summary>The scalar's text, or null when absent, not a scalar, or an explicit YAML null.</summary>
    public static string? GetString(this YamlMappingNode? map, string key) =>
        map.Get(key) is YamlScalarNode s && !IsNull(s) ? s.Value : null;

    /// <summary>Follows a dotted path of mapping keys.</summary>
    public static YamlMappingNode? GetPath(this YamlMappingNode? map, params string[] path)
    {
        var current = map;
        foreach (var key in path)
        {
            current = current.GetMap(key);
        }

        return current;
    }

    public static bool IsNull(YamlScalarNode s) => YamlScalars.IsNull(s);
}
