using System.Text;
using System.Text.Json.Nodes;
using CapiCiliumAddon.Rendering.Clusters;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CapiCiliumAddon.Rendering.Yaml;

/// <summary>One YAML or JSON document read from a file, as a JSON tree, with where it came from.</summary>
public sealed record SourceDocument(string Path, int Index, JsonNode? Content)
{
    public string Location => $"{Path}#{Index + 1}";

    /// <summary>The plain scalars whose value is spelled differently from their text (see <see cref="ResolvedScalar"/>).</summary>
    public IReadOnlyList<ResolvedScalar> ResolvedScalars { get; init; } = [];
}

/// <summary>
/// A document as read, JSON tree and YAML node tree side by side: the YAML nodes keep the positions in the text
/// (<see cref="YamlNode.Start"/>, <see cref="YamlNode.End"/>), styles and anchors, for tools that edit the text in place.
/// </summary>
/// <param name="Document">The matching <see cref="SourceDocument"/>, or null for an empty document (which readers skip).</param>
public sealed record PositionedDocument(YamlDocument Yaml, SourceDocument? Document);

/// <summary>
/// Reads multi-document YAML (and JSON, which is YAML) into JSON trees, as Kubernetes reads them (<see cref="YamlJson"/>).
/// Input files are user-controlled, so the
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

            throw new InputFileException(path, $"line {e.Start.Line}, column {e.Start.Column}: {message}{TemplateHint(text)}");
        }
        catch (ArgumentException e)
        {
            // YamlDotNet reports a repeated mapping key as an ArgumentException from its dictionary.
            throw new InputFileException(path, $"duplicate key: {e.Message}");
        }

        var documents = new List<PositionedDocument>();
        var budget = new NodeBudget(MaxNodes, MaxDepth);
        var index = 0;
        foreach (var document in stream.Documents)
        {
            var resolved = new List<ResolvedScalar>();
            JsonNode? content;
            try
            {
                content = YamlJson.ToJson(document.RootNode, budget, resolved);
            }
            catch (YamlValueException e)
            {
                throw new InputFileException(path, $"line {e.At.Line}: {e.Message}");
            }

            documents.Add(new PositionedDocument(document, content is null ? null : new SourceDocument(path, index++, content) { ResolvedScalars = resolved }));
        }

        return documents;
    }

    /// <summary>
    /// A clusterctl or Flux template is often not even YAML until substituted (<c>labels: {name: ${NAME}}</c> closes its
    /// flow mapping too early), so a syntax error in text holding variables names them and what to run first.
    /// </summary>
    private static string TemplateHint(string text) =>
        TemplateVariables.InText(text) is { Count: > 0 } variables
            ? $" (the file holds unsubstituted variables {TemplateVariables.Describe(variables)}: {TemplateVariables.SubstituteFirst})"
            : "";

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e;
    }
}

public sealed class InputFileException(string path, string reason) : Exception($"{path}: {reason}")
{
    public string Path { get; } = path;

    public string Reason { get; } = reason;
}
