using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CapiCiliumAddon.Rendering.Yaml;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CapiCiliumAddon.Rendering.Manifests;

/// <summary>
/// The Helm release that takes Cilium over after bootstrap: <c>cilium install</c>, <c>cilium upgrade</c>, a Flux
/// HelmRelease or Argo CD with a Helm source. Helm adopts an existing object only when it already names this release.
/// </summary>
/// <param name="Name">The release name; <c>cilium install</c> and <c>cilium upgrade</c> only ever use <see cref="DefaultName"/>.</param>
/// <param name="Namespace">
/// Where the release lives: the Cilium CLI's <c>--namespace</c>, which we never pass, so its default
/// <see cref="DefaultNamespace"/>. The chart puts every namespaced object there (RenderChecks refuses any other).
/// </param>
public sealed partial record HelmReleaseIdentity(string Name, string Namespace)
{
    public const string DefaultName = "cilium";
    public const string DefaultNamespace = "kube-system";

    /// <summary>Helm's own limit: release names become label values and object name prefixes.</summary>
    public const int MaxNameLength = 53;

    public static HelmReleaseIdentity Default { get; } = new(DefaultName, DefaultNamespace);

    /// <summary>What Helm accepts as a release name: a DNS-1123 subdomain of at most 53 characters.</summary>
    public static bool IsValidName(string name) => name.Length is > 0 and <= MaxNameLength && ReleaseName().IsMatch(name);

    public override string ToString() => $"{Namespace}/{Name}";

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\z")]
    private static partial Regex ReleaseName();
}

/// <summary>
/// Helm's ownership metadata on the chart's objects, so that a Helm-based tool adopts what the ClusterResourceSet
/// created instead of refusing it ("invalid ownership metadata"). Added as a minimal text edit of each object as the
/// CLI printed it: existing lines stay byte for byte, the label and annotations are appended to the object's own
/// <c>metadata.labels</c> / <c>metadata.annotations</c> (created when absent, filled when an explicit null or <c>{}</c>).
/// Objects we generate (the pre-1.19 Hubble bootstrap Job) stay bare: no Helm upgrade may ever claim or delete them.
/// The edited text is parsed back and must equal the original object plus exactly these three entries.
/// </summary>
public static class HelmOwnership
{
    public const string ManagedByLabel = "app.kubernetes.io/managed-by";
    public const string ManagedByValue = "Helm";
    public const string ReleaseNameAnnotation = "meta.helm.sh/release-name";
    public const string ReleaseNamespaceAnnotation = "meta.helm.sh/release-namespace";

    /// <summary>The label and annotations Helm requires on an object of <paramref name="release"/>, by metadata section.</summary>
    public static IReadOnlyList<(string Section, string Key, string Value)> Entries(HelmReleaseIdentity release) =>
    [
        ("labels", ManagedByLabel, ManagedByValue),
        ("annotations", ReleaseNameAnnotation, release.Name),
        ("annotations", ReleaseNamespaceAnnotation, release.Namespace),
    ];

    /// <summary>
    /// A copy of <paramref name="manifest"/> whose chart objects carry the ownership metadata of <paramref name="release"/>,
    /// or null with the problems (each naming the object and field) when any object cannot take it.
    /// </summary>
    public static (RenderedManifest? Manifest, IReadOnlyList<Problem> Problems) Apply(RenderedManifest manifest, HelmReleaseIdentity release)
    {
        var problems = new List<Problem>();
        var objects = new List<RenderedObject>(manifest.Objects.Count);
        foreach (var o in manifest.Objects)
        {
            if (o.Origin != ObjectOrigin.Chart)
            {
                objects.Add(o);
                continue;
            }

            var edited = Edit(o, release, problems);
            if (edited is not null)
            {
                objects.Add(edited);
            }
        }

        return problems.Count > 0 ? (null, problems) : (new RenderedManifest(manifest.Subject, objects), problems);
    }

