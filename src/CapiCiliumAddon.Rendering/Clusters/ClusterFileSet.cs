using System.Text.Json;
using System.Text.Json.Nodes;
using CapiCiliumAddon.Rendering.Yaml;

namespace CapiCiliumAddon.Rendering.Clusters;

/// <summary>A labelled Cluster found in the input files, with where it was found.</summary>
public sealed record ClusterSource(string Location, ClusterReadResult Read);

/// <summary>
/// The GitOps face's input: every document of the given files and folders, of which Clusters labelled
/// <c>cni: cilium</c> are selected and ConfigMaps are kept for values references. Problems are per file or per
/// Cluster, so one broken file does not stop the others from rendering.
/// </summary>
public sealed class ClusterFileSet
{
    /// <summary>The path that stands for standard input (e.g. <c>kubectl kustomize overlays/site-a | capi-cilium render -</c>).</summary>
    public const string StandardInput = "-";

    /// <summary>How messages name standard input: <c>&lt;stdin&gt;#2</c> is its second document.</summary>
    public const string StandardInputName = "<stdin>";

    private static readonly string[] Extensions = [".yaml", ".yml", ".json"];

    public required IReadOnlyList<ClusterSource> Clusters { get; init; }

    /// <summary>ConfigMaps found in the files, by namespace then name: a Cluster's values ConfigMap can sit beside it.</summary>
    public required IReadOnlyDictionary<string, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>> ConfigMaps { get; init; }

    /// <summary>Files that could not be read, and Clusters that could not be told apart.</summary>
    public required IReadOnlyList<Problem> Problems { get; init; }

    public required int FileCount { get; init; }

