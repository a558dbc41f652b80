using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using CapiCiliumAddon.Rendering.CiliumCli;
using CapiCiliumAddon.Rendering.Settings;

namespace CapiCiliumAddon.Rendering.Release;

/// <summary>
/// One default of a chart's values.yaml that differs between two charts, as JSON text (strings quoted); null on the
/// side that does not have the key. Keys are dotted paths to leaves (<see cref="HelmValues.LeafDifferences"/>).
/// </summary>
public sealed record DefaultChange(string Key, string? OldValue, string? NewValue)
{
    /// <summary>
    /// An image reference (repository, tag, digest, pull policy...): these change with every release and the images a
    /// render uses are listed on their own, so a summary counts them rather than listing each.
    /// </summary>
    public bool IsImage => Key.Split('.').Any(segment => segment.EndsWith("image", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// For a list of scalars on both sides, the items it gained and lost, e.g. <c>+"CHECKPOINT_RESTORE"</c>: what a
    /// reader needs when the lists are too long to read side by side. Null for anything else.
    /// </summary>
    public string? ListItemChanges
    {
        get
        {
            if (ScalarItems(OldValue) is not { } before || ScalarItems(NewValue) is not { } after)
            {
                return null;
            }

            var gone = before.Except(after, StringComparer.Ordinal).Select(i => "-" + i);
            var came = after.Except(before, StringComparer.Ordinal).Select(i => "+" + i);
            var changes = came.Concat(gone).ToList();
            return changes.Count == 0 ? "same items, other order" : string.Join(", ", changes);
        }
    }

    private static List<string>? ScalarItems(string? json)
    {
        if (json is null || !json.StartsWith('['))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(json) is JsonArray array && array.All(i => i is JsonValue)
                ? array.Select(i => i!.ToJsonString()).ToList()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>The defaults two charts' values.yaml disagree on.</summary>
public static class ChartDefaults
{
    private static readonly JsonSerializerOptions Display = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Every key whose default differs, was added or was removed between <paramref name="from"/> and <paramref name="to"/>, sorted by key.</summary>
    public static IReadOnlyList<DefaultChange> Compare(JsonObject from, JsonObject to) =>
        HelmValues.LeafDifferences(from, to)
            .Select(d => new DefaultChange(d.Key, d.InBefore ? Text(d.Before) : null, d.InAfter ? Text(d.After) : null))
            .ToList();

    /// <summary>
    /// True when <paramref name="values"/> sets <paramref name="key"/> or a value containing it or inside it, so the
    /// chart's default for it does not apply as such.
    /// </summary>
    public static bool Sets(HelmValues values, string key) =>
        values[key] is not null
        || values.All.Any(v => key.StartsWith(v.Key + ".", StringComparison.Ordinal) || v.Key.StartsWith(key + ".", StringComparison.Ordinal));

    /// <summary>Why a chart's defaults cannot be read, or null when they can.</summary>
    public static string? Unreadable(ChartDirectory chart) =>
        chart.DefaultValues is null ? $"chart {chart.Version} at {chart.Path} has no readable values.yaml" : null;

    private static string Text(JsonNode? node) => node is null ? "null" : node.ToJsonString(Display);
}
