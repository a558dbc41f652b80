using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CapiCiliumAddon.Rendering.Manifests;

/// <summary>Small read helpers over YamlDotNet's representation model, and the YAML → JSON conversion for objects we re-emit.</summary>
public static partial class YamlNodes
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

    public static bool IsNull(YamlScalarNode s) =>
        s.Style == ScalarStyle.Plain && s.Value is null or "" or "~" or "null" or "Null" or "NULL";

    /// <summary>
    /// Converts a parsed YAML node to JSON with the YAML 1.2 core schema: quoted and block scalars are strings, plain
    /// scalars resolve to null, booleans, integers or floats when they look like them. Mapping key order is kept.
    /// </summary>
    public static JsonNode? ToJson(YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode map:
                var obj = new JsonObject();
                foreach (var (k, v) in map.Children)
                {
                    var key = k is YamlScalarNode ks ? ks.Value ?? "" : throw new InvalidOperationException("Only scalar mapping keys are supported.");
                    obj[key] = ToJson(v);
                }

                return obj;
            case YamlSequenceNode seq:
                var arr = new JsonArray();
                foreach (var item in seq.Children)
                {
                    arr.Add(ToJson(item));
                }

                return arr;
            case YamlScalarNode s:
                return ScalarToJson(s);
            default:
                throw new InvalidOperationException($"Unsupported YAML node {node.NodeType}.");
        }
    }

    private static JsonNode? ScalarToJson(YamlScalarNode s)
    {
        var value = s.Value ?? "";
        if (s.Style != ScalarStyle.Plain || (s.Tag.IsEmpty == false && s.Tag.Value == "tag:yaml.org,2002:str"))
        {
            return JsonValue.Create(value);
        }

        if (IsNull(s))
        {
            return null;
        }

        if (value is "true" or "True" or "TRUE")
        {
            return JsonValue.Create(true);
        }

        if (value is "false" or "False" or "FALSE")
        {
            return JsonValue.Create(false);
        }

        if (IntPattern().IsMatch(value) && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
        {
            return JsonValue.Create(l);
        }

        if (FloatPattern().IsMatch(value) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
        {
            // Keep the number's own spelling when it is valid JSON ("1.0" stays "1.0"); YAML-only forms (".5") become doubles.
            return JsonNumberPattern().IsMatch(value) ? JsonNode.Parse(value) : JsonValue.Create(d);
        }

        return JsonValue.Create(value);
    }

    [GeneratedRegex(@"^[-+]?[0-9]+\z")]
    private static partial Regex IntPattern();

    [GeneratedRegex(@"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?\z")]
    private static partial Regex JsonNumberPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\z")]
    private static partial Regex FloatPattern();
}
