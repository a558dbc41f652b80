using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CapiCiliumAddon.Rendering.Manifests;
using CapiCiliumAddon.Rendering.Settings;

namespace CapiCiliumAddon.Rendering.Addons;

/// <summary>
/// One object we create, as JSON (for server-side apply) and as deterministic YAML (for files). The YAML is written,
/// and read back to verify it, on first use only: the controller applies the JSON and never needs it, which saves a
/// serialisation and a parse of the whole render per Cluster. Do not mutate <see cref="Json"/>.
/// </summary>
public sealed class AddonObject(string apiVersion, string kind, string name, JsonObject json)
{
    private readonly Lazy<string> yaml = new(() => KubeYamlWriter.Write(json));

    public string ApiVersion { get; } = apiVersion;

    public string Kind { get; } = kind;

    public string Name { get; } = name;

    public JsonObject Json { get; } = json;

    public string Yaml => yaml.Value;
}

/// <summary>
/// The objects for one Cluster in apply order: ConfigMap part(s), then the Secret part(s) if the render had Secrets,
/// then the ClusterResourceSet. <see cref="Problems"/> holds warnings on success, errors (and no objects) on failure.
/// </summary>
public sealed record AddonObjects(IReadOnlyList<AddonObject> Objects, IReadOnlyList<Problem> Problems)
{
    /// <summary>The Helm values the render was made with, for the day-2 owner; written beside the objects, never applied.</summary>
    public HelmValuesFile? HelmValues { get; init; }

    public bool Succeeded => Objects.Count > 0 && Problems.All(p => p.Severity != ProblemSeverity.Error);

    /// <summary>All objects as one YAML stream, each preceded by <c>---</c>.</summary>
    public string ToYaml()
    {
        var sb = new StringBuilder();
        foreach (var o in Objects)
        {
            sb.Append("---\n").Append(o.Yaml);
        }

        return sb.ToString();
    }
}

