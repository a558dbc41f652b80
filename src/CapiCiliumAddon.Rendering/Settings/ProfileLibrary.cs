using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CapiCiliumAddon.Rendering.Clusters;
using HandlebarsDotNet;

namespace CapiCiliumAddon.Rendering.Settings;

/// <summary>
/// Named profiles: Handlebars values templates in a directory (templates/&lt;name&gt;.yaml.hbs), rendered with the
/// Cluster's facts and parsed as YAML. Templates are compiled once and reused across Clusters.
/// </summary>
public sealed partial class ProfileLibrary
{
    public const string Extension = ".yaml.hbs";

    private readonly string? _directory;
    private readonly Dictionary<string, HandlebarsTemplate<object, object>?> _compiled = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly IHandlebars _handlebars;

    public ProfileLibrary(string? directory)
    {
        _directory = directory;
        _handlebars = Handlebars.Create(new HandlebarsConfiguration
        {
            // A typo in a template must fail loudly, not render an empty value into a cluster's network config.
            ThrowOnUnresolvedBindingExpression = true,
            NoEscape = true,
        });
        // {{yaml x}} writes x as a JSON string literal, which is valid YAML and cannot break the document structure.
        _handlebars.RegisterHelper("yaml", (writer, _, arguments) =>
            writer.WriteSafeString(JsonSerializer.Serialize(arguments.Length > 0 ? arguments[0]?.ToString() : null)));
    }

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

        var template = Compile(name, out var compileError);
        if (template is null)
        {
            return (null, Problem.Error(cluster.Key, field, compileError ?? $"profile '{name}' does not exist",
                Names.Count == 0 ? "no profiles are installed" : $"available: {string.Join(", ", Names)}"));
        }

        string text;
        try
        {
            text = template(Context(cluster, ciliumVersion));
        }
        catch (Exception e) when (e is HandlebarsException or HandlebarsDotNet.Compiler.HandlebarsUndefinedBindingException)
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

    private HandlebarsTemplate<object, object>? Compile(string name, out string? error)
    {
        error = null;
        lock (_lock)
        {
            if (_compiled.TryGetValue(name, out var cached))
            {
                return cached;
            }

            var path = PathOf(name);
            HandlebarsTemplate<object, object>? template = null;
            if (File.Exists(path))
            {
                try
                {
                    template = _handlebars.Compile(File.ReadAllText(path));
                }
                catch (HandlebarsException e)
                {
                    error = $"profile '{name}' ({path}) is not a valid template: {e.Message}";
                    return null;
                }
            }

            _compiled[name] = template;
            return template;
        }
    }

    /// <summary>What a template can see. Documented in templates/README.md; keep the two in step.</summary>
    private static Dictionary<string, object?> Context(ClusterFacts cluster, string ciliumVersion) => new()
    {
        ["cluster"] = new Dictionary<string, object?>
        {
            ["name"] = cluster.Name,
            ["namespace"] = cluster.Namespace,
            ["labels"] = cluster.Labels,
            ["annotations"] = cluster.Annotations,
            ["kubernetesVersion"] = cluster.KubernetesVersion ?? "",
        },
        ["endpoint"] = new Dictionary<string, object?>
        {
            ["host"] = cluster.Endpoint?.Host ?? "",
            ["port"] = cluster.Endpoint?.Port ?? 0,
        },
        ["pods"] = new Dictionary<string, object?>
        {
            ["ipv4"] = cluster.Ipv4PodCidr?.ToString() ?? "",
            ["ipv6"] = cluster.Ipv6PodCidr?.ToString() ?? "",
        },
        ["services"] = new Dictionary<string, object?>
        {
            ["cidrs"] = cluster.ServiceCidrs.Select(c => c.ToString()).ToArray(),
        },
        ["cilium"] = new Dictionary<string, object?> { ["version"] = ciliumVersion },
    };

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    private static partial Regex NamePattern();
}
