using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CapiCiliumAddon.Rendering.Yaml;

/// <summary>
/// What a YAML scalar means to Kubernetes and Helm. Both read YAML through sigs.k8s.io/yaml, which decodes it with
/// go-yaml v2 into Go values and converts those to JSON; go-yaml v2 resolves plain scalars by YAML 1.1 rules, not YAML
/// 1.2's. This follows, and only follows, that code:
/// <list type="bullet">
/// <item>go-yaml v2 <c>resolve.go</c> (<c>resolve</c>, <c>resolveTable</c>, <c>resolveMap</c>, <c>yamlStyleFloat</c>):
/// the first character picks what to try. <c>y Y yes Yes YES on On ON true True TRUE</c> are true and <c>n N no No NO
/// off Off OFF false False FALSE</c> false; <c>"" ~ null Null NULL</c> null; <c>.inf .Inf .INF</c> (and <c>+</c>/<c>-</c>
/// signed) and <c>.nan .NaN .NAN</c> floats; other text starting with '.' is a float when Go's ParseFloat takes it;
/// text starting with a digit or sign has its underscores removed and is an int when Go's <c>ParseInt(s, 0, 64)</c>
/// takes it (<c>0400</c> octal is 256, <c>0x1F</c> is 31, <c>0o17</c> and <c>0b101</c> too, <c>1_000</c> is 1000), else a
/// uint64 when <c>ParseUint(s, 0, 64)</c> does (integers past int64), else a float when it matches
/// <c>^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$</c> and ParseFloat takes it (<c>08</c> is 8, an integer past
/// uint64 a float; <c>1e400</c> overflows and stays a string), else a <c>0b</c>/<c>-0b</c> binary integer; everything else
/// is a string. Base-60 numbers are not resolved.</item>
/// <item>go-yaml v2 <c>decode.go</c> (<c>decoder.scalar</c>, decoding into <c>interface{}</c>): quoted and block scalars
/// are strings; a timestamp (<c>2001-12-14</c>) stays the string as written "for backward compatibility"; a scalar with
/// an explicit tag resolves under that tag (<c>!!str 0400</c> is "0400", <c>!!int "0400"</c> is 256, <c>!!float 1</c> is
/// 1.0) or fails when the value is not of that type; <c>!!binary</c> is base64-decoded to a string; any other tag
/// leaves the text a string.</item>
/// <item>sigs.k8s.io/yaml <c>yaml.go</c> (<c>convertToJSONableObject</c>): mapping keys become JSON keys, an int key as
/// its decimal text, a float key as <c>strconv.FormatFloat(f, 'g', -1, 32)</c>, a bool key as "true"/"false"; null
/// and uint64 keys are refused; and <c>json.Marshal</c> refuses NaN and the infinities as values.</item>
/// </list>
/// </summary>
public static partial class YamlScalars
{
    public const string StringTag = "tag:yaml.org,2002:str";
    private const string NullTag = "tag:yaml.org,2002:null";
    private const string BoolTag = "tag:yaml.org,2002:bool";
    private const string IntTag = "tag:yaml.org,2002:int";
    private const string FloatTag = "tag:yaml.org,2002:float";
    private const string TimestampTag = "tag:yaml.org,2002:timestamp";
    private const string BinaryTag = "tag:yaml.org,2002:binary";

    /// <summary>go-yaml v2's <c>resolveMap</c>: whole words with a fixed meaning.</summary>
    private static readonly Dictionary<string, object?> Words = BuildWords();

    /// <summary>
    /// The plain scalar <paramref name="text"/> (no quotes, no tag) as Kubernetes reads it: null, a bool, a long, a
    /// ulong, a double (NaN and the infinities included) or the text itself.
    /// </summary>
    public static object? ResolvePlain(string text) => Resolve(text, tagged: false);

    /// <summary>True when Kubernetes reads the plain scalar <paramref name="text"/> as exactly that string.</summary>
    public static bool ReadsAsItself(string text) => ResolvePlain(text) is string;

    /// <summary>An implicit null: a plain, untagged empty, <c>~</c> or null word.</summary>
    public static bool IsNull(YamlScalarNode scalar) =>
        IsPlain(scalar) && IsImplicit(scalar) && (scalar.Value ?? "") is "" or "~" or "null" or "Null" or "NULL";

    /// <summary>Whether the scalar was written without quotes and not as a block (<c>|</c>, <c>&gt;</c>).</summary>
    public static bool IsPlain(YamlScalarNode scalar) => scalar.Style is ScalarStyle.Plain or ScalarStyle.Any;

