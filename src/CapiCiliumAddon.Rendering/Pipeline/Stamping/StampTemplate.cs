using System.Text;
using System.Text.RegularExpressions;

namespace CapiCiliumAddon.Rendering.Pipeline.Stamping;

/// <summary>
/// A CLI render made with placeholder facts, checked so that every placeholder sits exactly where the chart puts that
/// fact, and nowhere else:
/// <list type="bullet">
/// <item>k8sServiceHost / k8sServicePort: the `value:` line right after `- name: KUBERNETES_SERVICE_HOST` / `_PORT`,
/// exactly five times each (init `config`, init `clean-cilium-state`, `cilium-agent`, `cilium-envoy`, `cilium-operator`);</item>
/// <item>ipv4NativeRoutingCIDR / ipv6NativeRoutingCIDR: the one `ipv4-` / `ipv6-native-routing-cidr:` line of ConfigMap cilium-config;</item>
/// <item>cluster.name: the one `cluster-name:` line of cilium-config, and the `"*.&lt;name&gt;.hubble-grpc.cilium.io"`
/// certificate names of the hubble-generate-certs CronJob/Job.</item>
/// </list>
/// Any other use (another line, a partial or transformed use) makes the template unusable. An object holding a
/// placeholder whose name ends in a hash is usable only when it is the chart's content-named Job (1.19+:
/// `hubble-generate-certs-&lt;first 10 hex digits of sha256 of its spec&gt;`) AND that formula reproduces the template's own
/// name; the name is then re-derived from each stamped spec. (Checked on the recorded 1.20 render; the per-group sample
/// render checks it again against the real CLI.)
/// </summary>
public sealed partial class StampTemplate
{
    public const int EnvironmentContainers = 5;

    private readonly string _text;
    private readonly IReadOnlyList<(int Offset, int Length, string Key)> _slots;
    private readonly IReadOnlyList<string> _hashNamed;

    private StampTemplate(string text, IReadOnlyList<(int, int, string)> slots, IReadOnlyList<string> hashNamed)
    {
        _text = text;
        _slots = slots;
        _hashNamed = hashNamed;
    }

    /// <summary>
    /// Objects named after a hash of their content (the 1.19+ certificate Job), by their name in the template; each
    /// stamped text names them anew (see <see cref="Stamp"/>).
    /// </summary>
    public IReadOnlyList<string> ContentNamedObjects => _hashNamed;

    /// <summary>About how much memory the template holds: its text (UTF-16) and its slots.</summary>
    public long MemoryBytes => (2L * _text.Length) + (32L * _slots.Count) + 256;

    /// <summary>How many places each fact is stamped into.</summary>
    public IReadOnlyDictionary<string, int> SlotCounts => _slots.GroupBy(s => s.Key).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    /// <summary>Checks <paramref name="text"/> rendered with the placeholders of <paramref name="shapes"/> (Helm key → shape).</summary>
    public static StampTemplate? Analyse(string text, IReadOnlyDictionary<string, string> shapes, out string? whyNot)
    {
        var lines = Lines(text);
        var slots = new List<(int, int, string)>();
        var hashNamed = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (key, shape) in shapes)
        {
            var placeholder = StampableFacts.PlaceholderText(shape);
            var stem = StampableFacts.Stem(shape);
            var expected = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var offset in Occurrences(text, stem, boundaries: key == StampableFacts.Port))
            {
                var line = lines.Last(l => l.Start <= offset);
                if (string.CompareOrdinal(text, offset, placeholder, 0, placeholder.Length) != 0)
                {
                    whyNot = $"{key}: a partial or transformed placeholder at line {line.Number}: {Quote(line.Text)}";
                    return null;
                }

                var location = Locate(key, line, lines, placeholder);
                if (location is null)
                {
                    whyNot = $"{key}: the placeholder is in an unexpected place, line {line.Number} ({line.Object}): {Quote(line.Text)}";
                    return null;
                }

                if (HashSuffix().IsMatch(line.ObjectName) && !hashNamed.Contains(line.ObjectName))
                {
                    if (line.Object != $"Job {line.ObjectName}" || ContentHashName(text, line.ObjectName) is not { } derived || derived != line.ObjectName)
                    {
                        whyNot = $"{key} is part of {line.Object}, whose name ends in what may be a hash of its content and is not the sha256 of its spec; it cannot be stamped";
                        return null;
                    }

                    hashNamed.Add(line.ObjectName);
                }

                expected[location] = expected.GetValueOrDefault(location) + 1;
                slots.Add((offset, placeholder.Length, key));
            }

