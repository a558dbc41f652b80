using System.Collections;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CapiCiliumAddon.Rendering.Clusters;
using CapiCiliumAddon.Rendering.Yaml;
using Scriban;
using Scriban.Runtime;
using Scriban.Syntax;

namespace CapiCiliumAddon.Rendering.Settings;

/// <summary>
/// Named profiles: Scriban values templates in a directory (templates/&lt;name&gt;.yaml.scriban), rendered with the
/// Cluster's facts and parsed as YAML. Templates are parsed once and reused across Clusters; each render gets a context
/// of its own, so one Cluster's render cannot see another's.
/// </summary>
/// <remarks>
/// A profile is user input that runs inside the controller, so every render is bounded: an unknown variable, member,
/// label or function is an error rather than an empty value in a cluster's network configuration; loops share one
/// iteration budget however they nest; recursion, output size and regular expressions are capped; nothing can be
/// included from disk (no template loader).
/// </remarks>
public sealed partial class ProfileLibrary
{
    public const string Extension = ".yaml.scriban";

    /// <summary>The Handlebars profiles of earlier releases: recognised only to say how to convert them.</summary>
    public const string HandlebarsExtension = ".yaml.hbs";

    /// <summary>Iterations of all loops of one render together, nested or not (Scriban counts them as one tree).</summary>
    public const int LoopLimit = 1000;

    /// <summary>Depth of function calls in one render.</summary>
    public const int RecursiveLimit = 100;

    /// <summary>Characters a profile may render: far above any values file, far below what could strain a controller.</summary>
    public const int OutputLimit = 256 * 1024;

    private static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(1);

    private readonly string? _directory;
    private readonly Dictionary<string, Template?> _parsed = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public ProfileLibrary(string? directory) => _directory = directory;

    public string? Directory => _directory;

    public IReadOnlyList<string> Names => _directory is null || !System.IO.Directory.Exists(_directory)
        ? []
        : System.IO.Directory.GetFiles(_directory, "*" + Extension)
            .Select(f => Path.GetFileName(f)[..^Extension.Length]).Order(StringComparer.Ordinal).ToList();

    public static bool IsValidName(string name) => NamePattern().IsMatch(name);

    public string PathOf(string name) => Path.Combine(_directory ?? ".", name + Extension);

    /// <summary>Renders a profile for a Cluster, or returns the problem.</summary>
    public (JsonObject? Values, Problem? Problem) Render(string name, ClusterFacts cluster, string ciliumVersion, string field)
    {
        if (!IsValidName(name))
        {
            return (null, Problem.Error(cluster.Key, field, $"'{ClusterReader.Truncate(name)}' is not a profile name (lowercase letters, digits and '-')"));
        }

        var template = Parse(name, out var parseError);
        if (template is null)
        {
            if (parseError is not null)
            {
                return (null, Problem.Error(cluster.Key, field, parseError));
            }

            var handlebars = Path.Combine(_directory ?? ".", name + HandlebarsExtension);
            if (File.Exists(handlebars))
            {
                return (null, Problem.Error(cluster.Key, field,
                    $"profile '{name}' is a Handlebars template ({handlebars}); profiles are Scriban templates now",
                    $"rename it to {name}{Extension} and convert it: {{{{yaml x}}}} becomes {{{{ yaml x }}}}, {{{{!-- c --}}}} becomes {{{{# c }}}}, " +
                    "{{#if x}}…{{/if}} becomes {{ if x }}…{{ end }}, {{#each xs}}{{this}}{{/each}} becomes {{ for x in xs }}{{ x }}{{ end }}; see templates/README.md"));
            }

            return (null, Problem.Error(cluster.Key, field, $"profile '{name}' does not exist",
                Names.Count == 0 ? "no profiles are installed" : $"available: {string.Join(", ", Names)}"));
        }

        string text;
        try
        {
            text = template.Render(CreateContext(cluster, ciliumVersion));
        }
        catch (ScriptRuntimeException e)
        {
            return (null, Problem.Error(cluster.Key, field, $"profile '{name}' failed to render: {e.Message}"));
        }

        try
        {
            var documents = YamlDocuments.Parse(text, PathOf(name));
            return documents switch
            {
                [] => (new JsonObject(), null),
                [{ Content: JsonObject values }] => (values, null),
                _ => (null, Problem.Error(cluster.Key, field, $"profile '{name}' must render to one YAML mapping of Helm values")),
            };
        }
        catch (InputFileException e)
        {
            return (null, Problem.Error(cluster.Key, field, $"profile '{name}' rendered invalid YAML: {e.Reason}"));
        }
    }