    /// <summary>
    /// The scalar's value as decoded into <c>interface{}</c>: null, bool, long, ulong, double or string.
    /// </summary>
    /// <exception cref="YamlValueException">The value does not fit its explicit tag, or is invalid base64 under !!binary.</exception>
    public static object? Resolve(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        if (IsImplicit(scalar))
        {
            return IsPlain(scalar) ? Resolve(text, tagged: false) : text;
        }

        switch (scalar.Tag.Value)
        {
            case StringTag:
                return text;
            case BinaryTag:
                return DecodeBinary(text) ?? throw new YamlValueException(scalar.Start, "!!binary value contains invalid base64 data");
            case NullTag or BoolTag or IntTag or FloatTag or TimestampTag:
                break;
            default:
                // A tag that is not one of YAML's own (`!`, `!custom`) leaves the text as it is.
                return text;
        }

        var tag = scalar.Tag.Value;
        if (tag == TimestampTag)
        {
            return IsTimestamp(text) ? text : throw Undecodable(scalar, Resolve(text, tagged: true), tag);
        }

        var resolved = Resolve(text, tagged: true);
        return (tag, resolved) switch
        {
            (NullTag, null) => null,
            (BoolTag, bool) => resolved,
            (IntTag, long or ulong) => resolved,
            (FloatTag, double) => resolved,
            (FloatTag, long l) => (double)l,
            _ => throw Undecodable(scalar, resolved, tag),
        };
    }

    /// <summary>The resolved value as JSON (see <see cref="Resolve(YamlScalarNode)"/>).</summary>
    /// <exception cref="YamlValueException">NaN or an infinity, which JSON cannot hold.</exception>
    public static JsonNode? ToJson(YamlScalarNode scalar) => ToJson(Resolve(scalar), scalar);

    internal static JsonNode? ToJson(object? value, YamlScalarNode at) => value switch
    {
        null => null,
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        long l => JsonValue.Create(l),
        ulong u => JsonValue.Create(u),
        double d when double.IsFinite(d) => JsonValue.Create(d),
        double d => throw new YamlValueException(at.Start,
            $"'{at.Value}' is {(double.IsNaN(d) ? "NaN" : "an infinite float")}, which JSON cannot hold; Kubernetes refuses it too (quote it if you mean the text)"),
        _ => throw new InvalidOperationException($"unexpected resolved value {value.GetType()}"),
    };

    /// <summary>The JSON key sigs.k8s.io/yaml makes of a mapping key.</summary>
    /// <exception cref="YamlValueException">A null or uint64 key.</exception>
    public static string KeyText(YamlScalarNode key)
    {
        return Resolve(key) switch
        {
            string s => s,
            long l => l.ToString(System.Globalization.CultureInfo.InvariantCulture),
            double d => GoNumbers.FormatFloatKey(d),
            bool b => b ? "true" : "false",
            null => throw new YamlValueException(key.Start, $"the mapping key '{key.Value}' is null, which Kubernetes refuses (quote it if you mean the text)"),
            var other => throw new YamlValueException(key.Start, $"the mapping key '{key.Value}' is an integer beyond int64 ({other}), which Kubernetes refuses (quote it)"),
        };
    }

