using System.Text;
using CapiCiliumAddon.Rendering.Yaml;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CapiCiliumAddon.Rendering.Review;

/// <summary>
/// Reads Kubernetes objects from a YAML/JSON file or a directory tree (every *.yaml, *.yml, *.json, recursively, in
/// ordinal path order, skipping dot-folders), multi-document. Any ConfigMap or Secret data value that parses as one or
/// more Kubernetes objects is expanded into embedded objects, whatever the wrapper is called.
/// </summary>
public static class ManifestLoader
{
    /// <summary>The marker that replaces an expanded data value in its wrapper.</summary>
    internal const string ExpandedMarker = "(expanded into embedded objects)";

    private static readonly string[] Extensions = [".yaml", ".yml", ".json"];

    public static ManifestLoadResult Load(string path)
    {
        var problems = new List<Problem>();
        var objects = new List<ManifestObject>();
        IEnumerable<string> files;
        if (File.Exists(path))
        {
            files = [path];
        }
        else if (Directory.Exists(path))
        {
            files = ListFiles(path);
        }
        else
        {
            problems.Add(Problem.Error(path, "", "no such file or directory"));
            return new(objects, problems);
        }

        foreach (var file in files)
        {
            LoadFile(file, objects, problems);
        }

        var seen = new HashSet<ObjectIdentity>();
        var unique = new List<ManifestObject>();
        foreach (var o in objects)
        {
            if (seen.Add(o.Identity))
            {
                unique.Add(o);
            }
            else
            {
                problems.Add(Problem.Warning($"{o.SourceFile}:{o.Line}", "", $"duplicate object {o.Identity}; only the first one is compared"));
            }
        }
        if (unique.Count == 0 && !problems.Any(p => p.Severity == ProblemSeverity.Error))
        {
            // An empty side makes "No differences." or "everything removed" meaningless: say so.
            problems.Add(Problem.Warning(path, "", "no Kubernetes objects found"));
        }
        return new(unique, problems);
    }

    private static IEnumerable<string> ListFiles(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => (full: f, rel: Path.GetRelativePath(root, f).Replace('\\', '/')))
            .Where(f => Extensions.Contains(Path.GetExtension(f.full).ToLowerInvariant()))
            .Where(f => !f.rel.Split('/').Any(segment => segment.StartsWith('.')))
            .OrderBy(f => f.rel, StringComparer.Ordinal)
            .Select(f => f.full)
            .ToList();

    private static void LoadFile(string file, List<ManifestObject> objects, List<Problem> problems)
    {
        string text;
        try
        {
            text = File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problems.Add(Problem.Error(file, "", e.Message));
            return;
        }

        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            var message = (e.InnerException?.Message ?? e.Message).Trim();
            problems.Add(Problem.Error($"{file}:{e.Start.Line}:{e.Start.Column}", "", $"invalid YAML: {message}"));
            return;
        }

