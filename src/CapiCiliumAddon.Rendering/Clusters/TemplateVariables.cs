using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CapiCiliumAddon.Rendering.Clusters;

/// <summary>
/// Unsubstituted variables in an input object: <c>${NAME}</c> and its default and error forms (<c>${NAME:=default}</c>,
/// <c>${NAME:-default}</c>, <c>${NAME=default}</c>, <c>${NAME-default}</c>, <c>${NAME:?message}</c>...) that clusterctl
/// templates, <c>envsubst</c> and Flux's post-build substitution replace. A file still holding them is a template,
/// not the object it will become: every field it feeds would be misread, so it is refused once, naming the variables,
/// instead of field by field. Only the user's input objects are searched: the rendered Cilium manifest legitimately
/// holds <c>${BIN_PATH}</c>, which is shell for the CNI plugin's own scripts.
/// </summary>
public static partial class TemplateVariables
{
    /// <summary>The variables named in <paramref name="node"/>'s keys and string values, each once, in order of appearance.</summary>
    public static IReadOnlyList<string> In(JsonNode? node)
    {
        var found = new List<string>();
        Collect(node, found);
        return found;
    }

    /// <summary>The variables named anywhere in <paramref name="text"/>, each once, in order of appearance.</summary>
    public static IReadOnlyList<string> InText(string text)
    {
        var found = new List<string>();
        Add(text, found);
        return found;
    }

    /// <summary>What to do about a template: the tools that substitute its variables.</summary>
    public const string SubstituteFirst = "substitute the variables first: clusterctl generate cluster, flux envsubst, or envsubst < file | capi-cilium render -";

    /// <summary>How a message names them: <c>${CLUSTER_NAME}, ${POD_CIDR}</c>.</summary>
    public static string Describe(IEnumerable<string> variables) => string.Join(", ", variables.Select(v => "${" + v + "}"));

    /// <summary>The field of a problem about a whole object that is a template.</summary>
    public const string TemplateField = "(template)";

    /// <summary>The one problem for an object holding <paramref name="variables"/>.</summary>
    public static Problem Problem(string subject, string field, string what, IReadOnlyList<string> variables) =>
        Rendering.Problem.Error(subject, field,
            $"{what} holds unsubstituted variable{(variables.Count == 1 ? "" : "s")} {Describe(variables)}: it is a template, not the object it will become",
            SubstituteFirst);

    private static void Collect(JsonNode? node, List<string> found)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    Add(key, found);
                    Collect(value, found);
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    Collect(item, found);
                }

                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                Add(value.GetValue<string>(), found);
                break;
        }
    }

    private static void Add(string text, List<string> found)
    {
        if (!text.Contains("${", StringComparison.Ordinal))
        {
            return;
        }

        foreach (Match match in Variable().Matches(text))
        {
            // "$${NAME}" is envsubst's and Flux's escape for a literal "${NAME}".
            if (match.Index > 0 && text[match.Index - 1] == '$')
            {
                continue;
            }

            var name = match.Groups["name"].Value;
            if (!found.Contains(name))
            {
                found.Add(name);
            }
        }
    }

    [GeneratedRegex(@"\$\{(?<name>[A-Za-z_][A-Za-z0-9_]*)(?:[:?=+\-^,#%/][^}]*)?\}")]
    private static partial Regex Variable();
}
