using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CapiCiliumAddon.Rendering.Clusters;
using CapiCiliumAddon.Rendering.Yaml;

namespace CapiCiliumAddon.Rendering.Lint;

/// <summary>One input: a file's path (or "-" for standard input) and its bytes.</summary>
public sealed record LintSource(string Name, byte[] Bytes)
{
    public const string StandardInputName = "-";

    /// <summary>How findings name the source: the path, or "stdin".</summary>
    public string Display => Name == StandardInputName ? "stdin" : Name;
}

/// <summary>
/// A Kubernetes object found in the inputs: a top-level document, or one embedded in a ConfigMap/Secret data value
/// (our output tree wraps the whole Cilium manifest that way; the lint must see inside it).
/// </summary>
public sealed class LintObject
{
    internal LintObject(JsonObject content, string file, int document, LintObject? wrapper, string? wrapperKey, IReadOnlyList<ResolvedScalar> resolvedScalars)
    {
        Content = content;
        ResolvedScalars = resolvedScalars;
        File = file;
        Document = document;
        Wrapper = wrapper;
        WrapperKey = wrapperKey;
        var metadata = content["metadata"] as JsonObject;
        ApiVersion = Text(content["apiVersion"]) ?? "";
        Kind = Text(content["kind"]) ?? "";
        Name = Text(metadata?["name"]) ?? "";
        var ns = Text(metadata?["namespace"]);
        Namespace = string.IsNullOrEmpty(ns) ? null : ns;
        Labels = StringMap(metadata?["labels"]);
        Annotations = StringMap(metadata?["annotations"]);
    }

    public string ApiVersion { get; }

    /// <summary>The API group ("" for the core group).</summary>
    public string Group => ApiVersion.Contains('/') ? ApiVersion[..ApiVersion.IndexOf('/')] : "";

    public string Kind { get; }

    public string Name { get; }

    public string? Namespace { get; }

    public IReadOnlyDictionary<string, string> Labels { get; }

    public IReadOnlyDictionary<string, string> Annotations { get; }

    public JsonObject Content { get; }

    /// <summary>Its plain scalars whose value is spelled differently from their text (<c>0400</c> is 256).</summary>
    public IReadOnlyList<ResolvedScalar> ResolvedScalars { get; }

    /// <summary>The file the object (or its outermost wrapper) was read from.</summary>
    public string File { get; }

    /// <summary>1-based YAML document number within <see cref="File"/> (for embedded objects: within the data value).</summary>
    public int Document { get; }

    /// <summary>The ConfigMap or Secret whose data value held this object, or null for a top-level object.</summary>
    public LintObject? Wrapper { get; }

    /// <summary>The data key of <see cref="Wrapper"/> that held this object.</summary>
    public string? WrapperKey { get; }

    /// <summary>The outermost object: the one written in <see cref="File"/>.</summary>
    public LintObject Outermost => Wrapper?.Outermost ?? this;

    /// <summary>"Kind namespace/name", or "Kind name" for cluster-scoped objects.</summary>
    public string Subject => Namespace is null ? $"{Kind} {Name}" : $"{Kind} {Namespace}/{Name}";

    /// <summary>Where to find it: the file and document, then each wrapper and key from the inside out.</summary>
    public string Location => Wrapper is null
        ? $"{File}#{Document}"
        : $"{Wrapper.Location} > {Wrapper.Subject} data[{WrapperKey}]" + (Document > 1 ? $"#{Document}" : "");

    public bool Is(string kind, string? group = null) => Kind == kind && (group is null || Group == group);

    public bool IsCore(string kind) => Kind == kind && ApiVersion == "v1";

    public string? Label(string key) => Labels.GetValueOrDefault(key);

    /// <summary>Follows object keys; null when any step is missing or not an object (never throws on odd YAML).</summary>
    internal static JsonNode? At(JsonNode? node, params string[] path)
    {
        foreach (var key in path)
        {
            node = (node as JsonObject)?[key];
        }

        return node;
    }

    internal static string? Text(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? (string?)v : null;

    private static Dictionary<string, string> StringMap(JsonNode? node)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node is JsonObject obj)
        {
            foreach (var (key, value) in obj)
            {
                if (value is JsonValue v)
                {
                    map[key] = v.GetValueKind() == JsonValueKind.String ? (string)v! : v.ToJsonString();
                }
            }
        }

        return map;
    }
}

/// <summary>A YAML document that is not a Kubernetes object: read as a Helm values file.</summary>
public sealed record ValuesDocument(string File, int Document, JsonObject Values)
{
    public string Location => $"{File}#{Document}";

    /// <summary>Its plain scalars whose value is spelled differently from their text (<c>0400</c> is 256).</summary>
    public IReadOnlyList<ResolvedScalar> ResolvedScalars { get; init; } = [];
}

/// <summary>
/// Everything the lint reads: Kubernetes objects (with the ones embedded in ConfigMap/Secret data values expanded
/// after their wrapper, depth first) and Helm values documents. Parsing is bounded (<see cref="YamlDocuments"/>).
/// </summary>
public sealed class LintInputSet
{
    private const int MaxEmbeddingDepth = 3;
    private static readonly string[] Extensions = [".yaml", ".yml", ".json"];

    public required IReadOnlyList<LintObject> Objects { get; init; }

    public required IReadOnlyList<ValuesDocument> ValuesDocuments { get; init; }

