using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CapiCiliumAddon.Rendering.Manifests;
using CapiCiliumAddon.Rendering.Yaml;

namespace CapiCiliumAddon.Rendering.Lint;

/// <summary>
/// Plain scalars whose meaning surprises people, with the value Kubernetes sees (it reads YAML by YAML 1.1 rules,
/// <see cref="YamlScalars"/>): file modes (<see cref="LintRules.FileMode"/>) and booleans or numbers where Kubernetes
/// wants a string (<see cref="LintRules.StringValue"/>).
/// </summary>
internal static class ScalarLint
{
    /// <summary>Modes people write in octal; as decimals, the ones up to 0777 (511) are accepted and mean something else.</summary>
    private static readonly HashSet<string> OctalLookingDecimals =
        ["400", "440", "444", "500", "550", "555", "600", "640", "644", "660", "664", "666", "700", "750", "755", "770", "775", "777"];

    private const int MaxMode = 511; // 0777: the API server's validation refuses more for defaultMode and items[].mode.

    /// <param name="renders">Objects of Cilium renders: their octal modes are the chart's own template text, and correct.</param>
    public static void Check(LintInputSet inputs, IReadOnlySet<LintObject> renders, List<LintFinding> findings)
    {
        foreach (var o in inputs.Objects)
        {
            var written = o.ResolvedScalars.ToDictionary(r => r.Field, StringComparer.Ordinal);
            foreach (var (path, value) in Scalars(o.Content, []))
            {
                var field = YamlJson.Field(path);
                written.TryGetValue(field, out var resolved);
                if (IsFileMode(path))
                {
                    CheckMode(o.Subject, o.Location, field, value, resolved, octalIsFine: renders.Contains(o), findings);
                }
                else if (TextFields.Describe(path, o.IsCore("ConfigMap")) is { } what && value is not null && value.GetValueKind() != JsonValueKind.String)
                {
                    CheckString(o.Subject, o.Location, field, what, value, resolved, findings);
                }
            }

            if (!renders.Contains(o) && o.IsCore("ConfigMap") && LintObject.Text(LintObject.At(o.Content, "data", AddonKeys.ValuesConfigMapKey)) is { } embedded)
            {
                CheckEmbeddedValues(o, embedded, findings);
            }
        }

        foreach (var document in inputs.ValuesDocuments)
        {
            CheckValues("Helm values", document.Location, document.Values, document.ResolvedScalars, findings);
        }
    }

    /// <summary>
    /// The Helm values a Cluster's values ConfigMap holds (as text under <c>values.yaml</c>): Helm reads them by the
    /// same YAML 1.1 rules, and a surprise there reaches every object the chart makes from them.
    /// </summary>
    private static void CheckEmbeddedValues(LintObject configMap, string text, List<LintFinding> findings)
    {
        var location = $"{configMap.Location} data[{AddonKeys.ValuesConfigMapKey}]";
        IReadOnlyList<SourceDocument> documents;
        try
        {
            documents = YamlDocuments.Parse(text, location);
        }
        catch (InputFileException)
        {
            return; // unreadable values are the values rules' to report; nothing here is about their scalars
        }

        foreach (var document in documents.Where(d => d.Content is JsonObject))
        {
            CheckValues(configMap.Subject, location, document.Content!, document.ResolvedScalars, findings);
        }
    }

    private static void CheckValues(string subject, string location, JsonNode values, IReadOnlyList<ResolvedScalar> resolvedScalars, List<LintFinding> findings)
    {
        var written = resolvedScalars.ToDictionary(r => r.Field, StringComparer.Ordinal);
        foreach (var (path, value) in Scalars(values, []))
        {
            var field = YamlJson.Field(path);
            written.TryGetValue(field, out var resolved);
            if (IsFileMode(path))
            {
                CheckMode(subject, location, field, value, resolved, octalIsFine: false, findings);
            }
            else if (HelmValueKind(path) is { } what && value is not null && value.GetValueKind() != JsonValueKind.String)
            {
                CheckString(subject, location, field, what, value, resolved, findings);
            }
        }
    }

