using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CapiCiliumAddon.Rendering.Yaml;
using YamlDotNet.RepresentationModel;

namespace CapiCiliumAddon.Rendering.Manifests;

/// <summary>
/// Deterministic YAML for the objects we create (never for chart output, which is shipped as the CLI printed it).
/// Key order: apiVersion, kind, metadata (name, namespace, labels, annotations, ownerReferences, then the rest sorted),
/// type, immutable, data, stringData, spec, then any other top-level key sorted; labels, annotations, data and stringData
/// sorted by ordinal; every other mapping keeps the insertion order of the <see cref="JsonObject"/>. LF line endings,
/// one trailing newline, two-space indentation. Multi-line strings are literal blocks written by hand (YamlDotNet's
/// emitter refuses lines with trailing spaces in literal style) and every string is checked to read back byte for
/// byte before the text is returned.
/// </summary>
public static partial class KubeYamlWriter
{
    private static readonly string[] TopLevelOrder = ["apiVersion", "kind", "metadata", "type", "immutable", "data", "stringData", "spec"];
    private static readonly string[] MetadataOrder = ["name", "namespace", "labels", "annotations", "ownerReferences"];

    /// <summary>
    /// The YAML 1.1 words for booleans and null in any letter case: go-yaml v2 reads only some spellings
    /// (<see cref="YamlScalars"/>), but other YAML 1.1 readers differ, and a quoted word costs nothing.
    /// </summary>
    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase)
    {
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~",
    };

    /// <summary>
    /// True when a string scalar is written plain (unquoted): the one rule, shared with stamping. Plain only when
    /// Kubernetes' reader (go-yaml v2, <see cref="YamlScalars.ReadsAsItself"/>) gives back this very string, and so
    /// does a YAML 1.2 reader: every non-string plain scalar of YAML 1.2's core schema starts with a digit, a sign or
    /// '.' (which <see cref="PlainSafe"/> never leaves plain: <c>0400</c>, <c>0x1F</c>, <c>1_000</c>, <c>.5</c>,
    /// timestamps) or is one of the reserved words.
    /// </summary>
    internal static bool IsPlain(string s) => PlainSafe().IsMatch(s) && !Reserved.Contains(s) && YamlScalars.ReadsAsItself(s);

    public static string Write(JsonObject obj)
    {
        var text = WriteUnchecked(obj);
        VerifyRoundTrip(obj, text);
        return text;
    }

    /// <summary>The same text without the read-back guard; for size estimates only, never for output.</summary>
    internal static string WriteUnchecked(JsonObject obj)
    {
        var sb = new StringBuilder();
        WriteEntries(sb, OrderTopLevel(obj), 0, null, path: "");
        return sb.ToString();
    }

    /// <summary>
    /// A document that is not a Kubernetes object (a Helm values file): every mapping's keys sorted by ordinal, the same
    /// scalar rules and read-back guard as <see cref="Write"/>. The same tree always gives the same bytes.
    /// </summary>
    public static string WriteSorted(JsonObject tree)
    {
        if (tree.Count == 0)
        {
            return "{}\n";
        }

        var sb = new StringBuilder();
        WriteEntries(sb, Sorted(tree), 0, null, path: "", sorted: true);
        var text = sb.ToString();
        VerifyRoundTrip(tree, text);
        return text;
    }

    private static IEnumerable<KeyValuePair<string, JsonNode?>> Sorted(JsonObject obj) => obj.OrderBy(kv => kv.Key, StringComparer.Ordinal);

    [ThreadStatic]
    private static StringBuilder? sizingBuffer;

    /// <summary>The UTF-8 length of <see cref="Write"/>'s text, without making the text (a buffer is reused per thread).</summary>
    internal static int Utf8Length(JsonObject obj)
    {
        var sb = sizingBuffer ??= new StringBuilder(128 * 1024);
        sb.Clear();
        WriteEntries(sb, OrderTopLevel(obj), 0, null, path: "");
        var length = 0;
        foreach (var chunk in sb.GetChunks())
        {
            length += Encoding.UTF8.GetByteCount(chunk.Span);
        }

        sb.Clear();
        return length;
    }

    /// <summary>Several objects as one multi-document stream, each preceded by a <c>---</c> line.</summary>
    public static string WriteAll(IEnumerable<JsonObject> objects)
    {
        var sb = new StringBuilder();
        foreach (var o in objects)
        {
            sb.Append("---\n").Append(Write(o));
        }

        return sb.ToString();
    }

    private static IEnumerable<KeyValuePair<string, JsonNode?>> OrderTopLevel(JsonObject obj) =>
        Ordered(obj, TopLevelOrder);

    private static IEnumerable<KeyValuePair<string, JsonNode?>> Ordered(JsonObject obj, string[] fixedOrder)
    {
        foreach (var key in fixedOrder)
        {
            if (obj.TryGetPropertyValue(key, out var v))
            {
                yield return new(key, v);
            }
        }

        foreach (var kv in obj.Where(kv => !fixedOrder.Contains(kv.Key)).OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            yield return kv;
        }
    }

    private static IEnumerable<KeyValuePair<string, JsonNode?>> ChildOrder(JsonObject obj, string path) => path switch
    {
        "metadata" => Ordered(obj, MetadataOrder),
        "metadata.labels" or "metadata.annotations" or "data" or "stringData" or "binaryData" => obj.OrderBy(kv => kv.Key, StringComparer.Ordinal),
        _ => obj,
    };

    private static void WriteEntries(StringBuilder sb, IEnumerable<KeyValuePair<string, JsonNode?>> entries, int indent, string? firstPrefix, string path, bool sorted = false)
    {
        var first = true;
        foreach (var (key, value) in entries)
        {
            var prefix = first && firstPrefix is not null ? firstPrefix : new string(' ', indent);
            first = false;
            var childPath = path.Length == 0 ? key : path + "." + key;
            sb.Append(prefix).Append(Scalar(key)).Append(':');
            switch (value)
            {
                case JsonObject o when o.Count == 0:
                    sb.Append(" {}\n");
                    break;
                case JsonObject o:
                    sb.Append('\n');
                    WriteEntries(sb, sorted ? Sorted(o) : ChildOrder(o, childPath), indent + 2, null, childPath, sorted);
                    break;
                case JsonArray a when a.Count == 0:
                    sb.Append(" []\n");
                    break;
                case JsonArray a:
                    sb.Append('\n');
                    WriteItems(sb, a, indent + 2, childPath, sorted);
                    break;
                case JsonValue v when v.GetValueKind() == JsonValueKind.String && CanBeLiteral(v.GetValue<string>()):
                    WriteLiteral(sb, v.GetValue<string>(), indent);
                    break;
                default:
                    sb.Append(' ').Append(ValueText(value)).Append('\n');
                    break;
            }
        }
    }

    private static void WriteItems(StringBuilder sb, JsonArray items, int indent, string path, bool sorted)
    {
        var pad = new string(' ', indent);
        foreach (var item in items)
        {
            switch (item)
            {
                case JsonObject o when o.Count == 0:
                    sb.Append(pad).Append("- {}\n");
                    break;
                case JsonObject o:
                    WriteEntries(sb, sorted ? Sorted(o) : o, indent + 2, pad + "- ", path + "[]", sorted);
                    break;
                case JsonArray a when a.Count == 0:
                    sb.Append(pad).Append("- []\n");
                    break;
                case JsonArray a:
                    sb.Append(pad).Append("-\n");
                    WriteItems(sb, a, indent + 2, path + "[]", sorted);
                    break;
                default:
                    // Multi-line strings in sequences are double-quoted: rare in our objects, and no indentation puzzles.
                    sb.Append(pad).Append("- ").Append(ValueText(item)).Append('\n');
                    break;
            }
        }
    }

    /// <summary>A literal block scalar for a mapping value whose key sits at column <paramref name="keyIndent"/>.</summary>
    private static void WriteLiteral(StringBuilder sb, string value, int keyIndent)
    {
        var trailing = value.Length - value.TrimEnd('\n').Length;
        var chomp = trailing switch { 0 => "-", 1 => "", _ => "+" };
        var body = (trailing == 0 ? value : value[..^1]).AsSpan();
        // With a leading space (or leading empty lines) the reader cannot detect the indentation; say it explicitly.
        var indicator = body[0] is ' ' or '\n' ? "2" : "";
        sb.Append(" |").Append(indicator).Append(chomp).Append('\n');
        // Line by line over the value itself: a render is thousands of lines, which Split would copy one by one.
        foreach (var line in body.EnumerateLines())
        {
            if (line.Length > 0)
            {
                sb.Append(' ', keyIndent + 2).Append(line);
            }

            sb.Append('\n');
        }
    }

    /// <summary>Literal blocks cannot carry CR, other control characters, a BOM or a value of only line breaks.</summary>
    private static bool CanBeLiteral(string s)
    {
        if (!s.Contains('\n') || s.Trim('\n').Length == 0)
        {
            return false;
        }

        foreach (var c in s)
        {
            if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f || c == '\uFEFF' || char.IsSurrogate(c) || (c >= 0x80 && c <= 0x9f) || c == '\u2028' || c == '\u2029' || c == '\u0085')
            {
                return false;
            }
        }

        // A content line starting with a tab right after the indentation is fine in YAML, but keep it simple and safe.
        return s[0] != '\t' && !s.Contains("\n\t", StringComparison.Ordinal);
    }

    private static string ValueText(JsonNode? node)
    {
        if (node is null)
        {
            return "null";
        }

        var v = (JsonValue)node;
        return v.GetValueKind() switch
        {
            JsonValueKind.String => Scalar(v.GetValue<string>()),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            JsonValueKind.Number => v.ToJsonString(),
            JsonValueKind.Null => "null",
            var k => throw new InvalidOperationException($"Unsupported JSON value kind {k}."),
        };
    }

    private static string Scalar(string s)
    {
        if (IsPlain(s))
        {
            return s;
        }

        var sb = new StringBuilder("\"");
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\0': sb.Append("\\0"); break;
                default:
                    if (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) || c == '\uFEFF' || c == '\u2028' || c == '\u2029' || char.IsSurrogate(c))
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        return sb.Append('"').ToString();
    }

    /// <summary>
    /// Plain only when no YAML reader could take it for anything but this string: starts with a letter, '_' or '/',
    /// then letters, digits and <c>_ . / @ + -</c>. Everything else is double-quoted.
    /// </summary>
    [GeneratedRegex(@"^[A-Za-z_/][A-Za-z0-9_./@+-]*\z")]
    private static partial Regex PlainSafe();

    /// <summary>
    /// Reads the text back as Kubernetes would (<see cref="YamlScalars"/>) and demands every string equal, byte for byte,
    /// to what was written, and every other value the same value.
    /// </summary>
    internal static void VerifyRoundTrip(JsonObject obj, string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        if (stream.Documents.Count != 1)
        {
            throw new InvalidOperationException($"YAML round trip failed: {stream.Documents.Count} documents written.");
        }

        Compare(obj, stream.Documents[0].RootNode, "");
    }

    private static void Compare(JsonNode? expected, YamlNode actual, string path)
    {
        switch (expected)
        {
            case JsonObject o:
                if (actual is not YamlMappingNode map || map.Children.Count != o.Count)
                {
                    throw Mismatch(path, "a mapping of " + o.Count + " keys");
                }

                foreach (var (key, value) in o)
                {
                    var child = map.Get(key) ?? throw Mismatch(path + "." + key, "a value");
                    Compare(value, child, path + "." + key);
                }

                break;
            case JsonArray a:
                if (actual is not YamlSequenceNode seq || seq.Children.Count != a.Count)
                {
                    throw Mismatch(path, "a sequence of " + a.Count + " items");
                }

                for (var i = 0; i < a.Count; i++)
                {
                    Compare(a[i], seq.Children[i], $"{path}[{i}]");
                }

                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                if (actual is not YamlScalarNode s || s.Value != v.GetValue<string>() || YamlScalars.Resolve(s) is not string)
                {
                    throw Mismatch(path, "the string written");
                }

                break;
            default:
                if (actual is not YamlScalarNode scalar || !JsonNode.DeepEquals(YamlScalars.ToJson(scalar), expected))
                {
                    throw Mismatch(path, expected?.ToJsonString() ?? "null");
                }

                break;
        }
    }

    private static InvalidOperationException Mismatch(string path, string expected) =>
        new($"YAML round trip failed at '{path.TrimStart('.')}': expected {expected} to read back unchanged. This is a bug in {nameof(KubeYamlWriter)}.");
}
