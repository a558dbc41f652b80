using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CapiCiliumAddon.Rendering.Clusters;
using CapiCiliumAddon.Rendering.Output;
using CapiCiliumAddon.Rendering.Review;
using CapiCiliumAddon.Rendering.Yaml;

namespace CapiCiliumAddon.Rendering.Labelling;

/// <summary>Which Clusters of the files to label.</summary>
/// <param name="Clusters">
/// null: every Cluster labelled <c>cni: cilium</c>. Otherwise only these (<c>namespace/name</c>), and a named Cluster
/// without a <c>cni</c> label is opted in: it gets <c>cni: cilium</c> too.
/// </param>
public sealed record LabelSelection(IReadOnlySet<string>? Clusters)
{
    public static readonly LabelSelection CiliumClusters = new((IReadOnlySet<string>?)null);
}

/// <summary>What labelling one file would do. Nothing is written until <see cref="SelectorLabeller.Write"/>.</summary>
/// <param name="Original">The file's bytes as read.</param>
/// <param name="Edited">The new bytes, or null when the file stays as it is (nothing to add, or refused).</param>
/// <param name="Labelled">Clusters that get labels (namespace/name).</param>
/// <param name="AlreadyLabelled">Selected Clusters that already carry the right labels.</param>
/// <param name="Selected">Every selected Cluster of the file.</param>
/// <param name="Problems">Errors leave the whole file byte-for-byte as it was.</param>
public sealed record LabelledFile(string Path, byte[] Original, byte[]? Edited, IReadOnlyList<string> Labelled,
    IReadOnlyList<string> AlreadyLabelled, IReadOnlyList<string> Selected, IReadOnlyList<Problem> Problems)
{
    public bool IsRefused => Problems.Any(p => p.Severity == ProblemSeverity.Error);

    public bool IsChanged => Edited is not null;
}

/// <summary>
/// Adds the per-Cluster selector label (<see cref="AddonKeys.ClusterNameLabel"/>) to the Clusters in a user's files,
/// in place, as the smallest text edit: the YAML parser says where the labels map is, and new lines are inserted
/// into the text, so comments, key order, quoting, blank lines, document separators and line endings stay as they
/// were (nothing is re-serialised). What it cannot extend safely (a flow map over several lines, an anchored or
/// aliased map, JSON) is refused and the file left as it was. Every edit is checked by reading the result back: the
/// documents must be the same except for the added labels.
/// </summary>
public static class SelectorLabeller
{
    private static readonly byte[] Utf8Bom = [0xEF, 0xBB, 0xBF];
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>YAML 1.1 readers (kubectl's among them) take these plain scalars as booleans or null, not strings.</summary>
    private static readonly HashSet<string> NonStringWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "y", "n", "yes", "no", "on", "off", "true", "false", "null",
    };