    private static void CheckMode(string subject, string location, string field, JsonNode? value, ResolvedScalar? written, bool octalIsFine, List<LintFinding> findings)
    {
        if (value is not JsonValue number || !long.TryParse(number.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var mode))
        {
            return;
        }

        var text = written?.Text ?? mode.ToString(CultureInfo.InvariantCulture);
        if (mode is < 0 or > MaxMode)
        {
            var meant = OctalLookingDecimals.Contains(text) ? $"; if you meant the octal 0{text}, write 0{text} or {Convert.ToInt32(text, 8)}" : "";
            findings.Add(new LintFinding(LintRules.FileMode, ProblemSeverity.Error, subject, location, field,
                $"`{text}` is the file mode {mode}, outside 0 to 0777 (511): the API server refuses the object{meant}",
                "write the mode in octal with a leading zero (0644) or as its decimal value (420)"));
        }
        else if (written is not null && IsOctalSpelling(text) && !octalIsFine)
        {
            findings.Add(new LintFinding(LintRules.FileMode, ProblemSeverity.Warning, subject, location, field,
                $"`{text}` is octal to Kubernetes and Helm (YAML 1.1): the mode is {mode} = 0{Convert.ToString(mode, 8)} ({Permissions(mode)}); a YAML 1.2 tool (yq, a JSON converter) reads the decimal {DecimalReading(text)} instead",
                $"write the decimal value Kubernetes stores, {mode}, which every YAML reader reads alike (kubectl get shows it so)"));
        }
        else if (written is null && OctalLookingDecimals.Contains(text))
        {
            findings.Add(new LintFinding(LintRules.FileMode, ProblemSeverity.Warning, subject, location, field,
                $"`{text}` is the decimal {mode}, the file mode 0{Convert.ToString(mode, 8)} ({Permissions(mode)}), not 0{text} ({Permissions(Convert.ToInt32(text, 8))})",
                $"if you meant 0{text}, write 0{text} or {Convert.ToInt32(text, 8)}"));
        }
    }

    private static void CheckString(string subject, string location, string field, string what, JsonNode value, ResolvedScalar? written, List<LintFinding> findings)
    {
        var sees = value.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? $"the boolean {value.ToJsonString()}" : $"the number {value.ToJsonString()}";
        var text = written?.Text ?? value.ToJsonString();
        var spelling = written is not null && value.GetValueKind() is JsonValueKind.True or JsonValueKind.False
            ? $" (YAML 1.1 spells booleans y, yes, on, n, no, off in several cases)"
            : "";
        findings.Add(new LintFinding(LintRules.StringValue, ProblemSeverity.Error, subject, location, field,
            $"`{text}` is {sees} to Kubernetes{spelling}, and {what} must be a string: kubectl apply, and a ClusterResourceSet, refuse the object",
            $"quote it: \"{text}\""));
    }

    /// <summary><c>defaultMode</c> anywhere (volumes, projections) and <c>mode</c> of an <c>items</c> entry.</summary>
    private static bool IsFileMode(IReadOnlyList<string> path) =>
        path.Count > 0 && (path[^1] == "defaultMode" || (path[^1] == "mode" && path.Count >= 3 && path[^2].StartsWith('[') && path[^3] == "items"));

    /// <summary>
    /// In Helm values, what the chart copies into an env value (<c>extraEnv</c>, <c>operator.extraEnv</c>, ...) or into
    /// label and annotation maps (<c>podLabels</c>, <c>podAnnotations</c>, <c>annotations</c>, ...); null elsewhere.
    /// </summary>
    private static string? HelmValueKind(IReadOnlyList<string> path) => path switch
    {
        [.., var list, ['[', ..], "value"] when list == "env" || list.EndsWith("Env", StringComparison.Ordinal) => "an env value",
        [.., var map, _] when map == "labels" || map.EndsWith("Labels", StringComparison.Ordinal) => "a label value",
        [.., var map, _] when map == "annotations" || map.EndsWith("Annotations", StringComparison.Ordinal) => "an annotation value",
        _ => null,
    };

    private static bool IsOctalSpelling(string text)
    {
        var digits = text.TrimStart('+', '-').Replace("_", "", StringComparison.Ordinal);
        return digits.Length > 1 && digits[0] == '0' && (char.IsAsciiDigit(digits[1]) || digits[1] is 'o' or 'O');
    }

    private static string DecimalReading(string text) =>
        text.Contains('o', StringComparison.OrdinalIgnoreCase) ? $"text \"{text}\"" : long.Parse(text.Replace("_", "", StringComparison.Ordinal), CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);

    /// <summary><c>rwxr-xr--</c>, as ls shows a mode.</summary>
    private static string Permissions(long mode)
    {
        var chars = new char[9];
        for (var i = 0; i < 9; i++)
        {
            chars[i] = (mode & (1L << (8 - i))) != 0 ? "rwx"[i % 3] : '-';
        }

        return new string(chars);
    }

    /// <summary>Every scalar (null included) with its path: mapping keys, and "[i]" for sequence items.</summary>
    private static IEnumerable<(IReadOnlyList<string> Path, JsonNode? Value)> Scalars(JsonNode? node, List<string> path)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, child) in obj)
                {
                    foreach (var scalar in Scalars(child, [.. path, key]))
                    {
                        yield return scalar;
                    }
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    foreach (var scalar in Scalars(array[i], [.. path, $"[{i}]"]))
                    {
                        yield return scalar;
                    }
                }

                break;
            default:
                yield return (path, node);
                break;
        }
    }
}
