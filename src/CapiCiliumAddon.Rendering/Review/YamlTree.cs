using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CapiCiliumAddon.Rendering.Review;

/// <summary>
/// A YAML value reduced to what a reviewer cares about: maps, lists and scalar TEXT. Quoting style, comments, key
/// order and explicit nulls in maps are formatting, not content, so they do not survive the conversion.
/// </summary>
internal abstract class YNode;

internal sealed class YMap : YNode
{
    public List<KeyValuePair<string, YNode>> Entries { get; } = [];

    public YNode? Get(string key)
    {
        foreach (var entry in Entries)
        {
            if (entry.Key == key)
            {
                return entry.Value;
            }
        }
        return null;
    }

    public string? GetText(string key) => Get(key) is YScalar s ? s.Text : null;

    public void Set(string key, YNode value)
    {
        for (var i = 0; i < Entries.Count; i++)
        {
            if (Entries[i].Key == key)
            {
                Entries[i] = new(key, value);
                return;
            }
        }
        Entries.Add(new(key, value));
    }
}

internal sealed class YSeq : YNode
{
    public List<YNode> Items { get; } = [];
}

internal sealed class YScalar(string text, bool isNull = false) : YNode
{
    public string Text { get; } = text;

    /// <summary>An explicit null inside a list (in a map, a null entry is dropped as equal to an absent key).</summary>
    public bool IsNull { get; } = isNull;
}

internal static partial class YamlTree
{
    public static YNode Convert(YamlNode node) => node switch
    {
        YamlMappingNode m => ConvertMap(m),
        YamlSequenceNode s => ConvertSeq(s),
        YamlScalarNode sc => IsNull(sc) ? new YScalar("null", isNull: true) : new YScalar(sc.Value ?? ""),
        _ => new YScalar(node.ToString()),
    };

    private static YMap ConvertMap(YamlMappingNode m)
    {
        var map = new YMap();
        foreach (var (key, value) in m.Children)
        {
            if (value is YamlScalarNode sv && IsNull(sv))
            {
                continue; // `annotations:` with nothing after it is the same object as no annotations at all
            }
            map.Set(KeyText(key), Convert(value));
        }
        return map;
    }

    private static YSeq ConvertSeq(YamlSequenceNode s)
    {
        var seq = new YSeq();
        foreach (var item in s.Children)
        {
            seq.Items.Add(Convert(item));
        }
        return seq;
    }

    private static string KeyText(YamlNode key) => key is YamlScalarNode s ? s.Value ?? "" : Inline(Convert(key));

    public static bool IsNull(YamlScalarNode s) =>
        s.Style is ScalarStyle.Plain or ScalarStyle.Any
        && s.Tag.IsEmpty
        && (string.IsNullOrEmpty(s.Value) || s.Value is "~" or "null" or "Null" or "NULL");

    public static bool IsEmptyDocument(YamlNode? root) => root is null || (root is YamlScalarNode s && IsNull(s));

    /// <summary>A one-line, flow-style rendering, used where a whole subtree must be shown as one value.</summary>
    public static string Inline(YNode node) => node switch
    {
        YScalar s => s.Text,
        YSeq seq => "[" + string.Join(", ", seq.Items.Select(Inline)) + "]",
        YMap map => "{" + string.Join(", ", map.Entries.Select(e => e.Key + ": " + Inline(e.Value))) + "}",
        _ => "",
    };

    /// <summary>Appends a map key to a field path: `a.b` for plain keys, `a[b.c/d]` for keys with dots or slashes.</summary>
    public static string AppendKey(string path, string key) =>
        PlainKey().IsMatch(key) ? (path.Length == 0 ? key : path + "." + key) : path + "[" + key + "]";

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_-]*$")]
    private static partial Regex PlainKey();
}