    /// <summary>Plans the edit of one file from its bytes (pure: reads and writes nothing).</summary>
    public static LabelledFile Plan(string path, byte[] bytes, LabelSelection selection)
    {
        var labelled = new List<string>();
        var already = new List<string>();
        var selected = new List<string>();
        var problems = new List<Problem>();
        LabelledFile Result(byte[]? edited) => new(path, bytes, edited, labelled, already, selected, problems);

        if (bytes.Length > YamlDocuments.MaxFileBytes)
        {
            problems.Add(Problem.Error(path, "(file)", $"file is {bytes.Length} bytes; the limit is {YamlDocuments.MaxFileBytes}"));
            return Result(null);
        }

        var bom = bytes.AsSpan().StartsWith(Utf8Bom) ? Utf8Bom.Length : 0;
        string text;
        IReadOnlyList<PositionedDocument> documents;
        try
        {
            text = StrictUtf8.GetString(bytes, bom, bytes.Length - bom);
            documents = YamlDocuments.ParseWithPositions(text, path);
        }
        catch (DecoderFallbackException)
        {
            problems.Add(Problem.Error(path, "(file)", "file is not valid UTF-8"));
            return Result(null);
        }
        catch (InputFileException e)
        {
            problems.Add(Problem.Error(path, "(file)", e.Reason));
            return Result(null);
        }

        var isJson = System.IO.Path.GetExtension(path).Equals(".json", StringComparison.OrdinalIgnoreCase);
        var editor = new TextEditor(text);
        var expected = documents.Select(d => d.Document?.Content?.DeepClone()).ToList();
        for (var i = 0; i < documents.Count; i++)
        {
            if (documents[i].Document is not { Content: JsonObject cluster } document || !ClusterReader.IsCluster(cluster))
            {
                continue;
            }

            var metadata = cluster["metadata"] as JsonObject;
            if (StringAt(metadata, "name") is not { } name)
            {
                if (selection.Clusters is null && ClusterFileSet.HasCiliumLabel(cluster))
                {
                    problems.Add(Problem.Error(document.Location, "metadata.name", "is missing; a Cluster needs a name to be labelled"));
                }

                continue;
            }

            var key = $"{StringAt(metadata, "namespace") ?? "default"}/{name}";
            if (!(selection.Clusters?.Contains(key) ?? ClusterFileSet.HasCiliumLabel(cluster)))
            {
                continue;
            }

            selected.Add(key);
            if (LabelsToAdd(metadata!, name, selection, key, document.Location, problems) is not { } labels)
            {
                continue;
            }

            if (labels.Count == 0)
            {
                already.Add(key);
                continue;
            }

            var fix = $"add {string.Join(" and ", labels.Select(l => $"`{l.Key}: {l.Value}`"))} to metadata.labels by hand";
            if (isJson)
            {
                problems.Add(Problem.Error(key, "metadata.labels",
                    $"{path} is JSON, which this command does not edit (its layout is usually a generator's: add the label where the file is generated) (in {document.Location})", fix));
                continue;
            }

            if (editor.AddLabels(documents[i].Yaml, labels) is { } refusal)
            {
                problems.Add(Problem.Error(key, refusal.Field, $"{refusal.Reason} (in {document.Location})", fix));
                continue;
            }

            labelled.Add(key);
            var expectedMetadata = (JsonObject)expected[i]!["metadata"]!;
            if (expectedMetadata["labels"] is not JsonObject expectedLabels)
            {
                expectedMetadata["labels"] = expectedLabels = [];
            }

            foreach (var (labelKey, value) in labels)
            {
                expectedLabels[labelKey] = value;
            }
        }

        if (problems.Any(p => p.Severity == ProblemSeverity.Error))
        {
            labelled.Clear();
            return Result(null);
        }

        if (labelled.Count == 0)
        {
            return Result(null);
        }

        var edited = editor.Apply();
        if (!ReadsAsExpected(edited, path, expected))
        {
            problems.Add(Problem.Error(path, "(file)",
                "the edit would change more than the labels, so the file is left as it was",
                $"add {AddonKeys.ClusterNameLabel}: <the Cluster's name> to each Cluster by hand"));
            labelled.Clear();
            return Result(null);
        }

        return Result([.. bytes.AsSpan(0, bom), .. Encoding.UTF8.GetBytes(edited)]);
    }

