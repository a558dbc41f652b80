using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CapiCiliumAddon.Rendering.Yaml;

namespace CapiCiliumAddon.Rendering.Review;

/// <summary>
/// A YAML value reduced to what a reviewer cares about: maps, lists and scalar values. Quoting style, comments, key
/// order, the spelling of a number and explicit nulls in maps are formatting, not content, so they do not survive the
/// conversion.
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

internal sealed class YScalar(string text, bool isNull = false, bool isString = true) : YNode
{
    /// <summary>The value as text: a string itself, a number or bool as JSON writes it (<c>0400</c> reads as 256).</summary>
    public string Text { get; } = text;

    /// <summary>An explicit null inside a list (in a map, a null entry is dropped as equal to an absent key).</summary>
    public bool IsNull { get; } = isNull;

    /// <summary>False for numbers, booleans and null: "1" and 1 have one text but are different values.</summary>
    public bool IsString { get; } = isString;

    /// <summary>The same value: same text and, for "1" against 1, same type.</summary>
    public bool Same(YScalar other) => Text == other.Text && IsString == other.IsString;

    /// <summary>The text, quoted when it is a string that reads like another type's text.</summary>
    public string Shown => IsString && !YamlScalars.ReadsAsItself(Text) && Text.Length > 0 && !Text.Contains('\n') ? $"\"{Text}\"" : Text;
}

internal static partial class YamlTree
{
    /// <summary>
    /// A document's tree as Kubernetes reads it (<see cref="YamlJson"/>): values compare by meaning, so
    /// <c>defaultMode: 0400</c> and <c>defaultMode: 256</c> are the same field.
    /// </summary>
    public static YNode Convert(JsonNode? node) => node switch
    {
        JsonObject o => ConvertMap(o),
        JsonArray a => ConvertSeq(a),
        null => new YScalar("null", isNull: true, isString: false),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => new YScalar(v.GetValue<string>()),
        _ => new YScalar(node.ToJsonString(), isString: false),
    };

    private static YMap ConvertMap(JsonObject o)
    {
        var map = new YMap();
        foreach (var (key, value) in o)
        {
            if (value is null)
            {
                continue; // `annotations:` with nothing after it is the same object as no annotations at all
            }
            map.Set(key, Convert(value));
        }
        return map;
    }

    private static YSeq ConvertSeq(JsonArray a)
    {
        var seq = new YSeq();
        foreach (var item in a)
        {
            seq.Items.Add(Convert(item));
        }
        return seq;
    }

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