/// <summary>
/// Turns a checked render into the ConfigMap(s), Secret(s) and ClusterResourceSet we ship (DESIGN.md §5).
/// The pipeline: <see cref="RenderedManifest.Parse"/> → <see cref="RenderChecks.Check"/> →
/// <see cref="HubbleCertificates.EnsureBootstrapJob"/> → <see cref="Build"/>.
/// </summary>
public static class AddonObjectsBuilder
{
    public static AddonObjects Build(
        AddonIdentity identity,
        RenderedManifest manifest,
        IReadOnlyDictionary<string, string> annotations,
        AddonLimits limits)
    {
        var problems = new List<Problem>();
        var crsName = AddonNames.ClusterResourceSet(identity.ClusterName);
        var subject = $"{identity.Namespace}/{identity.ClusterName}";
        ValidateIdentity(identity, subject, problems);
        if (manifest.Objects.Count == 0)
        {
            problems.Add(Problem.Error(subject, "manifest", "The render holds no objects; nothing to ship."));
        }

        // Sorted keys are the apply order within each part, and parts are filled in key order, so the
        // ClusterResourceSet applies objects in install order across parts too. Secrets never go into a ConfigMap:
        // they ship in Secret parts, which the ClusterResourceSet lists after every ConfigMap.
        var secrets = manifest.Objects.Where(IsSecret).ToList();
        var entries = manifest.Objects
            .Select(o => (Key: AddonNames.DataKey(o.Kind, o.Namespace, o.Name), Obj: o))
            .OrderBy(e => e.Key, StringComparer.Ordinal)
            .ToList();
        foreach (var duplicate in entries.GroupBy(e => e.Key, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            problems.Add(Problem.Error(duplicate.First().Obj.Subject, "metadata.name",
                $"{string.Join(" and ", duplicate.Select(e => e.Obj.Subject))} share the data key {duplicate.Key}; a ClusterResourceSet would apply only one of them."));
        }

        var withKeys = HubbleCertificates.SecretsWithPrivateKeys(manifest);
        foreach (var (secret, fields) in withKeys)
        {
            problems.Add(Problem.Warning(secret.Subject, string.Join(", ", fields),
                $"The render contains private keys; they are shipped in Secret {identity.Namespace}/{AddonNames.Secret(identity.ClusterName)} " +
                "(never in a ConfigMap), and every render makes new ones, so the output is not reproducible.",
                "Render with hubble.tls.auto.method=cronJob."));
        }

        foreach (var secret in secrets.Where(s => withKeys.All(p => p.Secret != s)))
        {
            problems.Add(Problem.Warning(secret.Subject, "kind",
                $"The render contains a Secret; it is shipped in Secret {identity.Namespace}/{AddonNames.Secret(identity.ClusterName)}, never in a ConfigMap."));
        }

        var metadataTemplate = (string name) => Metadata(identity, name, annotations);
        var configMaps = Pack(entries.Where(e => !IsSecret(e.Obj)).ToList(), limits, problems,
            part => AddonNames.ConfigMap(identity.ClusterName, part),
            (name, data) => ConfigMap(metadataTemplate(name), data),
            text => text);
        var secretParts = Pack(entries.Where(e => IsSecret(e.Obj)).ToList(), limits, problems,
            part => AddonNames.Secret(identity.ClusterName, part),
            (name, data) => ResourceSetSecret(metadataTemplate(name), data),
            text => Convert.ToBase64String(Encoding.UTF8.GetBytes(text)));

        var resources = configMaps.Select(c => ("ConfigMap", c.Name)).Concat(secretParts.Select(s => ("Secret", s.Name))).ToList();
        if (resources.Count > limits.MaxResources)
        {
            problems.Add(Problem.Error($"ClusterResourceSet {identity.Namespace}/{crsName}", "spec.resources",
                $"The render needs {resources.Count} ConfigMaps/Secrets, more than the {limits.MaxResources} a ClusterResourceSet may list."));
        }

        if (problems.Any(p => p.Severity == ProblemSeverity.Error))
        {
            return new AddonObjects([], problems);
        }

        var crs = new JsonObject
        {
            ["apiVersion"] = AddonNames.ClusterResourceSetApiVersion,
            ["kind"] = "ClusterResourceSet",
            ["metadata"] = metadataTemplate(crsName),
            ["spec"] = new JsonObject
            {
                ["strategy"] = "ApplyOnce",
                ["clusterSelector"] = new JsonObject
                {
                    ["matchLabels"] = new JsonObject { [identity.SelectorLabel.Key] = identity.SelectorLabel.Value },
                },
                ["resources"] = new JsonArray(resources
                    .Select(r => (JsonNode)new JsonObject { ["name"] = r.Item2, ["kind"] = r.Item1 }).ToArray()),
            },
        };

        var objects = configMaps.Concat(secretParts).Select(p => p.Object).Append(crs)
            .Select(j => new AddonObject(
                j["apiVersion"]!.GetValue<string>(), j["kind"]!.GetValue<string>(), j["metadata"]!["name"]!.GetValue<string>(), j))
            .ToList();
        return new AddonObjects(objects, problems);
    }

    private static bool IsSecret(RenderedObject o) => o.Kind == "Secret" && o.Group.Length == 0;

    /// <summary>The rules our object names and labels must follow, for <paramref name="identity"/>; adds an error per broken rule.</summary>
    internal static void ValidateIdentity(AddonIdentity identity, string subject, List<Problem> problems)
    {
        if (string.IsNullOrEmpty(identity.Namespace) || string.IsNullOrEmpty(identity.ClusterName))
        {
            problems.Add(Problem.Error(subject, "metadata", "The Cluster's namespace and name are both required: our objects live beside the Cluster."));
        }

        if (string.IsNullOrEmpty(identity.SelectorLabel.Key) || string.IsNullOrEmpty(identity.SelectorLabel.Value))
        {
            problems.Add(Problem.Error(subject, "spec.clusterSelector.matchLabels",
                "The selector label needs a key and a value: an empty selector matches no Cluster."));
        }

        if (identity.ClusterName.Length > 63)
        {
            problems.Add(Problem.Error(subject, $"metadata.labels[{AddonNames.ClusterNameLabel}]",
                $"The cluster name has {identity.ClusterName.Length} characters; a label value may have at most 63."));
        }

        if (AddonNames.Secret(identity.ClusterName, 99).Length > 253)
        {
            problems.Add(Problem.Error(subject, "metadata.name", "The cluster name is too long to derive object names (at most 253 characters)."));
        }
    }

    private static JsonObject Metadata(AddonIdentity identity, string name, IReadOnlyDictionary<string, string> annotations)
    {
        var labels = new JsonObject();
        foreach (var (k, v) in AddonNames.Labels(identity.ClusterName).OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            labels[k] = v;
        }

        var metadata = new JsonObject { ["name"] = name, ["namespace"] = identity.Namespace, ["labels"] = labels };
        if (annotations.Count > 0)
        {
            var a = new JsonObject();
            foreach (var (k, v) in annotations.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                a[k] = v;
            }

            metadata["annotations"] = a;
        }

        return metadata;
    }

    private static JsonObject ConfigMap(JsonObject metadata, JsonObject data) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "ConfigMap",
        ["metadata"] = metadata,
        ["data"] = data,
    };

