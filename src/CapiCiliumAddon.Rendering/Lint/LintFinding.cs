using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace CapiCiliumAddon.Rendering.Lint;

/// <summary>
/// One finding: which rule, how bad, which object (<c>Kind namespace/name</c>) and where it was read
/// (<c>file#document</c>, then for embedded objects the wrapping ConfigMap/Secret and its data key), the field, why it
/// breaks a cluster, and how to fix it.
/// </summary>
public sealed record LintFinding(
    string Rule,
    ProblemSeverity Severity,
    string Object,
    string Location,
    string Field,
    string Message,
    string? Fix)
{
    public string SeverityText => Severity == ProblemSeverity.Error ? "error" : "warning";

    /// <summary>One line: <c>error[rule] Object (location): field: message. Fix: ...</c>.</summary>
    public override string ToString()
    {
        var field = Field.Length == 0 ? "" : Field + ": ";
        var fix = Fix is null ? "" : (Message.EndsWith('.') ? " " : ". ") + $"Fix: {Fix}";
        return $"{SeverityText}[{Rule}] {Object} ({Location}): {field}{Message}{fix}";
    }
}

/// <summary>The two output formats: plain lines for people, a stable JSON array for CI.</summary>
public static class LintReport
{
    private static readonly JsonWriterOptions JsonOptions = new()
    {
        Indented = true,
        NewLine = "\n",
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string ToText(IReadOnlyList<LintFinding> findings)
    {
        var builder = new StringBuilder();
        foreach (var finding in findings)
        {
            builder.Append(finding).Append('\n');
        }

        if (findings.Count > 0)
        {
            var errors = findings.Count(f => f.Severity == ProblemSeverity.Error);
            builder.Append($"{errors} error(s), {findings.Count - errors} warning(s)\n");
        }

        return builder.ToString();
    }

    /// <summary>
    /// A JSON array of objects with the properties rule, severity, object, location, field, message and fix (null
    /// when there is none), always in that order; an empty array when there are no findings.
    /// </summary>
    public static string ToJson(IReadOnlyList<LintFinding> findings)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, JsonOptions))
        {
            writer.WriteStartArray();
            foreach (var f in findings)
            {
                writer.WriteStartObject();
                writer.WriteString("rule", f.Rule);
                writer.WriteString("severity", f.SeverityText);
                writer.WriteString("object", f.Object);
                writer.WriteString("location", f.Location);
                writer.WriteString("field", f.Field);
                writer.WriteString("message", f.Message);
                if (f.Fix is null)
                {
                    writer.WriteNull("fix");
                }
                else
                {
                    writer.WriteString("fix", f.Fix);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }
}
