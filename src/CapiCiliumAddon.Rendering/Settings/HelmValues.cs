using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CapiCiliumAddon.Rendering.Settings;

/// <summary>One final value and where it came from.</summary>
public sealed record HelmValue(string Key, JsonNode? Value, ValueSource Source)
{
    /// <summary>The value as Helm's --set would show it, for messages and --explain.</summary>
    public string Display => Value switch
    {
        null => "null",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => (string)v!,
        _ => Value.ToJsonString(),
    };
}

/// <summary>
/// A leaf of two values trees that differs: its value on each side, where <see cref="InBefore"/> and
/// <see cref="InAfter"/> tell an absent key from an explicit null.
/// </summary>
public sealed record ValueDifference(string Key, JsonNode? Before, JsonNode? After, bool InBefore, bool InAfter);

/// <summary>
/// Helm values keyed by dotted path, each remembering its source. Later layers replace earlier ones key by key.
/// Values reach the CLI only as a values file written from here, never as --set strings, so no value can be
/// re-parsed as Helm syntax ("a,b=c") or shell.
/// </summary>
public sealed partial class HelmValues
{
    private readonly SortedDictionary<string, HelmValue> _values = new(StringComparer.Ordinal);

    public IEnumerable<HelmValue> All => _values.Values;

    public HelmValue? this[string key] => _values.GetValueOrDefault(key);

    public static bool IsValidKey(string key) => key.Length is > 0 and <= 256 && KeyPattern().IsMatch(key);

    public void Set(string key, JsonNode? value, ValueSource source)
    {
        if (!IsValidKey(key))
        {
            throw new ArgumentException($"'{key}' is not a valid Helm value key (dot-separated letters, digits, '_' and '-')", nameof(key));
        }

        // A key replaces both its ancestors' leaf values and its descendants, as a nested Helm merge would.
        foreach (var existing in _values.Keys.Where(k => k.StartsWith(key + ".", StringComparison.Ordinal) || key.StartsWith(k + ".", StringComparison.Ordinal)).ToList())
        {
            _values.Remove(existing);
        }

        _values[key] = new HelmValue(key, value?.DeepClone(), source);
    }

    public bool Remove(string key) => _values.Remove(key);

    /// <summary>
    /// Adds every leaf of a nested values tree. Maps whose keys are not all plain identifiers (e.g. annotations
    /// like "prometheus.io/scrape") stay whole, because a dotted path cannot name them.
    /// </summary>
    public IReadOnlyList<string> Merge(JsonObject tree, ValueSource source)
    {
        var invalid = new List<string>();
        Walk(tree, "", source, invalid);
        return invalid;
    }

    private void Walk(JsonObject node, string prefix, ValueSource source, List<string> invalid)
    {
        foreach (var (name, child) in node)
        {
            if (!SegmentPattern().IsMatch(name))
            {
                invalid.Add(prefix + name);
                continue;
            }

            var key = prefix + name;
            if (child is JsonObject obj && obj.Count > 0 && obj.All(p => SegmentPattern().IsMatch(p.Key)))
            {
                Walk(obj, key + ".", source, invalid);
            }
            else
            {
                Set(key, child, source);
            }
        }
    }

    public JsonObject ToTree()
    {
        var root = new JsonObject();
        foreach (var value in _values.Values)
        {
            var parts = value.Key.Split('.');
            var node = root;
            foreach (var part in parts[..^1])
            {
                if (node[part] is not JsonObject next)
                {
                    next = new JsonObject();
                    node[part] = next;
                }

                node = next;
            }

            node[parts[^1]] = value.Value?.DeepClone();
        }

        return root;
    }

    private static readonly JsonSerializerOptions CanonicalJson = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        NewLine = "\n",
    };

    /// <summary>
    /// The values file: JSON (a subset of YAML, so Helm reads it) with keys sorted, so the same values always give
    /// the same bytes. Relaxed escaping keeps it readable; it is never embedded in HTML.
    /// </summary>
    public string ToValuesFile() => ToTree().ToJsonString(CanonicalJson) + "\n";

    /// <summary>Sorted "key=value" lines: the canonical form hashed into the input hash.</summary>
    public string ToCanonicalText()
    {
        var builder = new StringBuilder();
        foreach (var value in _values.Values)
        {
            builder.Append(value.Key).Append('=').Append(value.Value?.ToJsonString() ?? "null").Append('\n');
        }

        return builder.ToString();
    }

    /// <summary>
    /// Every leaf (a scalar, a list, an empty map) of two values trees that differs, is only in <paramref name="before"/>
    /// or only in <paramref name="after"/>, by dotted path, in path order.
    /// </summary>
    public static IReadOnlyList<ValueDifference> LeafDifferences(JsonObject before, JsonObject after)
    {
        var left = Leaves(before);
        var right = Leaves(after);
        var differences = new List<ValueDifference>();
        foreach (var key in left.Keys.Union(right.Keys).Order(StringComparer.Ordinal))
        {
            var inBefore = left.TryGetValue(key, out var b);
            var inAfter = right.TryGetValue(key, out var a);
            if (!(inBefore && inAfter && JsonNode.DeepEquals(b, a)))
            {
                differences.Add(new ValueDifference(key, b, a, inBefore, inAfter));
            }
        }

        return differences;
    }

    private static Dictionary<string, JsonNode?> Leaves(JsonObject values)
    {
        var leaves = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        void Walk(JsonNode? node, string path)
        {
            if (node is JsonObject obj && obj.Count > 0)
            {
                foreach (var (key, child) in obj)
                {
                    Walk(child, path.Length == 0 ? key : $"{path}.{key}");
                }
            }
            else
            {
                leaves[path] = node;
            }
        }

        Walk(values, "");
        leaves.Remove("");
        return leaves;
    }

    public static string? AsString(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => (string)v!,
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>() ? "true" : "false",
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.ToJsonString(),
        _ => node.ToJsonString(),
    };

    public static string Format(long number) => number.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")]
    private static partial Regex KeyPattern();

    [GeneratedRegex(@"^[A-Za-z0-9_-]+$")]
    private static partial Regex SegmentPattern();
}
