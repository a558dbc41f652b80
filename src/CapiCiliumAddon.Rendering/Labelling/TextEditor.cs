using System.Text;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace CapiCiliumAddon.Rendering.Labelling;

/// <summary>Why a Cluster's labels cannot be extended in place: the field and a sentence a user can act on.</summary>
internal sealed record Refusal(string Field, string Reason);

/// <summary>
/// Insertions into one YAML text at positions the parser reported (marks index the text as given, a CRLF counting
/// two characters). Only inserts: what was there stays byte for byte. New lines copy the indentation of their
/// neighbours and the line ending of the line they follow.
/// </summary>
internal sealed class TextEditor(string text)
{
    private const int DefaultIndentStep = 2;

    private readonly List<(int Index, string Text)> _insertions = [];

    /// <summary>The text with every planned insertion, applied from the end so earlier positions stay valid.</summary>
    public string Apply()
    {
        var result = new StringBuilder(text);
        foreach (var (index, inserted) in _insertions.OrderByDescending(i => i.Index))
        {
            result.Insert(index, inserted);
        }

        return result.ToString();
    }

    /// <summary>Plans the insertion of <paramref name="labels"/> into the Cluster document's metadata.labels.</summary>
    public Refusal? AddLabels(YamlDocument document, IReadOnlyList<KeyValuePair<string, string>> labels)
    {
        if (document.RootNode is not YamlMappingNode root || Entry(root, "metadata") is not { Value: YamlMappingNode metadata } metadataEntry)
        {
            return new Refusal("metadata", "is not a map this command can edit");
        }

        return Entry(metadata, "labels") switch
        {
            null => AddLabelsMap(metadataEntry.Key, metadata, labels),
            { Value: YamlMappingNode map } => AddToMap(map, labels),
            { Key: var key, Value: YamlScalarNode { Value: "", Style: YamlDotNet.Core.ScalarStyle.Plain or YamlDotNet.Core.ScalarStyle.Any } value }
                when value.Anchor.IsEmpty && value.Tag.IsEmpty => AddUnderEmptyKey(metadataEntry.Key, metadata, key, labels),
            _ => new Refusal("metadata.labels", "is not a map (write `labels:` with the Cluster's labels under it)"),
        };
    }

    private Refusal? AddToMap(YamlMappingNode map, IReadOnlyList<KeyValuePair<string, string>> labels)
    {
        const string field = "metadata.labels";
        if (!map.Anchor.IsEmpty)
        {
            return new Refusal(field, $"carries the anchor &{map.Anchor} or is an alias of it: an edit here would change every place that uses it");
        }

        if (map.Style == MappingStyle.Flow)
        {
            return AddToFlowMap(map, field, labels.Select(l => Entry(l, Json(map))));
        }

        var firstKey = map.Children.First().Key;
        if (IndentBefore(firstKey.Start.Index) is not { } indent)
        {
            return new Refusal(field, "is laid out in a way this command does not edit (its first key does not start its line)");
        }

        var (lastKey, lastValue) = map.Children.Last();
        var entries = labels.Select(l => Entry(l, json: false)).ToList();
        if (EndsItsLine(lastKey, lastValue))
        {
            var lineEnd = EndOfLine((int)lastValue.End.Index);
            var newline = NewlineAt(lineEnd);
            Insert(lineEnd, string.Concat(entries.Select(e => newline + indent + e)));
        }
        else
        {
            // A multi-line last value: the new labels go first instead, before the first key and at its indentation.
            var newline = NewlineAt(EndOfLine((int)firstKey.Start.Index));
            Insert((int)firstKey.Start.Index, string.Concat(entries.Select(e => e + newline + indent)));
        }

        return null;
    }

    /// <summary>No labels map at all: adds <c>labels:</c> after the name and namespace, indented like its siblings.</summary>
    private Refusal? AddLabelsMap(YamlNode metadataKey, YamlMappingNode metadata, IReadOnlyList<KeyValuePair<string, string>> labels)
    {
        const string field = "metadata";
        if (!metadata.Anchor.IsEmpty)
        {
            return new Refusal(field, $"carries the anchor &{metadata.Anchor} or is an alias of it: an edit here would change every place that uses it");
        }

        if (metadata.Style == MappingStyle.Flow)
        {
            var json = Json(metadata);
            var map = "{" + string.Join(", ", labels.Select(l => Entry(l, json))) + "}";
            return AddToFlowMap(metadata, field, [json ? $"\"labels\": {map}" : $"labels: {map}"]);
        }

        var firstKey = metadata.Children.First().Key;
        if (IndentBefore(firstKey.Start.Index) is not { } indent)
        {
            return new Refusal(field, "is laid out in a way this command does not edit (its first key does not start its line)");
        }

        var inner = indent + new string(' ', IndentStep(metadataKey, indent));
        var after = new[] { "namespace", "name" }.Select(k => Entry(metadata, k)).FirstOrDefault(e => e is { } found && EndsItsLine(found.Key, found.Value))
            ?? (EndsItsLine(metadata.Children.Last().Key, metadata.Children.Last().Value) ? metadata.Children.Last() : null);
        if (after is { } anchor)
        {
            var lineEnd = EndOfLine((int)anchor.Value.End.Index);
            var newline = NewlineAt(lineEnd);
            Insert(lineEnd, newline + indent + "labels:" + string.Concat(labels.Select(l => newline + inner + Entry(l, json: false))));
        }
        else
        {
            var newline = NewlineAt(EndOfLine((int)firstKey.Start.Index));
            Insert((int)firstKey.Start.Index, "labels:" + string.Concat(labels.Select(l => newline + inner + Entry(l, json: false))) + newline + indent);
        }

        return null;
    }