    /// <summary>Expands folders (recursively, in ordinal path order, so runs are reproducible).</summary>
    /// <exception cref="FileNotFoundException">A path does not exist: a usage error, reported before any work.</exception>
    public static IReadOnlyList<string> ExpandPaths(IEnumerable<string> paths)
    {
        var files = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            if (path == StandardInput)
            {
                files.Add(path);
            }
            else if (Directory.Exists(path))
            {
                foreach (var file in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories))
                {
                    if (Extensions.Contains(Path.GetExtension(file), StringComparer.OrdinalIgnoreCase))
                    {
                        files.Add(file);
                    }
                }
            }
            else if (File.Exists(path))
            {
                files.Add(path);
            }
            else
            {
                throw new FileNotFoundException($"{path}: no such file or directory", path);
            }
        }

        return files.ToList();
    }

    /// <summary>
    /// Reads every file, then resolves each selected Cluster's endpoint against all the objects read (its
    /// infrastructure cluster may sit in another file); see <see cref="EndpointResolver"/>.
    /// </summary>
    /// <param name="endpointVariable">The topology variable holding the endpoint of ClusterClass Clusters that do not name one.</param>
    /// <param name="standardInput">Opens what <see cref="StandardInput"/> reads (multi-document YAML, read once).</param>
    public static ClusterFileSet Load(IReadOnlyList<string> files, string endpointVariable = EndpointResolver.DefaultVariable, Func<Stream>? standardInput = null)
    {
        var problems = new List<Problem>();
        var selected = new List<(SourceDocument Document, JsonObject Cluster)>();
        var objects = new InputObjects();
        var configMaps = new Dictionary<string, Dictionary<string, IReadOnlyDictionary<string, string>>>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            IReadOnlyList<SourceDocument> documents;
            var name = file == StandardInput ? StandardInputName : file;
            try
            {
                documents = file == StandardInput
                    ? YamlDocuments.Parse(ReadAll(standardInput ?? Console.OpenStandardInput), StandardInputName)
                    : YamlDocuments.ReadFile(file);
            }
            catch (InputFileException e)
            {
                problems.Add(Problem.Error(name, "(file)", e.Reason));
                continue;
            }
            catch (IOException e)
            {
                problems.Add(Problem.Error(name, "(file)", e.Message));
                continue;
            }

            foreach (var document in documents)
            {
                if (document.Content is not JsonObject obj)
                {
                    continue;
                }

                objects.Add(obj, document.Location);
                if (ClusterReader.IsCluster(obj) && (HasCiliumLabel(obj) || HasMalformedLabels(obj) || HasTemplatedCniLabel(obj)))
                {
                    selected.Add((document, obj));
                }
                else if (IsConfigMap(obj) && ReadConfigMap(obj) is { } configMap)
                {
                    if (!configMaps.TryGetValue(configMap.Namespace, out var inNamespace))
                    {
                        configMaps[configMap.Namespace] = inNamespace = new(StringComparer.Ordinal);
                    }

                    inNamespace[configMap.Name] = configMap.Data;
                }
            }
        }

        var resolver = new EndpointResolver(objects, endpointVariable);
        var clusters = selected
            .Select(s => new ClusterSource(s.Document.Location,
                RefuseTemplate(s.Cluster, s.Document.Location, objects) ?? resolver.Resolve(s.Cluster, ClusterReader.Read(s.Cluster))))
            .ToList();
        return new ClusterFileSet
        {
            Clusters = RejectDuplicates(clusters, problems),
            ConfigMaps = configMaps.ToDictionary(p => p.Key, p => (IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>)p.Value, StringComparer.Ordinal),
            Problems = problems,
            FileCount = files.Count,
        };
    }

    /// <summary>
    /// A Cluster, or the infrastructure cluster it references, that still holds template variables is refused once,
    /// naming them: read as it is, each variable would fail its own field (a name, a port, a CIDR) or, worse, pass.
    /// </summary>
    private static ClusterReadResult? RefuseTemplate(JsonObject cluster, string location, InputObjects objects)
    {
        var variables = TemplateVariables.In(cluster).ToList();
        var metadata = cluster["metadata"] as JsonObject;
        var ns = Text(metadata?["namespace"]) ?? "default";
        var subject = $"{ClusterReader.Truncate(ns)}/{ClusterReader.Truncate(Text(metadata?["name"]) ?? "<unnamed>")}";
        var what = $"the Cluster ({location})";
        if (InfrastructureCluster(cluster, ns, objects) is { } infrastructure)
        {
            var more = TemplateVariables.In(infrastructure.Content).Except(variables).ToList();
            if (more.Count > 0)
            {
                variables.AddRange(more);
                what = $"{what} and the {Text(infrastructure.Content["kind"])} it references ({infrastructure.Location})";
            }
        }

        return variables.Count == 0 ? null : new ClusterReadResult(null, [TemplateVariables.Problem(subject, TemplateVariables.TemplateField, what, variables)]);
    }

    /// <summary>The one object of the inputs that the Cluster's spec.infrastructureRef names, if there is exactly one.</summary>
    private static InputObject? InfrastructureCluster(JsonObject cluster, string clusterNamespace, InputObjects objects)
    {
        if (cluster["spec"] is not JsonObject spec || spec["infrastructureRef"] is not JsonObject reference
            || Text(reference["kind"]) is not { } kind || Text(reference["name"]) is not { } name)
        {
            return null;
        }

        var group = Text(reference["apiGroup"]) ?? InputObjects.GroupOf(Text(reference["apiVersion"]) ?? "");
        return objects.Find(new ObjectReference(group, kind, Text(reference["namespace"]) ?? clusterNamespace, name)) is [var only] ? only : null;
    }

    private static string? Text(JsonNode? node) => node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? (string?)value : null;

    /// <summary>Standard input, read once, refused past the size a file may have.</summary>
    private static byte[] ReadAll(Func<Stream> open)
    {
        using var stream = open();
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > YamlDocuments.MaxFileBytes)
            {
                throw new InputFileException(StandardInputName, $"input is more than {YamlDocuments.MaxFileBytes} bytes, the limit");
            }
        }

        return buffer.ToArray();
    }

    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> ConfigMapsIn(string @namespace) =>
        ConfigMaps.TryGetValue(@namespace, out var found) ? found : new Dictionary<string, IReadOnlyDictionary<string, string>>();

    /// <summary>
    /// The ClusterResourceSet selects by a label unique to one Cluster. Cluster API does not set one, and rendering
    /// does not edit the user's files, so a Cluster without it (or with another Cluster's value) is refused with the
    /// fix: the label itself, or the command that adds it in place.
    /// </summary>
    public static Problem? CheckSelectorLabel(ClusterFacts cluster, string location)
    {
        var (key, value) = AddonKeys.SelectorLabelFor(cluster.Name);
        if (cluster.Labels.TryGetValue(key, out var actual) && actual == value)
        {
            return null;
        }

        var found = actual is null ? "it is missing" : $"it is '{actual}', which would select another Cluster";
        return Problem.Error(cluster.Key, $"metadata.labels[{key}]",
            $"the ClusterResourceSet selects this Cluster by this label, and {found} (in {location})",
            actual is null
                ? $"add the label `{key}: {value}` to the Cluster, or run `capi-cilium label <your Cluster files>` to add it in place"
                : $"set the label to `{key}: {value}`");
    }

    /// <summary>True for an object labelled <c>cni: cilium</c>: the Clusters every command handles.</summary>
    public static bool HasCiliumLabel(JsonObject obj) =>
        (obj["metadata"] as JsonObject)?["labels"] is JsonObject labels
        && labels[AddonKeys.CniLabel] is JsonValue label
        && label.GetValueKind() == JsonValueKind.String
        && (string?)label == AddonKeys.CniLabelValue;

    /// <summary>A template whose <c>cni</c> label is itself a variable may become ours: it is read, and refused as a template.</summary>
    private static bool HasTemplatedCniLabel(JsonObject obj) =>
        (obj["metadata"] as JsonObject)?["labels"] is JsonObject labels && TemplateVariables.In(labels[AddonKeys.CniLabel]).Count > 0;

    /// <summary>
    /// A Cluster whose metadata or labels are not maps cannot be told to be ours or not; it is read (and refused with
    /// the field named) rather than skipped silently or, worse, crashing the whole run on an indexer.
    /// </summary>
    private static bool HasMalformedLabels(JsonObject obj) =>
        obj["metadata"] is { } metadata && (metadata is not JsonObject || metadata["labels"] is { } labels && labels is not JsonObject);

    private static bool IsConfigMap(JsonObject obj) => (string?)obj["apiVersion"] == "v1" && (string?)obj["kind"] == "ConfigMap";

    private static (string Namespace, string Name, IReadOnlyDictionary<string, string> Data)? ReadConfigMap(JsonObject obj)
    {
        if ((obj["metadata"] as JsonObject)?["name"] is not JsonValue name || name.GetValueKind() != JsonValueKind.String)
        {
            return null;
        }

        var ns = (obj["metadata"] as JsonObject)?["namespace"] is JsonValue n && n.GetValueKind() == JsonValueKind.String ? (string)n! : "default";
        var data = new Dictionary<string, string>(StringComparer.Ordinal);
        if (obj["data"] is JsonObject values)
        {
            foreach (var (key, value) in values)
            {
                if (value?.GetValueKind() == JsonValueKind.String)
                {
                    data[key] = (string)value!;
                }
            }
        }

        return (ns, (string)name!, data);
    }

    /// <summary>Two Clusters with one namespace/name would both claim the same output files: neither is rendered.</summary>
    private static List<ClusterSource> RejectDuplicates(List<ClusterSource> clusters, List<Problem> problems)
    {
        var kept = new List<ClusterSource>();
        foreach (var group in clusters.GroupBy(c => c.Read.Facts?.Key ?? c.Location, StringComparer.Ordinal))
        {
            var sources = group.ToList();
            if (sources.Count > 1 && sources[0].Read.Facts is { } facts)
            {
                problems.Add(Problem.Error(facts.Key, "metadata.name",
                    $"defined {sources.Count} times ({string.Join(", ", sources.Select(s => s.Location))}); a Cluster must be defined once",
                    "remove or rename the duplicates"));
                continue;
            }

            kept.AddRange(sources);
        }

        return kept;
    }
}
