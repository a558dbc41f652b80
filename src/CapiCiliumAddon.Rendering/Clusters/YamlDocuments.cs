using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CapiCiliumAddon.Rendering.Clusters;

/// <summary>One YAML or JSON document read from a file, as a JSON tree, with where it came from.</summary>
public sealed record SourceDocument(string Path, int Index, JsonNode? Content)
{
    public string Location => $"{Path}#{Index + 1}";
}

/// <summary>
/// A document as read, JSON tree and YAML node tree side by side: the YAML nodes keep the positions in the text
/// (<see cref="YamlNode.Start"/>, <see cref="YamlNode.End"/>), styles and anchors, for tools that edit the text in place.
/// </summary>
/// <param name="Document">The matching <see cref="SourceDocument"/>, or null for an empty document (which readers skip).</param>
public sealed record PositionedDocument(YamlDocument Yaml, SourceDocument? Document);

/// <summary>
/// Reads multi-document YAML (and JSON, which is YAML) into JSON trees. Input files are user-controlled, so the
/// reader refuses what would make a tool misbehave rather than fail: invalid UTF-8, duplicate keys (which YAML
/// parsers resolve differently, so a reviewer and the tool could read different values), and alias expansion past
/// a node budget ("billion laughs").
/// </summary>
public static class YamlDocuments
{
    public const int MaxNodes = 200_000;
    public const int MaxDepth = 64;
    public const long MaxFileBytes = 16 * 1024 * 1024;

    public static IReadOnlyList<SourceDocument> ReadFile(string path)
    {
        var info = new FileInfo(path);
        if (info.Length > MaxFileBytes)
        {
            throw new InputFileException(path, $"file is {info.Length} bytes; the limit is {MaxFileBytes}");
        }

        return Parse(File.ReadAllBytes(path), path);
    }

    public static IReadOnlyList<SourceDocument> Parse(byte[] bytes, string path)
    {
        string text;
        try
        {
            text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new InputFileException(path, "file is not valid UTF-8");
        }

        return Parse(text, path);
    }

    public static IReadOnlyList<SourceDocument> Parse(string text, string path) =>
        ParseWithPositions(text, path).Where(d => d.Document is not null).Select(d => d.Document!).ToList();

    /// <summary>
    /// Reads like <see cref="Parse(string, string)"/> (same refusals, same trees) and keeps each document's YAML nodes,
    /// whose marks index into <paramref name="text"/>.
    /// </summary>
    public static IReadOnlyList<PositionedDocument> ParseWithPositions(string text, string path)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            var message = Innermost(e).Message;
            const string duplicate = "Duplicate key ";
            if (message.StartsWith(duplicate, StringComparison.Ordinal))
            {
                message = $"duplicate key '{message[duplicate.Length..]}'";
            }

            throw new InputFileException(path, $"line {e.Start.Line}, column {e.Start.Column}: {message}");
        }
        catch (ArgumentException e)
        {
            // YamlDotNet reports a repeated mapping key as an ArgumentException from its dictionary.
            throw new InputFileException(path, $"duplicate key: {e.Message}");
        }

        var documents = new List<PositionedDocument>();
        var budget = new NodeBudget(path);
        var index = 0;
        foreach (var document in stream.Documents)
        {
            var content = ToJson(document.RootNode, budget, depth: 0);
            documents.Add(new PositionedDocument(document, content is null ? null : new SourceDocument(path, index++, content)));
        }

        return documents;
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e;
    }

    private static JsonNode? ToJson(YamlNode node, NodeBudget budget, int depth)
    {
        budget.Spend(node, depth);
        switch (node)
        {
            case YamlMappingNode mapping:
                var obj = new JsonObject();
                foreach (var (key, value) in mapping.Children)
                {
                    if (key is not YamlScalarNode { Value: { } name })
                    {
                        throw new InputFileException(budget.Path, $"line {key.Start.Line}: mapping keys must be plain strings");
                    }

                    if (name == "<<" && key is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any })
                    {
                        // kubectl honours YAML 1.1 merge keys; read as a plain key, `labels: {<<: *x}` would hide
                        // the labels (and `cni: cilium`) from us, and the Cluster would be skipped without a word.
                        throw new InputFileException(budget.Path, $"line {key.Start.Line}: YAML merge keys ('<<') are not supported; write the keys out");
                    }

                    if (obj.ContainsKey(name))
                    {
                        throw new InputFileException(budget.Path, $"line {key.Start.Line}: duplicate key '{name}'");
                    }

                    obj[name] = ToJson(value, budget, depth + 1);
                }

                return obj;
            case YamlSequenceNode sequence:
                var array = new JsonArray();
                foreach (var item in sequence.Children)
                {
                    array.Add(ToJson(item, budget, depth + 1));
                }

                return array;
            case YamlScalarNode scalar:
                return Scalar(scalar);
            default:
                throw new InputFileException(budget.Path, $"line {node.Start.Line}: unsupported YAML node");
        }
    }

    /// <summary>YAML 1.2 core schema for plain scalars; quoted scalars and explicit !!str are strings.</summary>
    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        if (scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded
            || (!scalar.Tag.IsEmpty && !scalar.Tag.IsNonSpecific && scalar.Tag.Value == "tag:yaml.org,2002:str"))
        {
            return JsonValue.Create(value);
        }

        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
        }

        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return JsonValue.Create(integer);
        }

        if (LooksLikeFloat(value) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var real))
        {
            return JsonValue.Create(real);
        }

        return JsonValue.Create(value);
    }

    private static bool LooksLikeFloat(string value) =>
        value.Length > 0 && (char.IsAsciiDigit(value[0]) || value[0] is '-' or '+' or '.')
        && value.All(c => char.IsAsciiDigit(c) || c is '.' or 'e' or 'E' or '-' or '+');

    private sealed class NodeBudget(string path)
    {
        private int _nodes;

        public string Path { get; } = path;

        public void Spend(YamlNode node, int depth)
        {
            if (++_nodes > MaxNodes)
            {
                throw new InputFileException(Path, $"more than {MaxNodes} YAML nodes after expanding aliases (a YAML bomb?)");
            }

            if (depth > MaxDepth)
            {
                throw new InputFileException(Path, $"line {node.Start.Line}: nesting deeper than {MaxDepth}");
            }
        }
    }
}

public sealed class InputFileException(string path, string reason) : Exception($"{path}: {reason}")
{
    public string Path { get; } = path;

    public string Reason { get; } = reason;
}