    /// <summary>The parsed template, or null when the file does not exist (<paramref name="error"/> null) or does not parse.</summary>
    private Template? Parse(string name, out string? error)
    {
        error = null;
        lock (_lock)
        {
            if (_parsed.TryGetValue(name, out var cached))
            {
                return cached;
            }

            var path = PathOf(name);
            Template? template = null;
            if (File.Exists(path))
            {
                template = Template.Parse(File.ReadAllText(path), path);
                if (template.HasErrors)
                {
                    error = $"profile '{name}' is not a valid Scriban template: {string.Join("; ", template.Messages.Select(m => m.ToString()))}";
                    return null;
                }
            }

            _parsed[name] = template;
            return template;
        }
    }

    private static TemplateContext CreateContext(ClusterFacts cluster, string ciliumVersion)
    {
        var context = new TemplateContext
        {
            StrictVariables = true,
            // A misspelt member or a label the Cluster does not carry is an error, not an empty string.
            EnableRelaxedMemberAccess = false,
            LoopLimit = LoopLimit,
            RecursiveLimit = RecursiveLimit,
            LimitToString = OutputLimit,
            OnStringLimit = ScriptLimitBehavior.Throw,
            OutputLimit = OutputLimit,
            OnOutputLimit = ScriptLimitBehavior.Throw,
            RegexTimeOut = RegexTimeout,
            TemplateLoader = null,
            NewLine = "\n",
        };
        context.PushGlobal(Variables(cluster, ciliumVersion));
        return context;
    }

    /// <summary>What a template can see. Documented in templates/README.md; keep the two in step.</summary>
    private static ScriptObject Variables(ClusterFacts cluster, string ciliumVersion)
    {
        var variables = new ScriptObject
        {
            ["cluster"] = new ScriptObject
            {
                ["name"] = cluster.Name,
                ["namespace"] = cluster.Namespace,
                ["labels"] = Sorted(cluster.Labels),
                ["annotations"] = Sorted(cluster.Annotations),
                ["kubernetesVersion"] = cluster.KubernetesVersion ?? "",
            },
            ["endpoint"] = new ScriptObject
            {
                ["host"] = cluster.Endpoint?.Host ?? "",
                ["port"] = cluster.Endpoint?.Port ?? 0,
            },
            ["pods"] = new ScriptObject
            {
                ["ipv4"] = cluster.Ipv4PodCidr?.ToString() ?? "",
                ["ipv4PrefixLength"] = cluster.Ipv4PodCidr?.PrefixLength ?? 0,
                ["ipv6"] = cluster.Ipv6PodCidr?.ToString() ?? "",
                ["ipv6PrefixLength"] = cluster.Ipv6PodCidr?.PrefixLength ?? 0,
            },
            ["services"] = new ScriptObject
            {
                ["cidrs"] = new ScriptArray(cluster.ServiceCidrs.Select(c => c.ToString())),
            },
            ["cilium"] = new ScriptObject { ["version"] = ciliumVersion },
        };
        variables.Import("yaml", new Func<object?, string>(Yaml));
        return variables;
    }

    private static ScriptObject Sorted(IReadOnlyDictionary<string, string> map)
    {
        var sorted = new ScriptObject();
        foreach (var (key, value) in map.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            sorted[key] = value;
        }

        return sorted;
    }

    /// <summary>
    /// <c>{{ yaml x }}</c>: x as a JSON string literal (a list as a JSON list of them), which is valid YAML and cannot
    /// break the document's structure whatever x holds.
    /// </summary>
    internal static string Yaml(object? value) => value switch
    {
        null => "\"\"",
        string text => JsonSerializer.Serialize(text),
        IEnumerable list => JsonSerializer.Serialize(list.Cast<object?>().Select(Text)),
        _ => JsonSerializer.Serialize(Text(value)),
    };

    private static string Text(object? value) => value switch
    {
        null => "",
        bool flag => flag ? "true" : "false",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    private static partial Regex NamePattern();
}