    /// <summary>
    /// Every chart object carries exactly <paramref name="release"/>'s metadata and no generated object carries any of
    /// it. With <paramref name="release"/> null (the feature turned off) nothing is required.
    /// </summary>
    public static IReadOnlyList<Problem> Check(RenderedManifest manifest, HelmReleaseIdentity? release)
    {
        var problems = new List<Problem>();
        if (release is null)
        {
            return problems;
        }

        foreach (var o in manifest.Objects)
        {
            var metadata = o.Root.GetMap("metadata");
            foreach (var (section, key, value) in Entries(release))
            {
                var actual = metadata.GetMap(section).GetString(key);
                var field = $"metadata.{section}[{key}]";
                if (o.Origin == ObjectOrigin.Chart && actual != value)
                {
                    problems.Add(Problem.Error(o.Subject, field,
                        $"Expected \"{value}\", found " + (actual is null ? "nothing" : $"\"{actual}\"") +
                        $"; without it Helm refuses to adopt the object into release {release} (\"invalid ownership metadata\") and the day-2 owner cannot take Cilium over.",
                        "Render again; do not edit the generated ConfigMap by hand."));
                }
                else if (o.Origin == ObjectOrigin.Generated && actual is not null)
                {
                    problems.Add(Problem.Error(o.Subject, field,
                        $"This object is added by capi-cilium, not rendered by the chart, yet carries \"{actual}\": a Helm upgrade of release {release} would claim it and then delete it.",
                        "Remove Helm's ownership metadata from objects that are not part of the chart."));
                }
            }
        }

        return problems;
    }

    private static RenderedObject? Edit(RenderedObject o, HelmReleaseIdentity release, List<Problem> problems)
    {
        var conflictsBefore = problems.Count;
        var metadata = o.Root.GetMap("metadata");
        var missing = new List<(string Section, string Key, string Value)>();
        foreach (var (section, key, value) in Entries(release))
        {
            var existing = metadata.GetMap(section)?.Get(key);
            if (existing is null)
            {
                missing.Add((section, key, value));
            }
            else if (existing is not YamlScalarNode scalar || YamlNodes.IsNull(scalar) || scalar.Value != value)
            {
                var shown = existing is YamlScalarNode s && !YamlNodes.IsNull(s) ? $"\"{s.Value}\"" : existing.NodeType.ToString().ToLowerInvariant();
                problems.Add(Problem.Error(o.Subject, $"metadata.{section}[{key}]",
                    $"The chart already sets {shown}, which conflicts with release {release} (\"{value}\"); capi-cilium does not overwrite chart metadata, and Helm would refuse to adopt the object as it is.",
                    $"Remove the value from the chart values that set it, or render with the release it names (--helm-release-name / {AddonKeys.HelmReleaseNameAnnotation})."));
            }
        }

        if (problems.Count > conflictsBefore)
        {
            return null;
        }

        if (missing.Count == 0)
        {
            return o;
        }

        var text = InsertEntries(o, missing, problems);
        if (text is null)
        {
            return null;
        }

        var root = ParseBack(o, text, missing, problems);
        return root is null ? null : o with { Text = text, Root = root };
    }

