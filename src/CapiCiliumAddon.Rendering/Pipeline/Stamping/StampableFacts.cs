using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CapiCiliumAddon.Rendering.Planning;
using CapiCiliumAddon.Rendering.Settings;
using CapiCiliumAddon.Rendering.Yaml;

namespace CapiCiliumAddon.Rendering.Pipeline.Stamping;

/// <summary>
/// The per-cluster facts a shared render may be stamped with, their placeholders, and the group a plan belongs to.
/// A value is stamped only when the planner put it there from the Cluster (<see cref="SettingsLayer.ClusterFact"/>);
/// a user's explicit value stays part of the group key, like every other value.
/// </summary>
/// <remarks>
/// Placeholders are grouped by SHAPE (IPv4 / IPv6 / DNS host, IPv4 / IPv6 CIDR): a chart may treat shapes differently,
/// so a placeholder always has the same shape as the values it stands for. Each is distinctive (documentation
/// address ranges RFC 5737 / RFC 3849, a port found in no recorded render, a 32-character name) and valid for the chart.
/// </remarks>
public static partial class StampableFacts
{
    public const string Host = "k8sServiceHost";
    public const string Port = "k8sServicePort";
    public const string Ipv4Cidr = "ipv4NativeRoutingCIDR";
    public const string Ipv6Cidr = "ipv6NativeRoutingCIDR";
    public const string Name = "cluster.name";

    /// <summary>The Helm keys whose cluster-derived values can be stamped; any other ClusterFact value is grouped on.</summary>
    public static readonly IReadOnlyList<string> Keys = [Host, Port, Ipv4Cidr, Ipv6Cidr, Name];

    public const int PlaceholderPort = 54839;
    public const string PlaceholderName = "stamp-placeholder-q7x3k9w2v5j8z4";

    /// <summary>The placeholder for each shape, and the stem every use of it must contain (to catch partial uses).</summary>
    private static readonly IReadOnlyDictionary<string, (JsonNode Value, string Text, string Stem)> Placeholders = new Dictionary<string, (JsonNode, string, string)>(StringComparer.Ordinal)
    {
        ["host-ipv4"] = (JsonValue.Create("203.0.113.231"), "203.0.113.231", "203.0.113."),
        ["host-ipv6"] = (JsonValue.Create("2001:db8:5a3c::e7"), "2001:db8:5a3c::e7", "2001:db8:5a3c:"),
        ["host-dns"] = (JsonValue.Create("stamp-host-q7x3k9.example.net"), "stamp-host-q7x3k9.example.net", "stamp-host-q7x3k9"),
        ["port"] = (JsonValue.Create(PlaceholderPort), "54839", "54839"),
        ["cidr-ipv4"] = (JsonValue.Create("198.51.100.0/24"), "198.51.100.0/24", "198.51.100."),
        ["cidr-ipv6"] = (JsonValue.Create("2001:db8:5a3d::/48"), "2001:db8:5a3d::/48", "2001:db8:5a3d:"),
        ["name"] = (JsonValue.Create(PlaceholderName), PlaceholderName, "stamp-placeholder-q7x"),
    };

    /// <summary>The facts of one plan that would be stamped: Helm key → (shape, value as text).</summary>
    public static IReadOnlyDictionary<string, (string Shape, string Text)>? FactsOf(RenderPlan plan, out string? whyNot)
    {
        var facts = new SortedDictionary<string, (string, string)>(StringComparer.Ordinal);
        foreach (var key in Keys)
        {
            if (plan.Values[key] is not { Source.Layer: SettingsLayer.ClusterFact } value)
            {
                continue;
            }

            var text = HelmValues.AsString(value.Value);
            var shape = text is null ? null : ShapeOf(key, text);
            if (shape is null)
            {
                whyNot = $"{key}={text} has no stampable shape";
                return null;
            }

            facts[key] = (shape, text!);
        }

        whyNot = null;
        return facts;
    }

    /// <summary>
    /// Everything that shapes the CLI's output except the stamped facts' values: two plans with the same key render
    /// the same text up to those values.
    /// </summary>
    public static string GroupKey(RenderPlan plan, IReadOnlyDictionary<string, (string Shape, string Text)> facts)
    {
        var text = new StringBuilder()
            .Append("cilium=").Append(plan.Version).Append('\n')
            .Append("chart=").Append(plan.Chart is null ? "resolved-by-cli" : $"{plan.Chart.Path} {plan.Chart.Version} {plan.Chart.Digest}").Append('\n')
            .Append("cli=").Append(plan.CliVersion).Append('\n')
            .Append("tool=").Append(plan.ToolVersion).Append('\n')
            .Append("helm-release=").Append(plan.HelmRelease?.ToString() ?? "none").Append('\n');
        foreach (var value in plan.Values.All)
        {
            text.Append(value.Key).Append('=').Append(facts.TryGetValue(value.Key, out var fact) ? $"<{fact.Shape}>" : value.Value?.ToJsonString() ?? "null").Append('\n');
        }

        return text.ToString();
    }

    public static JsonNode PlaceholderValue(string shape) => Placeholders[shape].Value.DeepClone();

    public static string PlaceholderText(string shape) => Placeholders[shape].Text;

    public static string Stem(string shape) => Placeholders[shape].Stem;

    /// <summary>
    /// The shape of a fact value, or null when it must not be stamped: anything a template could render other than by
    /// plain text insertion (characters YAML or quote() would treat specially, a name YAML reads as a non-string, the
    /// chart's own "default" name that templates compare against).
    /// </summary>
    public static string? ShapeOf(string key, string text)
    {
        switch (key)
        {
            case Host:
                if (IPAddress.TryParse(text, out var address) && address.ToString() == text)
                {
                    return address.AddressFamily == AddressFamily.InterNetwork ? "host-ipv4" : "host-ipv6";
                }

                return DnsName().IsMatch(text) && text != "auto" ? "host-dns" : null;
            case Port:
                return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port)
                    && port is >= 1 and <= 65535 && port.ToString(System.Globalization.CultureInfo.InvariantCulture) == text ? "port" : null;
            case Ipv4Cidr or Ipv6Cidr:
                return IPNetwork.TryParse(text, out var network) && network.ToString() == text
                    ? network.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? "cidr-ipv4" : "cidr-ipv6"
                    : null;
            case Name:
                return text.Length <= 32 && ClusterName().IsMatch(text) && !YamlNonString().IsMatch(text) && YamlScalars.ReadsAsItself(text) && text != "default" ? "name" : null;
            default:
                return null;
        }
    }

    [GeneratedRegex(@"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")]
    private static partial Regex DnsName();

    [GeneratedRegex(@"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")]
    private static partial Regex ClusterName();

    /// <summary>
    /// Names some YAML reader (or a template's toYaml) would treat as numbers, booleans or null; wider than what
    /// Kubernetes' own reader resolves (<see cref="YamlScalars.ReadsAsItself"/>), which is checked too.
    /// </summary>
    [GeneratedRegex(@"^([0-9][0-9e-]*|0x[0-9a-f]+|0o[0-7]+|y|n|yes|no|on|off|true|false|null|inf|nan)$")]
    private static partial Regex YamlNonString();
}