    /// <summary>Unreadable inputs (not UTF-8, invalid YAML, too large): each an error.</summary>
    public required IReadOnlyList<Problem> Problems { get; init; }

    /// <summary>
    /// Expands folders into their *.yaml, *.yml and *.json files (recursively, ordinal path order, skipping
    /// dot-folders such as .git). "-" stays as is.
    /// </summary>
    /// <exception cref="FileNotFoundException">A path does not exist.</exception>
    public static IReadOnlyList<string> ExpandPaths(IEnumerable<string> paths)
    {
        var result = new List<string>();
        foreach (var path in paths)
        {
            if (path == LintSource.StandardInputName || File.Exists(path))
            {
                result.Add(path);
            }
            else if (Directory.Exists(path))
            {
                result.AddRange(Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                    .Select(f => (full: f, rel: Path.GetRelativePath(path, f).Replace('\\', '/')))
                    .Where(f => Extensions.Contains(Path.GetExtension(f.full), StringComparer.OrdinalIgnoreCase))
                    .Where(f => !f.rel.Split('/').Any(segment => segment.StartsWith('.')))
                    .OrderBy(f => f.rel, StringComparer.Ordinal)
                    .Select(f => f.full));
            }
            else
            {
                throw new FileNotFoundException($"{path}: no such file or directory", path);
            }
        }

        return result;
    }

    public static LintInputSet Read(IEnumerable<LintSource> sources)
    {
        var objects = new List<LintObject>();
        var values = new List<ValuesDocument>();
        var problems = new List<Problem>();
        foreach (var source in sources)
        {
            IReadOnlyList<SourceDocument> documents;
            try
            {
                if (source.Bytes.LongLength > YamlDocuments.MaxFileBytes)
                {
                    throw new InputFileException(source.Display, $"input is {source.Bytes.LongLength} bytes; the limit is {YamlDocuments.MaxFileBytes}");
                }

                documents = YamlDocuments.Parse(source.Bytes, source.Display);
            }
            catch (InputFileException e)
            {
                problems.Add(Problem.Error(source.Display, "(file)", e.Reason));
                continue;
            }

            foreach (var document in documents)
            {
                if (document.Content is not JsonObject obj || obj.Count == 0)
                {
                    continue;
                }

                if (IsObject(obj))
                {
                    Add(new LintObject(obj, source.Display, document.Index + 1, null, null, document.ResolvedScalars), objects, 0);
                }
                else if (obj["apiVersion"] is null && obj["kind"] is null)
                {
                    values.Add(new ValuesDocument(source.Display, document.Index + 1, obj) { ResolvedScalars = document.ResolvedScalars });
                }
            }
        }

        return new LintInputSet { Objects = objects, ValuesDocuments = values, Problems = problems };
    }

    /// <summary>apiVersion and kind make a Kubernetes object (a kustomization.yaml has no name, and is one).</summary>
    private static bool IsObject(JsonObject obj) => LintObject.Text(obj["apiVersion"]) is { Length: > 0 } && LintObject.Text(obj["kind"]) is { Length: > 0 };

    private static void Add(LintObject o, List<LintObject> objects, int depth)
    {
        objects.Add(o);
        if (depth >= MaxEmbeddingDepth || !(o.IsCore("ConfigMap") || o.IsCore("Secret")))
        {
            return;
        }

        foreach (var (key, text) in DataValues(o))
        {
            if (TryParseObjects(text, o.File, out var embedded))
            {
                for (var i = 0; i < embedded.Count; i++)
                {
                    Add(new LintObject(embedded[i].Content, o.File, embedded[i].Document, o, key, embedded[i].ResolvedScalars), objects, depth + 1);
                }
            }
        }
    }

    /// <summary>A ConfigMap's data, a Secret's data (decoded from base64) and stringData, as text.</summary>
    internal static IEnumerable<(string Key, string Text)> DataValues(LintObject o)
    {
        var sections = o.IsCore("Secret") ? new[] { "data", "stringData" } : ["data"];
        foreach (var section in sections)
        {
            if (o.Content[section] is not JsonObject data)
            {
                continue;
            }

            foreach (var (key, value) in data)
            {
                var text = LintObject.Text(value);
                if (text is null)
                {
                    continue;
                }

                if (o.IsCore("Secret") && section == "data")
                {
                    text = DecodeBase64(text);
                }

                if (text is not null)
                {
                    yield return (key, text);
                }
            }
        }
    }

    private static string? DecodeBase64(string text)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Convert.FromBase64String(text.Trim()));
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>True when the text is YAML whose every non-empty document is a Kubernetes object with a name (at least one).</summary>
    private static bool TryParseObjects(string text, string file, out List<(JsonObject Content, int Document, IReadOnlyList<ResolvedScalar> ResolvedScalars)> objects)
    {
        objects = [];
        if (!text.Contains("apiVersion", StringComparison.Ordinal) || !text.Contains("kind", StringComparison.Ordinal))
        {
            return false;
        }

        IReadOnlyList<SourceDocument> documents;
        try
        {
            documents = YamlDocuments.Parse(text, file);
        }
        catch (InputFileException)
        {
            return false;
        }

        foreach (var document in documents)
        {
            if (document.Content is not JsonObject obj || !IsObject(obj) || LintObject.Text((obj["metadata"] as JsonObject)?["name"]) is not { Length: > 0 })
            {
                return false;
            }

            objects.Add((obj, document.Index + 1, document.ResolvedScalars));
        }

        return objects.Count > 0;
    }
}
