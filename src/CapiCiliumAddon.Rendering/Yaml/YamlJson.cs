using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace CapiCiliumAddon.Rendering.Yaml;

/// <summary>
/// A plain scalar whose value is spelled differently from its text, as Kubernetes reads it: <c>0400</c> is 256,
/// <c>yes</c> is true, <c>1_000</c> is 1000. Lint reports the surprising ones.
/// </summary>
/// <param name="Field">Where it is: mapping keys joined with '.', sequence items as [i] (<c>spec.volumes[0].configMap.defaultMode</c>).</param>
/// <param name="Path">The same, one element per step (a key, or "[i]").</param>
/// <param name="Text">The scalar as written.</param>
/// <param name="Value">What it resolved to (bool, long, ulong or double).</param>
/// <param name="Line">1-based line of the scalar in the text that was read.</param>
public sealed record ResolvedScalar(string Field, IReadOnlyList<string> Path, string Text, object Value, long Line);

/// <summary>
/// The one conversion of YAML into JSON for the whole product, with <see cref="YamlScalars"/>' rules: every reader
/// (Cluster files, values ConfigMaps, profiles, chart output, lint, diff, settings) sees what <c>kubectl</c> and Helm
/// see. Mapping key order is kept. YAML merge keys (<c>&lt;&lt;</c>) are refused: read as a plain key they would hide
/// the merged keys (a Cluster's <c>cni: cilium</c> label, say) and the object would be misread without a word.
/// </summary>
public static class YamlJson
{
    /// <summary>Converts one node (a document's root, or any node of it).</summary>
    /// <exception cref="YamlValueException">A value or key Kubernetes would refuse (see <see cref="YamlScalars"/>).</exception>
    public static JsonNode? ToJson(YamlNode node) => new Converter(null, null).Convert(node, 0);

    /// <summary>
    /// Converts with a limit on nodes visited (aliases count each time they are expanded) and on nesting, recording the
    /// plain scalars whose value is spelled differently from their text in <paramref name="resolved"/>.
    /// </summary>
    internal static JsonNode? ToJson(YamlNode node, NodeBudget budget, List<ResolvedScalar> resolved) =>
        new Converter(budget, resolved).Convert(node, 0);

    private sealed class Converter(NodeBudget? budget, List<ResolvedScalar>? resolved)
    {
        private readonly List<string> _path = [];

        public JsonNode? Convert(YamlNode node, int depth)
        {
            budget?.Spend(node, depth);
            switch (node)
            {
                case YamlMappingNode mapping:
                    var obj = new JsonObject();
                    foreach (var (keyNode, child) in mapping.Children)
                    {
                        if (keyNode is not YamlScalarNode key)
                        {
                            throw new YamlValueException(keyNode.Start, "mapping keys must be scalars");
                        }

                        if (key.Value == "<<" && (YamlScalars.IsPlain(key) && key.Tag.IsEmpty || key.Tag.Value == "tag:yaml.org,2002:merge"))
                        {
                            throw new YamlValueException(key.Start, "YAML merge keys ('<<') are not supported; write the keys out");
                        }

                        var name = YamlScalars.KeyText(key);
                        if (obj.ContainsKey(name))
                        {
                            throw new YamlValueException(key.Start, $"duplicate key '{name}'");
                        }

                        _path.Add(name);
                        obj[name] = Convert(child, depth + 1);
                        _path.RemoveAt(_path.Count - 1);
                    }

                    return obj;
                case YamlSequenceNode sequence:
                    var array = new JsonArray();
                    for (var i = 0; i < sequence.Children.Count; i++)
                    {
                        _path.Add($"[{i}]");
                        array.Add(Convert(sequence.Children[i], depth + 1));
                        _path.RemoveAt(_path.Count - 1);
                    }

                    return array;
                case YamlScalarNode scalar:
                    var value = YamlScalars.Resolve(scalar);
                    if (resolved is not null && value is not (null or string) && YamlScalars.IsPlain(scalar))
                    {
                        var json = YamlScalars.ToJson(value, scalar);
                        if (json!.ToJsonString() != scalar.Value)
                        {
                            resolved.Add(new ResolvedScalar(Field(), _path.ToArray(), scalar.Value ?? "", value, scalar.Start.Line));
                        }

                        return json;
                    }

                    return YamlScalars.ToJson(value, scalar);
                default:
                    throw new YamlValueException(node.Start, "unsupported YAML node");
            }
        }

        private string Field() => YamlJson.Field(_path);
    }

    /// <summary>A path of keys and "[i]" items as one field: <c>spec.volumes[0].configMap.defaultMode</c>.</summary>
    public static string Field(IEnumerable<string> path)
    {
        var builder = new System.Text.StringBuilder();
        foreach (var step in path)
        {
            if (builder.Length > 0 && !step.StartsWith('['))
            {
                builder.Append('.');
            }

            builder.Append(step);
        }

        return builder.ToString();
    }
}

/// <summary>Bounds the work of reading user input: nodes visited after alias expansion ("billion laughs"), and depth.</summary>
internal sealed class NodeBudget(int maxNodes, int maxDepth)
{
    private int _nodes;

    public void Spend(YamlNode node, int depth)
    {
        if (++_nodes > maxNodes)
        {
            throw new YamlValueException(node.Start, $"more than {maxNodes} YAML nodes after expanding aliases (a YAML bomb?)");
        }

        if (depth > maxDepth)
        {
            throw new YamlValueException(node.Start, $"nesting deeper than {maxDepth}");
        }
    }
}