    /// <summary>The object's text with each missing entry added under its section of the top-level metadata block.</summary>
    private static string? InsertEntries(RenderedObject o, List<(string Section, string Key, string Value)> missing, List<Problem> problems)
    {
        var lines = o.Text.Split('\n').ToList(); // the text ends with '\n', so the last element is ""
        var metadataLine = lines.FindIndex(l => l.StartsWith("metadata:", StringComparison.Ordinal));
        if (metadataLine < 0 || lines[metadataLine].TrimEnd() != "metadata:")
        {
            problems.Add(Unsupported(o, "metadata", metadataLine < 0 ? "no top-level 'metadata:' line" : $"'{lines[metadataLine].Trim()}' is not a block mapping"));
            return null;
        }

        int BlockEnd(int from, int indent)
        {
            var end = from + 1;
            var last = from;
            for (; end < lines.Count; end++)
            {
                var line = lines[end];
                if (line.Trim().Length == 0)
                {
                    continue;
                }

                if (Indent(line) <= indent)
                {
                    break;
                }

                last = end;
            }

            return last + 1;
        }

        var metadataEnd = BlockEnd(metadataLine, 0);
        var childIndent = metadataEnd > metadataLine + 1 ? Indent(lines[metadataLine + 1]) : 2;
        var pad = new string(' ', childIndent);

        foreach (var section in new[] { "labels", "annotations" })
        {
            var entries = missing.Where(m => m.Section == section).ToList();
            if (entries.Count == 0)
            {
                continue;
            }

            metadataEnd = BlockEnd(metadataLine, 0);
            var sectionLine = -1;
            for (var i = metadataLine + 1; i < metadataEnd; i++)
            {
                if (Indent(lines[i]) == childIndent && lines[i].AsSpan(childIndent).StartsWith(section + ":", StringComparison.Ordinal))
                {
                    sectionLine = i;
                    break;
                }
            }

            if (sectionLine < 0)
            {
                var block = new List<string> { $"{pad}{section}:" };
                block.AddRange(entries.Select(e => Entry(childIndent + 2, e.Key, e.Value)));
                lines.InsertRange(metadataEnd, block);
                continue;
            }

            var rest = lines[sectionLine][(childIndent + section.Length + 1)..].Trim();
            var childrenEnd = BlockEnd(sectionLine, childIndent);
            if (rest.Length == 0 && childrenEnd > sectionLine + 1)
            {
                // A block mapping: append after its last line, at its children's indentation.
                var indent = Indent(lines[sectionLine + 1]);
                lines.InsertRange(childrenEnd, entries.Select(e => Entry(indent, e.Key, e.Value)));
            }
            else if (rest is "" or "null" or "~" or "{}")
            {
                // An explicit null (Helm prints `annotations:` with nothing after it) or an empty flow mapping.
                lines[sectionLine] = $"{pad}{section}:";
                lines.InsertRange(sectionLine + 1, entries.Select(e => Entry(childIndent + 2, e.Key, e.Value)));
            }
            else
            {
                problems.Add(Unsupported(o, $"metadata.{section}", $"'{lines[sectionLine].Trim()}' is not a block mapping"));
                return null;
            }
        }

        return string.Join('\n', lines);
    }

    /// <summary>Parses the edited text and proves it is the original object plus exactly the added entries.</summary>
    private static YamlMappingNode? ParseBack(RenderedObject o, string text, List<(string Section, string Key, string Value)> added, List<Problem> problems)
    {
        YamlMappingNode root;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            root = (YamlMappingNode)stream.Documents.Single().RootNode;
        }
        catch (Exception e) when (e is YamlException or InvalidOperationException or InvalidCastException)
        {
            problems.Add(Unsupported(o, "metadata", $"the edited text does not parse ({e.Message})"));
            return null;
        }

        var expected = (JsonObject)YamlJson.ToJson(o.Root)!;
        var metadata = (JsonObject)expected["metadata"]!;
        foreach (var (section, key, value) in added)
        {
            if (metadata[section] is not JsonObject map)
            {
                metadata[section] = map = new JsonObject();
            }

            map[key] = value;
        }

        if (!JsonNode.DeepEquals(expected, YamlJson.ToJson(root)))
        {
            problems.Add(Unsupported(o, "metadata", "the edited text does not read back as the object plus Helm's ownership metadata"));
            return null;
        }

        return root;
    }

    /// <summary>One <c>key: "value"</c> line. Keys are Kubernetes label/annotation keys (plain scalars); values are validated names, quoted so YAML never reads them as anything but strings.</summary>
    private static string Entry(int indent, string key, string value) => $"{new string(' ', indent)}{key}: \"{value}\"";

    private static int Indent(string line) => line.Length - line.TrimStart(' ').Length;

    private static Problem Unsupported(RenderedObject o, string field, string why) =>
        Problem.Error(o.Subject, field, $"Cannot add Helm's ownership metadata: {why}.",
            "Report this chart output; render with --no-helm-ownership to ship the bare chart meanwhile.");
}