    /// <summary>How a resolved value reads in a message: <c>256</c>, <c>true</c>, <c>null</c>, <c>"text"</c>.</summary>
    public static string Describe(object? value) => value switch
    {
        null => "null",
        string s => $"\"{s}\"",
        bool b => b ? "true" : "false",
        double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>No tag, or the non-specific <c>?</c>: the value is resolved from its text (when plain).</summary>
    private static bool IsImplicit(YamlScalarNode scalar) => scalar.Tag.IsEmpty || scalar.Tag.Value == "?";

    private static YamlValueException Undecodable(YamlScalarNode scalar, object? resolved, string tag) =>
        new(scalar.Start, $"cannot decode {ShortTag(resolved)} `{scalar.Value}` as a !!{tag[(tag.LastIndexOf(':') + 1)..]}");

    private static string ShortTag(object? resolved) => resolved switch
    {
        null => "!!null",
        bool => "!!bool",
        long or ulong => "!!int",
        double => "!!float",
        _ => "!!str",
    };

    /// <summary>go-yaml v2's <c>resolve</c> for an untagged plain scalar, or a scalar with a resolvable tag.</summary>
    private static object? Resolve(string text, bool tagged)
    {
        var hint = text.Length == 0 ? 'N' : Hint(text[0]);
        if (hint == '\0')
        {
            return text;
        }

        if (Words.TryGetValue(text, out var word))
        {
            return word;
        }

        switch (hint)
        {
            case '.':
                return GoNumbers.TryParseDecimalFloat(text, out var fraction) ? fraction : text;
            case 'D' or 'S':
                // go-yaml tries a timestamp first for untagged scalars and then keeps its text, so a timestamp is a
                // string; none of its forms (they start with YYYY-) could be read as a number below either.
                var plain = text.Replace("_", "", StringComparison.Ordinal);
                if (GoNumbers.TryParseInt(plain, 0, out var integer))
                {
                    return integer;
                }

                if (GoNumbers.TryParseUint(plain, 0, out var unsigned))
                {
                    return unsigned;
                }

                if (YamlStyleFloat().IsMatch(plain) && GoNumbers.TryParseDecimalFloat(plain, out var real))
                {
                    return real;
                }

                if (plain.StartsWith("0b", StringComparison.Ordinal))
                {
                    if (GoNumbers.TryParseInt(plain.AsSpan(2), 2, out var binary))
                    {
                        return binary;
                    }

                    if (GoNumbers.TryParseUint(plain.AsSpan(2), 2, out var binaryUnsigned))
                    {
                        return binaryUnsigned;
                    }
                }
                else if (plain.StartsWith("-0b", StringComparison.Ordinal) && GoNumbers.TryParseInt("-" + plain[3..], 2, out var negativeBinary))
                {
                    return negativeBinary;
                }

                return text;
            default:
                return text;
        }
    }

    /// <summary>go-yaml v2's <c>resolveTable</c>: what a scalar's first character says it might be ('\0': a string).</summary>
    private static char Hint(char first) => first switch
    {
        '+' or '-' => 'S',
        >= '0' and <= '9' => 'D',
        'y' or 'Y' or 'n' or 'N' or 't' or 'T' or 'f' or 'F' or 'o' or 'O' or '~' => 'M',
        '.' => '.',
        _ => '\0',
    };

    private static Dictionary<string, object?> BuildWords()
    {
        var words = new Dictionary<string, object?>(StringComparer.Ordinal);
        void Add(object? value, params string[] spellings)
        {
            foreach (var spelling in spellings)
            {
                words[spelling] = value;
            }
        }

        Add(true, "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON");
        Add(false, "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF");
        Add(null, "", "~", "null", "Null", "NULL");
        Add(double.NaN, ".nan", ".NaN", ".NAN");
        Add(double.PositiveInfinity, ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF");
        Add(double.NegativeInfinity, "-.inf", "-.Inf", "-.INF");
        // "<<" (the merge key) is handled where mappings are read.
        return words;
    }

    /// <summary>
    /// The forms go-yaml v2 accepts as a timestamp (<c>allowedTimestampFormats</c>): a date, or a date and time
    /// separated by T, t or a space, with optional fractional seconds and, after T/t, a zone Z or ±hh:mm.
    /// </summary>
    private static bool IsTimestamp(string text)
    {
        var match = Timestamp().Match(text);
        if (!match.Success)
        {
            return false;
        }

        int Part(string name) => int.Parse(match.Groups[name].Value, System.Globalization.CultureInfo.InvariantCulture);
        var separator = match.Groups["sep"].Value;
        if (separator == " " && match.Groups["zone"].Success)
        {
            return false;
        }

        if (separator is "T" or "t" && !match.Groups["zone"].Success)
        {
            return false;
        }

        var (year, month, day) = (Part("y"), Part("m"), Part("d"));
        if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(Math.Max(1, year), month))
        {
            return false;
        }

        return !match.Groups["h"].Success || (Part("h") < 24 && Part("min") < 60 && Part("s") < 60);
    }

    private static string? DecodeBinary(string text)
    {
        try
        {
            // Go's base64.StdEncoding skips line breaks, and nothing else.
            var bytes = Convert.FromBase64String(text.Replace("\r", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal));
            return Encoding.UTF8.GetString(bytes);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\z")]
    private static partial Regex YamlStyleFloat();

    [GeneratedRegex(@"^(?<y>[0-9]{4})-(?<m>[0-9]{1,2})-(?<d>[0-9]{1,2})((?<sep>[Tt ])(?<h>[0-9]{1,2}):(?<min>[0-9]{1,2}):(?<s>[0-9]{1,2})(\.[0-9]+)?(?<zone>Z|[-+][0-9]{2}:[0-9]{2})?)?\z")]
    private static partial Regex Timestamp();
}

/// <summary>A scalar Kubernetes would refuse to read (or read differently than JSON can say), with where it is.</summary>
public sealed class YamlValueException(Mark at, string message) : Exception(message)
{
    public Mark At { get; } = at;
}