    /// <summary>
    /// Writes an edited file atomically, keeping its permissions (through a symbolic link, the file it points at).
    /// Refuses when the file changed since it was read, rather than overwrite someone else's edit.
    /// </summary>
    public static void Write(LabelledFile file)
    {
        var edited = file.Edited ?? throw new InvalidOperationException($"{file.Path} has no edit to write");
        var target = new FileInfo(file.Path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? file.Path;
        if (!File.ReadAllBytes(target).AsSpan().SequenceEqual(file.Original))
        {
            throw new IOException($"{file.Path} changed while it was being labelled; nothing was written to it, run the command again");
        }

        AtomicFile.WriteAllBytes(target, edited, keepMode: true);
    }

    /// <summary>The edit as a unified diff (three lines of context).</summary>
    public static string UnifiedDiff(LabelledFile file, ILineDiffer differ)
    {
        var edited = file.Edited ?? throw new InvalidOperationException($"{file.Path} has no edit to show");
        // git's a/ and b/ prefixes for the usual relative paths, so `git apply` takes the diff as it is.
        var path = file.Path.Replace('\\', '/');
        var (old, @new) = System.IO.Path.IsPathRooted(file.Path) ? (path, path) : ($"a/{path}", $"b/{path}");
        var text = new StringBuilder($"--- {old}\n+++ {@new}\n");
        foreach (var hunk in DiffHunk.From(differ.Diff(Encoding.UTF8.GetString(file.Original), Encoding.UTF8.GetString(edited)), context: 3))
        {
            text.Append(hunk.Header).Append('\n');
            foreach (var line in hunk.Lines)
            {
                var marker = line.Kind switch
                {
                    DiffLineKind.Inserted => '+',
                    DiffLineKind.Deleted => '-',
                    _ => ' ',
                };
                text.Append(marker).Append(line.Text.TrimEnd('\r')).Append('\n');
            }
        }

        return text.ToString();
    }

    /// <summary>
    /// The labels a selected Cluster lacks, in the order they are added; empty when it has them all; null (with a
    /// problem) when a label it has must not be changed by a tool.
    /// </summary>
    private static List<KeyValuePair<string, string>>? LabelsToAdd(JsonObject metadata, string name, LabelSelection selection, string key,
        string location, List<Problem> problems)
    {
        var node = metadata["labels"];
        if (node is not null and not JsonObject)
        {
            problems.Add(Problem.Error(key, "metadata.labels", $"must be a map, got {ClusterReader.Truncate(node.ToJsonString())} (in {location})"));
            return null;
        }

        var labels = (JsonObject?)node;
        var add = new List<KeyValuePair<string, string>>();
        if (selection.Clusters is not null)
        {
            switch (labels?[AddonKeys.CniLabel])
            {
                case null:
                    add.Add(new(AddonKeys.CniLabel, AddonKeys.CniLabelValue));
                    break;
                case JsonValue cni when cni.GetValueKind() == JsonValueKind.String && (string)cni! == AddonKeys.CniLabelValue:
                    break;
                case var other:
                    problems.Add(Problem.Error(key, $"metadata.labels[{AddonKeys.CniLabel}]",
                        $"is {ClusterReader.Truncate(other.ToJsonString())}: this command does not move a Cluster to another CNI (in {location})",
                        $"change it to `{AddonKeys.CniLabel}: {AddonKeys.CniLabelValue}` by hand if that is what you mean"));
                    return null;
            }
        }

        switch (labels?[AddonKeys.ClusterNameLabel])
        {
            case null:
                add.Add(AddonKeys.SelectorLabelFor(name));
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String && (string)value! == name:
                break;
            case var other:
                problems.Add(Problem.Error(key, $"metadata.labels[{AddonKeys.ClusterNameLabel}]",
                    $"is {ClusterReader.Truncate(other.ToJsonString())}, not '{name}': that would make another Cluster's ClusterResourceSet select this one, and this command does not overwrite a label it did not write (in {location})",
                    $"set it to `{AddonKeys.ClusterNameLabel}: {name}` by hand"));
                return null;
        }

        return add;
    }

    private static bool ReadsAsExpected(string edited, string path, List<JsonNode?> expected)
    {
        try
        {
            var reread = YamlDocuments.ParseWithPositions(edited, path);
            return reread.Count == expected.Count
                && reread.Select(d => d.Document?.Content).Zip(expected).All(pair => JsonNode.DeepEquals(pair.First, pair.Second));
        }
        catch (InputFileException)
        {
            return false;
        }
    }

    private static string? StringAt(JsonObject? obj, string key) =>
        obj?[key] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? (string?)value : null;

    /// <summary>A label value as a YAML scalar every reader takes for a string: quoted unless plainly a word.</summary>
    internal static string ScalarText(string value) =>
        value.Length > 0 && char.IsAsciiLetter(value[0]) && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '/')
        && !NonStringWords.Contains(value)
            ? value
            : JsonSerializer.Serialize(value);
}
