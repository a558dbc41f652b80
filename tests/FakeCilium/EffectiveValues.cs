using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CapiCiliumAddon.Rendering.Yaml;

namespace FakeCilium;

/// <summary>The values the chart would see: values files deep-merged in order, `--set` pairs on top, flattened to
/// dotted keys with the value's text (`true`, `6443`; list items as `key[0]`). Values files are read as Helm reads
/// them (YAML 1.1 scalars: `0400` is 256, `yes` is true).</summary>
internal static class EffectiveValues
{
    public static SortedDictionary<string, string> Build(IEnumerable<string> valuesFiles, IEnumerable<string> setArguments)
    {
        var tree = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var file in valuesFiles)
        {
            Merge(tree, LoadValuesFile(file));
        }

        foreach (var set in setArguments)
        {
            foreach (var (path, value) in ParseSet(set))
            {
                SetPath(tree, path, value);
            }
        }

        var flat = new SortedDictionary<string, string>(StringComparer.Ordinal);
        Flatten(tree, prefix: "", flat);
        return flat;
    }

    /// <summary>Helm's `--set a.b=c,d=e`: pairs split on unescaped commas, keys on unescaped dots.</summary>
    internal static IEnumerable<(IReadOnlyList<string> Path, string Value)> ParseSet(string set)
    {
        var pairs = new List<(IReadOnlyList<string>, string)>();
        foreach (var part in SplitUnescaped(set, ','))
        {
            var equals = IndexOfUnescaped(part, '=');
            if (equals < 0)
            {
                throw CliFailure.Install($"failed parsing --set data: key \"{Unescape(part)}\" has no value");
            }

            var key = part[..equals];
            var value = Unescape(part[(equals + 1)..]);
            if (key.Length == 0)
            {
                continue; // The real CLI accepts `--set =x` and silently drops it (README, error-bad-set).
            }

            if (key.Contains('[', StringComparison.Ordinal) || value.StartsWith('{'))
            {
                throw CliFailure.NotModelled($"list syntax in --set ({set})");
            }

            pairs.Add((SplitUnescaped(key, '.').Select(Unescape).ToArray(), value));
        }

        return pairs;
    }

    private static Dictionary<string, object?> LoadValuesFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw CliFailure.Install($"open {path}: no such file or directory");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliFailure.Install($"open {path}: {e.Message}");
        }

        IReadOnlyList<SourceDocument> documents;
        try
        {
            documents = YamlDocuments.Parse(text, path);
        }
        catch (InputFileException e)
        {
            throw CliFailure.Install($"fake cilium cannot parse values file {path}: {e.Reason}");
        }

        return documents.FirstOrDefault()?.Content switch
        {
            null => new Dictionary<string, object?>(StringComparer.Ordinal),
            JsonObject mapping => (Dictionary<string, object?>)ToTree(mapping)!,
            _ => throw CliFailure.Install($"fake cilium: values file {path} is not a YAML mapping"),
        };
    }

    /// <summary>Leaves as text: a string as it is, a number or bool as JSON writes it (`0400` in a values file is 256).</summary>
    private static object? ToTree(JsonNode? node) => node switch
    {
        JsonObject mapping => mapping.ToDictionary(pair => pair.Key, pair => ToTree(pair.Value), StringComparer.Ordinal),
        JsonArray sequence => sequence.Select(ToTree).ToList(),
        null => null,
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
        _ => node.ToJsonString(),
    };

    /// <summary>Helm's coalescing of values files: mappings merge key by key, anything else is replaced.</summary>
    private static void Merge(Dictionary<string, object?> target, Dictionary<string, object?> source)
    {
        foreach (var (key, value) in source)
        {
            if (value is Dictionary<string, object?> sourceChild
                && target.TryGetValue(key, out var existing)
                && existing is Dictionary<string, object?> targetChild)
            {
                Merge(targetChild, sourceChild);
            }
            else
            {
                target[key] = value;
            }
        }
    }

    private static void SetPath(Dictionary<string, object?> tree, IReadOnlyList<string> path, string value)
    {
        var node = tree;
        foreach (var segment in path.Take(path.Count - 1))
        {
            if (!node.TryGetValue(segment, out var child) || child is not Dictionary<string, object?> childMapping)
            {
                childMapping = new Dictionary<string, object?>(StringComparer.Ordinal);
                node[segment] = childMapping;
            }

            node = childMapping;
        }

        node[path[^1]] = value;
    }

    private static void Flatten(object? node, string prefix, SortedDictionary<string, string> flat)
    {
        switch (node)
        {
            case Dictionary<string, object?> mapping:
                foreach (var (key, value) in mapping)
                {
                    Flatten(value, prefix.Length == 0 ? key : $"{prefix}.{key}", flat);
                }

                break;
            case List<object?> list:
                for (var i = 0; i < list.Count; i++)
                {
                    Flatten(list[i], $"{prefix}[{i}]", flat);
                }

                break;
            case null:
                flat[prefix] = "null";
                break;
            default:
                flat[prefix] = (string)node;
                break;
        }
    }

    private static List<string> SplitUnescaped(string text, char separator)
    {
        var parts = new List<string>();
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\')
            {
                i++;
            }
            else if (text[i] == separator)
            {
                parts.Add(text[start..i]);
                start = i + 1;
            }
        }

        parts.Add(text[start..]);
        return parts;
    }

    private static int IndexOfUnescaped(string text, char wanted)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\')
            {
                i++;
            }
            else if (text[i] == wanted)
            {
                return i;
            }
        }

        return -1;
    }

    private static string Unescape(string text)
    {
        var builder = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 1 < text.Length)
            {
                i++;
            }

            builder.Append(text[i]);
        }

        return builder.ToString();
    }
}