            foreach (var (location, count) in Required(key))
            {
                if (expected.GetValueOrDefault(location) != count)
                {
                    whyNot = $"{key}: expected {count} × {location}, found {expected.GetValueOrDefault(location)}";
                    return null;
                }
            }
        }

        // The hash-suffix rule above sees only objects holding a placeholder; one holding none cannot depend on a fact
        // textually, and the sample comparison catches any other dependence.
        whyNot = null;
        return new StampTemplate(text, slots.OrderBy(s => s.Item1).ToList(), hashNamed.ToList());
    }

    /// <summary>
    /// The template with each fact's text in place of its placeholder. <paramref name="contentNames"/>, when given,
    /// receives the stamped name of each of <see cref="ContentNamedObjects"/> (template name → stamped name).
    /// </summary>
    public string Stamp(IReadOnlyDictionary<string, string> values, IDictionary<string, string>? contentNames = null)
    {
        var builder = new StringBuilder(_text.Length + 256);
        var position = 0;
        foreach (var (offset, length, key) in _slots)
        {
            builder.Append(_text, position, offset - position).Append(values[key]);
            position = offset + length;
        }

        var stamped = builder.Append(_text, position, _text.Length - position).ToString();
        foreach (var name in _hashNamed)
        {
            // Same length, and the spec comes after the name line: replacing the name leaves the spec as hashed.
            var stampedName = ContentHashName(stamped, name)!;
            stamped = stamped.Replace(NameLine(name), NameLine(stampedName), StringComparison.Ordinal);
            if (contentNames is not null)
            {
                contentNames[name] = stampedName;
            }
        }

        return stamped;
    }

    private static string NameLine(string name) => $"\n  name: {name}\n";

    /// <summary>
    /// The chart's name for the Job now named <paramref name="currentName"/>: its base name, '-', and the first 10 hex
    /// digits of the sha256 of its spec as rendered (from the `spec:` line to its last non-empty line). Null when the
    /// name line is not unique or the Job has no spec.
    /// </summary>
    internal static string? ContentHashName(string text, string currentName)
    {
        var nameLine = NameLine(currentName);
        var at = text.IndexOf(nameLine, StringComparison.Ordinal);
        if (at < 0 || text.IndexOf(nameLine, at + 1, StringComparison.Ordinal) >= 0 || text.IndexOf(currentName, StringComparison.Ordinal) != at + "\n  name: ".Length
            || text.IndexOf(currentName, at + nameLine.Length, StringComparison.Ordinal) >= 0)
        {
            return null;
        }

        var end = text.IndexOf("\n---\n", at, StringComparison.Ordinal);
        end = end < 0 ? text.Length : end;
        var spec = text.IndexOf("\nspec:\n", at, StringComparison.Ordinal);
        if (spec < 0 || spec > end)
        {
            return null;
        }

        var body = text[(spec + 1)..end].TrimEnd('\n');
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(body)));
        return currentName[..currentName.LastIndexOf('-')] + "-" + hash[..10];
    }

    /// <summary>
    /// The base of <paramref name="name"/> when the chart derives it from the object's spec (see
    /// <see cref="ContentHashName"/>: a Job named <c>&lt;base&gt;-&lt;10 hex&gt;</c>), else null. Such a name differs
    /// from Cluster to Cluster and from chart to chart whenever the spec does.
    /// </summary>
    public static string? ContentNameBase(string kind, string name) =>
        kind == "Job" && ContentName().Match(name) is { Success: true } match ? match.Groups["base"].Value : null;

    /// <summary>The first line where two texts differ, for reports: "line N: expected … got …".</summary>
    public static string FirstDifference(string expected, string actual)
    {
        var a = expected.Split('\n');
        var b = actual.Split('\n');
        for (var i = 0; i < Math.Max(a.Length, b.Length); i++)
        {
            var left = i < a.Length ? a[i] : "(end of output)";
            var right = i < b.Length ? b[i] : "(end of output)";
            if (left != right)
            {
                return $"line {i + 1}: direct render {Quote(left)}, stamped {Quote(right)}";
            }
        }

        return "no line differs (line endings?)";
    }

    private static IEnumerable<(string Location, int Count)> Required(string key) => key switch
    {
        StampableFacts.Host => [("KUBERNETES_SERVICE_HOST env value", EnvironmentContainers)],
        StampableFacts.Port => [("KUBERNETES_SERVICE_PORT env value", EnvironmentContainers)],
        StampableFacts.Ipv4Cidr => [("cilium-config ipv4-native-routing-cidr", 1)],
        StampableFacts.Ipv6Cidr => [("cilium-config ipv6-native-routing-cidr", 1)],
        StampableFacts.Name => [("cilium-config cluster-name", 1)],
        _ => [],
    };

    /// <summary>The name of the allowed location the placeholder is at, or null.</summary>
    private static string? Locate(string key, Line line, IReadOnlyList<Line> lines, string placeholder)
    {
        var p = Regex.Escape(placeholder);
        bool Matches(string pattern) => Regex.IsMatch(line.Text, pattern);
        bool CiliumConfig() => line.Object == "ConfigMap cilium-config";
        string Previous() => line.Index > 0 ? lines[line.Index - 1].Text.Trim() : "";
        switch (key)
        {
            case StampableFacts.Host when Matches($"^ +value: (\"{p}\"|{p})$") && Previous() == "- name: KUBERNETES_SERVICE_HOST":
                return "KUBERNETES_SERVICE_HOST env value";
            case StampableFacts.Port when Matches($"^ +value: (\"{p}\"|{p})$") && Previous() == "- name: KUBERNETES_SERVICE_PORT":
                return "KUBERNETES_SERVICE_PORT env value";
            case StampableFacts.Ipv4Cidr when CiliumConfig() && Matches($"^  ipv4-native-routing-cidr: (\"{p}\"|{p})$"):
                return "cilium-config ipv4-native-routing-cidr";
            case StampableFacts.Ipv6Cidr when CiliumConfig() && Matches($"^  ipv6-native-routing-cidr: (\"{p}\"|{p})$"):
                return "cilium-config ipv6-native-routing-cidr";
            case StampableFacts.Name when CiliumConfig() && Matches($"^  cluster-name: (\"{p}\"|{p})$"):
                return "cilium-config cluster-name";
            case StampableFacts.Name when line.Object is "CronJob hubble-generate-certs" || line.Object.StartsWith("Job hubble-generate-certs", StringComparison.Ordinal):
                return Matches($"^ +(commonName: |- )\"\\*\\.{p}\\.hubble-grpc\\.cilium\\.io\"$") ? "hubble server certificate name" : null;
            default:
                return null;
        }
    }

    /// <summary>Offsets of <paramref name="stem"/>; with boundaries, only where no letter or digit touches it (a port in a digest is not a use).</summary>
    private static IEnumerable<int> Occurrences(string text, string stem, bool boundaries)
    {
        for (var i = text.IndexOf(stem, StringComparison.Ordinal); i >= 0; i = text.IndexOf(stem, i + 1, StringComparison.Ordinal))
        {
            var end = i + stem.Length;
            if (boundaries && ((i > 0 && char.IsAsciiLetterOrDigit(text[i - 1])) || (end < text.Length && char.IsAsciiLetterOrDigit(text[end]))))
            {
                continue;
            }

            yield return i;
        }
    }

    private sealed record Line(int Index, int Start, string Text, string Object, string ObjectName)
    {
        public int Number => Index + 1;
    }

    /// <summary>Every line with its offset and the object ("Kind name") of the YAML document it is in.</summary>
    private static List<Line> Lines(string text)
    {
        var raw = text.Split('\n');
        var objects = new string[raw.Length];
        var names = new string[raw.Length];
        var start = 0;
        while (start < raw.Length)
        {
            var end = start + 1;
            while (end < raw.Length && raw[end] != "---")
            {
                end++;
            }

            string? kind = null, name = null;
            var inMetadata = false;
            for (var i = start; i < end; i++)
            {
                var line = raw[i];
                if (line.StartsWith("kind: ", StringComparison.Ordinal))
                {
                    kind ??= line["kind: ".Length..].Trim();
                }

                if (line.Length > 0 && line[0] != ' ' && line[0] != '#')
                {
                    inMetadata = line == "metadata:";
                }
                else if (inMetadata && line.StartsWith("  name: ", StringComparison.Ordinal))
                {
                    name ??= line["  name: ".Length..].Trim().Trim('"');
                }
            }

            for (var i = start; i < end; i++)
            {
                objects[i] = $"{kind ?? "?"} {name ?? "?"}";
                names[i] = name ?? "";
            }

            start = end;
        }

        var result = new List<Line>(raw.Length);
        var offset = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            result.Add(new Line(i, offset, raw[i], objects[i], names[i]));
            offset += raw[i].Length + 1;
        }

        return result;
    }

    private static string Quote(string line) => $"`{(line.Length <= 160 ? line.Trim() : line.Trim()[..160] + "…")}`";

    [GeneratedRegex("-[0-9a-f]{8,}$")]
    private static partial Regex HashSuffix();

    [GeneratedRegex("^(?<base>.+)-[0-9a-f]{10}$")]
    private static partial Regex ContentName();
}