        var documentNumber = 0;
        foreach (var document in stream.Documents)
        {
            documentNumber++;
            var root = document.RootNode;
            if (IsEmptyDocument(root))
            {
                continue;
            }
            var line = (int)root.Start.Line;
            YMap? map;
            try
            {
                map = YamlTree.Convert(YamlJson.ToJson(root)) as YMap;
            }
            catch (YamlValueException e)
            {
                problems.Add(Problem.Error($"{file}:{e.At.Line}:{e.At.Column}", "", $"invalid YAML: {e.Message}"));
                continue;
            }
            if (map is not null && IsKustomizeFile(map))
            {
                // A kustomization.yaml (ours lists the files of a Cluster folder) builds objects; it is not one.
                continue;
            }

            if (map is not null && TryIdentity(map, "", out var identity))
            {
                if (identity.Kind.EndsWith("List", StringComparison.Ordinal) && map.Get("items") is YSeq listItems)
                {
                    AddListItems(listItems, file, line, objects, problems);
                    continue;
                }
                Add(new ManifestObject(identity, file, line, map), objects);
            }
            else if (map is not null && map.Get("items") is YSeq items && map.GetText("kind")?.EndsWith("List", StringComparison.Ordinal) == true)
            {
                AddListItems(items, file, line, objects, problems);
            }
            else
            {
                problems.Add(Problem.Warning($"{file}:{line}", "", $"document {documentNumber} is not a Kubernetes object (needs apiVersion, kind and metadata.name); ignored"));
            }
        }
    }

    private static void AddListItems(YSeq items, string file, int line, List<ManifestObject> objects, List<Problem> problems)
    {
        foreach (var item in items.Items)
        {
            if (item is YMap m && TryIdentity(m, "", out var id))
            {
                Add(new ManifestObject(id, file, line, m), objects);
            }
            else
            {
                problems.Add(Problem.Warning($"{file}:{line}", "items", "a list item is not a Kubernetes object; ignored"));
            }
        }
    }

    /// <summary>Adds an object, then (depth first) the objects embedded in its data values.</summary>
    private static void Add(ManifestObject o, List<ManifestObject> objects)
    {
        objects.Add(o);
        foreach (var embedded in Expand(o))
        {
            Add(embedded, objects);
        }
    }

    private static List<ManifestObject> Expand(ManifestObject wrapper)
    {
        var result = new List<ManifestObject>();
        var id = wrapper.Identity;
        if (id.ApiVersion != "v1" || id.Kind is not ("ConfigMap" or "Secret"))
        {
            return result;
        }
        var scope = id.Scope.Length == 0 ? id.Display : $"{id.Display} in {id.Scope}";
        foreach (var field in id.Kind == "Secret" ? new[] { "data", "stringData" } : ["data"])
        {
            if (wrapper.Root.Get(field) is not YMap data)
            {
                continue;
            }
            var base64 = id.Kind == "Secret" && field == "data";
            foreach (var (key, value) in data.Entries.ToList())
            {
                if (value is not YScalar scalar)
                {
                    continue;
                }
                var text = base64 ? DecodeBase64(scalar.Text) : scalar.Text;
                if (text is null || !TryParseObjects(text, out var roots))
                {
                    continue;
                }
                foreach (var root in roots)
                {
                    TryIdentity(root, scope, out var embeddedId);
                    result.Add(new ManifestObject(embeddedId, wrapper.SourceFile, wrapper.Line, root));
                }
                data.Set(key, new YScalar(ExpandedMarker));
            }
        }
        return result;
    }

    private static string? DecodeBase64(string text)
    {
        try
        {
            var bytes = Convert.FromBase64String(text.Trim());
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>True when the text is YAML whose every non-empty document is a Kubernetes object (at least one).</summary>
    private static bool TryParseObjects(string text, out List<YMap> roots)
    {
        roots = [];
        if (!text.Contains("apiVersion", StringComparison.Ordinal) || !text.Contains("kind", StringComparison.Ordinal))
        {
            return false;
        }
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException)
        {
            return false;
        }
        foreach (var document in stream.Documents)
        {
            if (IsEmptyDocument(document.RootNode))
            {
                continue;
            }
            YNode tree;
            try
            {
                tree = YamlTree.Convert(YamlJson.ToJson(document.RootNode));
            }
            catch (YamlValueException)
            {
                return false;
            }
            if (tree is not YMap map || !TryIdentity(map, "", out _))
            {
                return false;
            }
            roots.Add(map);
        }
        return roots.Count > 0;
    }

    private static bool IsEmptyDocument(YamlNode? root) => root is null || (root is YamlScalarNode s && YamlScalars.IsNull(s));

    private static bool IsKustomizeFile(YMap map) =>
        map.GetText("apiVersion")?.StartsWith("kustomize.config.k8s.io/", StringComparison.Ordinal) == true
        && map.GetText("kind") is "Kustomization" or "Component";

    private static bool TryIdentity(YMap map, string scope, out ObjectIdentity identity)
    {
        var apiVersion = map.GetText("apiVersion");
        var kind = map.GetText("kind");
        var metadata = map.Get("metadata") as YMap;
        var name = metadata?.GetText("name");
        identity = new ObjectIdentity(apiVersion ?? "", kind ?? "", metadata?.GetText("namespace") ?? "", name ?? "", scope);
        return !string.IsNullOrEmpty(apiVersion) && !string.IsNullOrEmpty(kind) && !string.IsNullOrEmpty(name);
    }
}