    private static JsonObject ResourceSetSecret(JsonObject metadata, JsonObject data) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Secret",
        ["metadata"] = metadata,
        ["type"] = AddonNames.ResourceSetSecretType,
        ["data"] = data,
    };

    /// <summary>
    /// Fills parts in order, starting a new part when the next object would push the current one past the limit.
    /// Size is the larger of the YAML and the JSON serialisation, so neither the files nor the API request exceed it.
    /// A data entry adds the same bytes wherever it sits (plus a JSON comma), so each entry is measured once, alone,
    /// instead of re-serialising the growing part for every entry; each finished part is then measured exactly.
    /// </summary>
    private static List<(string Name, JsonObject Object)> Pack(
        List<(string Key, RenderedObject Obj)> entries,
        AddonLimits limits,
        List<Problem> problems,
        Func<int, string> partName,
        Func<string, JsonObject, JsonObject> makeObject,
        Func<string, string> encode)
    {
        var parts = new List<(string Name, JsonObject Object)>();
        var current = new List<(string Key, string Value)>();
        var emptySize = 0;
        var currentSize = 0;

        JsonObject Make(int part, IEnumerable<(string Key, string Value)> items)
        {
            var data = new JsonObject();
            foreach (var (k, v) in items)
            {
                data[k] = v;
            }

            return makeObject(partName(part), data);
        }

        void StartPart()
        {
            current = [];
            emptySize = Size(Make(parts.Count + 1, []));
            currentSize = emptySize;
        }

        void FinishPart()
        {
            var part = Make(parts.Count + 1, current);
            var exact = Size(part);
            if (exact > limits.MaxConfigMapBytes)
            {
                // The estimate is an upper bound; reaching this means the serialisers changed behaviour.
                problems.Add(Problem.Error(partName(parts.Count + 1), "data",
                    $"Packed to an estimated {currentSize} bytes but serialises to {exact}, more than the limit of {limits.MaxConfigMapBytes}."));
            }

            parts.Add((partName(parts.Count + 1), part));
        }

        StartPart();
        foreach (var (key, obj) in entries)
        {
            var item = (key, encode(obj.Text));
            var alone = Size(Make(parts.Count + 1, [item]));
            if (alone > limits.MaxConfigMapBytes)
            {
                problems.Add(Problem.Error(obj.Subject, "",
                    $"This object alone makes a {alone}-byte ConfigMap/Secret, more than the limit of {limits.MaxConfigMapBytes} bytes; it cannot be shipped by a ClusterResourceSet.",
                    "Reduce the object (e.g. move large Envoy or extra configuration to day-2 GitOps)."));
                continue;
            }

            var added = alone - emptySize + 1;
            if (current.Count > 0 && currentSize + added > limits.MaxConfigMapBytes)
            {
                FinishPart();
                StartPart();
                added = Size(Make(parts.Count + 1, [item])) - emptySize + 1;
            }

            current.Add(item);
            currentSize += added;
        }

        if (current.Count > 0)
        {
            FinishPart();
        }

        return parts;
    }

    /// <summary>The larger of the object's YAML and JSON sizes in UTF-8 bytes, counted without making either text.</summary>
    private static int Size(JsonObject o)
    {
        var json = jsonCounter ??= new ByteCounter();
        json.Reset();
        using (var writer = new Utf8JsonWriter(json))
        {
            // The same output as ToJsonString(): default options, default encoder.
            o.WriteTo(writer);
        }

        return Math.Max(KubeYamlWriter.Utf8Length(o), json.Count);
    }

    [ThreadStatic]
    private static ByteCounter? jsonCounter;

    /// <summary>An <see cref="IBufferWriter{T}"/> that only counts what is written into one reused buffer.</summary>
    private sealed class ByteCounter : IBufferWriter<byte>
    {
        private byte[] buffer = new byte[64 * 1024];

        public int Count { get; private set; }

        public void Reset() => Count = 0;

        public void Advance(int count) => Count += count;

        public Memory<byte> GetMemory(int sizeHint = 0) => Buffer(sizeHint);

        public Span<byte> GetSpan(int sizeHint = 0) => Buffer(sizeHint);

        private byte[] Buffer(int sizeHint)
        {
            if (sizeHint > buffer.Length)
            {
                buffer = new byte[Math.Max(sizeHint, buffer.Length * 2)];
            }

            return buffer;
        }
    }
}
