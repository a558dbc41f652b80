using System.Text.Json.Nodes;

namespace CapiCiliumAddon.Controller.Reconciliation;

/// <summary>Equality-based label selector ("a=b,c!=d,e,!f"), the subset the controller's --selector accepts.</summary>
public sealed class LabelSelectorMatcher
{
    private readonly List<(string Key, string Op, string? Value)> terms = [];

    public LabelSelectorMatcher(string? selector)
    {
        foreach (var raw in (selector ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (raw.Contains("!=", StringComparison.Ordinal))
            {
                var p = raw.Split("!=", 2);
                terms.Add((p[0].Trim(), "!=", p[1].Trim()));
            }
            else if (raw.Contains('=', StringComparison.Ordinal))
            {
                var p = raw.Replace("==", "=", StringComparison.Ordinal).Split('=', 2);
                terms.Add((p[0].Trim(), "=", p[1].Trim()));
            }
            else if (raw.StartsWith('!'))
            {
                terms.Add((raw[1..].Trim(), "!", null));
            }
            else
            {
                terms.Add((raw, "exists", null));
            }
        }
    }

    public bool Matches(JsonObject obj)
    {
        var labels = obj["metadata"]?["labels"] as JsonObject;
        foreach (var (key, op, value) in terms)
        {
            var actual = labels?[key]?.GetValue<string>();
            var ok = op switch
            {
                "=" => actual == value,
                "!=" => actual != value,
                "!" => actual is null,
                _ => actual is not null,
            };
            if (!ok) { return false; }
        }

        return true;
    }
}