    /// <summary>`labels:` with nothing after it (null): the entries go on the following lines, one step deeper.</summary>
    private Refusal? AddUnderEmptyKey(YamlNode metadataKey, YamlMappingNode metadata, YamlNode labelsKey, IReadOnlyList<KeyValuePair<string, string>> labels)
    {
        if (metadata.Style == MappingStyle.Flow || IndentBefore(labelsKey.Start.Index) is not { } indent)
        {
            return new Refusal("metadata.labels", "is empty in a layout this command does not edit");
        }

        var inner = indent + new string(' ', IndentStep(metadataKey, IndentBefore(metadata.Children.First().Key.Start.Index) ?? indent));
        var lineEnd = EndOfLine((int)labelsKey.End.Index);
        var newline = NewlineAt(lineEnd);
        Insert(lineEnd, string.Concat(labels.Select(l => newline + inner + Entry(l, json: false))));
        return null;
    }

    /// <summary>
    /// A one-line flow map gets the entries after its last one (or inside its braces when empty). The parser marks
    /// only where a flow map starts, so its end is found from its last value: the closing brace must follow on the
    /// same line.
    /// </summary>
    private Refusal? AddToFlowMap(YamlMappingNode map, string field, IEnumerable<string> entries)
    {
        const string multiLine = "is a flow map ({...}) over several lines, which cannot be extended without reformatting it";
        if (map.Children.Count == 0)
        {
            var brace = text.IndexOf('{', (int)map.Start.Index);
            if (brace < 0 || ClosingBrace(brace + 1) is null)
            {
                return new Refusal(field, multiLine);
            }

            Insert(brace + 1, string.Join(", ", entries));
            return null;
        }

        var last = map.Children.Last().Value;
        if (last is not YamlScalarNode || last.End.Line != map.Start.Line || ClosingBrace((int)last.End.Index) is null)
        {
            return new Refusal(field, multiLine);
        }

        Insert((int)last.End.Index, ", " + string.Join(", ", entries));
        return null;
    }

    /// <summary>The position of the `}` that closes a flow map at <paramref name="from"/>, if it is on the same line.</summary>
    private int? ClosingBrace(int from)
    {
        var i = from;
        while (i < text.Length && text[i] is ' ' or '\t' or ',')
        {
            i++;
        }

        return i < text.Length && text[i] == '}' ? i : null;
    }

    private void Insert(int index, string inserted) => _insertions.Add((index, inserted));

    private static KeyValuePair<YamlNode, YamlNode>? Entry(YamlMappingNode map, string key)
    {
        foreach (var entry in map.Children)
        {
            if (entry.Key is YamlScalarNode { Value: var name } && name == key)
            {
                return entry;
            }
        }

        return null;
    }

    private static string Entry(KeyValuePair<string, string> label, bool json) =>
        json ? $"\"{label.Key}\": {System.Text.Json.JsonSerializer.Serialize(label.Value)}" : $"{label.Key}: {SelectorLabeller.ScalarText(label.Value)}";

    /// <summary>A flow map written as JSON (quoted keys) gets JSON entries, so the file stays JSON-shaped.</summary>
    private static bool Json(YamlMappingNode map) =>
        map.Children.Count > 0 && map.Children.First().Key is YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.DoubleQuoted };

    /// <summary>True when the entry is one scalar on one line, so a new line can follow it.</summary>
    private static bool EndsItsLine(YamlNode key, YamlNode value) =>
        value is YamlScalarNode { Style: not (YamlDotNet.Core.ScalarStyle.Literal or YamlDotNet.Core.ScalarStyle.Folded) }
        && key.Start.Line == value.End.Line;

    /// <summary>How much deeper the metadata's keys sit than the metadata key itself (2 when that cannot be seen).</summary>
    private static int IndentStep(YamlNode metadataKey, string childIndent)
    {
        var step = childIndent.Length - (int)(metadataKey.Start.Column - 1);
        return step > 0 ? step : DefaultIndentStep;
    }

    /// <summary>The spaces between the start of the line and <paramref name="index"/>, or null when anything else is there.</summary>
    private string? IndentBefore(long index)
    {
        var start = (int)index;
        while (start > 0 && text[start - 1] is not ('\n' or '\r'))
        {
            start--;
        }

        var indent = text[start..(int)index];
        return indent.All(c => c == ' ') ? indent : null;
    }

    private int EndOfLine(int index)
    {
        var end = text.IndexOfAny(['\r', '\n'], index);
        return end < 0 ? text.Length : end;
    }

    /// <summary>The line break at <paramref name="lineEnd"/>; at the end of the file, the one the file mostly uses.</summary>
    private string NewlineAt(int lineEnd) =>
        lineEnd >= text.Length ? (text.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n")
        : text[lineEnd] == '\r' ? (lineEnd + 1 < text.Length && text[lineEnd + 1] == '\n' ? "\r\n" : "\r")
        : "\n";
}
