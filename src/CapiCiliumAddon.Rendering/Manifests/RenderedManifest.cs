using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CapiCiliumAddon.Rendering.Manifests;

/// <summary>Who wrote an object: the chart (shipped as printed) or this tool (serialised by <see cref="KubeYamlWriter"/>).</summary>
public enum ObjectOrigin
{
    Chart,
    Generated,
}

/// <summary>
/// One object of a render. <see cref="Text"/> is the object's original text as the CLI printed it (with its
/// <c># Source:</c> comment, LF endings, no trailing blank lines, exactly one final newline) and is what we ship and
/// what reviewers read; <see cref="Root"/> is a parsed copy for checks only. Do not mutate <see cref="Root"/>.
/// </summary>
public sealed record RenderedObject(
    string ApiVersion,
    string Kind,
    string Name,
    string? Namespace,
    string Text,
    YamlMappingNode Root,
    ObjectOrigin Origin = ObjectOrigin.Chart)
{
    /// <summary>The API group of <see cref="ApiVersion"/> ("" for the core group).</summary>
    public string Group => ApiVersion.Contains('/') ? ApiVersion[..ApiVersion.IndexOf('/')] : "";

    /// <summary>e.g. "DaemonSet kube-system/cilium" or "ClusterRole cilium"; the Subject of every Problem about it.</summary>
    public string Subject => Namespace is null ? $"{Kind} {Name}" : $"{Kind} {Namespace}/{Name}";

    /// <summary>Identity on the server: group, kind, namespace, name.</summary>
    public string Identity => $"{Group}/{Kind}/{Namespace}/{Name}";
}

public sealed record ManifestParseResult(RenderedManifest? Manifest, IReadOnlyList<Problem> Problems)
{
    public bool Succeeded => Manifest is not null;
}

/// <summary>The parsed stdout of <c>cilium install --dry-run</c>: its objects in the CLI's order.</summary>
public sealed class RenderedManifest
{
    public RenderedManifest(string subject, IReadOnlyList<RenderedObject> objects)
    {
        Subject = subject;
        Objects = objects;
    }

    /// <summary>What was rendered (a Cluster "namespace/name"), used as Subject of whole-output problems.</summary>
    public string Subject { get; }

    public IReadOnlyList<RenderedObject> Objects { get; }

    public RenderedObject? Find(string kind, string name, string? ns = null) =>
        Objects.FirstOrDefault(o => o.Kind == kind && o.Name == name && (ns is null || o.Namespace == ns));

    public IEnumerable<RenderedObject> OfKind(string kind) => Objects.Where(o => o.Kind == kind);

    /// <summary>A copy with <paramref name="added"/> right after <paramref name="anchor"/>.</summary>
    public RenderedManifest InsertAfter(RenderedObject anchor, RenderedObject added)
    {
        var list = Objects.ToList();
        var at = list.IndexOf(anchor);
        if (at < 0)
        {
            throw new ArgumentException($"{anchor.Subject} is not in this manifest.", nameof(anchor));
        }

        list.Insert(at + 1, added);
        return new RenderedManifest(Subject, list);
    }

    /// <summary>The normalised manifest: each object preceded by a <c>---</c> line.</summary>
    public string ToText()
    {
        var sb = new StringBuilder();
        foreach (var o in Objects)
        {
            sb.Append("---\n").Append(o.Text);
        }

        return sb.ToString();
    }

    /// <summary>Normalises one object's text: LF endings, no leading or trailing blank lines, exactly one final newline.</summary>
    public static string NormaliseText(string text)
    {
        var lf = text.Replace("\r\n", "\n", StringComparison.Ordinal);
        var span = lf.AsSpan();
        var start = 0;
        while (start < span.Length)
        {
            var end = LineEnd(span, start);
            if (!span[start..end].IsWhiteSpace())
            {
                break;
            }

            start = end + 1;
        }

        if (start >= span.Length)
        {
            return "\n";
        }

        // The last line that is not blank ends at `stop`.
        var stop = span.Length;
        while (stop > start)
        {
            var lineStart = span[..stop].LastIndexOf('\n') + 1;
            if (!span[lineStart..stop].IsWhiteSpace())
            {
                break;
            }

            stop = lineStart - 1;
        }

        return string.Concat(span[start..stop], "\n");
    }

    private static int LineEnd(ReadOnlySpan<char> text, int start)
    {
        var newline = text[start..].IndexOf('\n');
        return newline < 0 ? text.Length : start + newline;
    }

    /// <param name="cliStdout">The CLI's stdout, decoded as UTF-8 (invalid bytes become U+FFFD and are reported).</param>
    /// <param name="subject">What was rendered, e.g. the Cluster "metal3/capi-1"; the Subject of problems about the output as a whole.</param>
    public static ManifestParseResult Parse(string cliStdout, string subject)
    {
        var problems = new List<Problem>();
        if (string.IsNullOrWhiteSpace(cliStdout))
        {
            return Fail(Problem.Error(subject, "stdout", "cilium install --dry-run printed no manifest (empty output).",
                "Look at the CLI's stderr and exit code; an empty stdout with exit 0 is a CLI bug."));
        }

        var text = cliStdout.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        // The text is walked line by line in place: a render has thousands of lines, not worth a string each.
        var lineCount = text.AsSpan().Count('\n') + 1;

        var bad = text.IndexOf('\uFFFD', StringComparison.Ordinal);
        if (bad >= 0)
        {
            problems.Add(Problem.Error(subject, $"stdout line {text.AsSpan(0, bad).Count('\n') + 1}",
                "The output is not valid UTF-8 (it contains replacement characters); it may be corrupted or truncated.",
                "Re-run the render; check the CLI binary and the chart directory."));
        }

        if (!text.EndsWith('\n'))
        {
            problems.Add(Problem.Error(subject, $"stdout line {lineCount}",
                "The output does not end with a newline: it looks truncated (the CLI always ends its manifest with blank lines).",
                "Re-run the render; check that the CLI was not killed (memory or time limit)."));
        }

        else if (!text.EndsWith("\n\n", StringComparison.Ordinal))
        {
            problems.Add(Problem.Warning(subject, $"stdout line {lineCount - 1}",
                "The output does not end with the blank line the CLI always prints; it may have been cut at a line boundary.",
                "Compare the object count with a known-good render of the same chart version."));
        }

        var objects = new List<RenderedObject>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var docNumber = 0;
        var chunkStart = 0;
        var chunkFirstLine = 1;
        var line = 1;
        for (var position = 0; ; line++)
        {
            var end = LineEnd(text, position);
            var last = end == text.Length;
            var separator = text.AsSpan(position, end - position).SequenceEqual("---");
            if (!separator && !last)
            {
                position = end + 1;
                continue;
            }

            // The document between separator lines: up to the newline before this separator, or to the end.
            var chunk = separator ? text.AsSpan(chunkStart, Math.Max(0, position - 1 - chunkStart)) : text.AsSpan(chunkStart);
            var firstLine = chunkFirstLine;
            chunkStart = end + 1;
            chunkFirstLine = line + 1;
            if (!OnlyBlankOrComments(chunk))
            {
                docNumber++;
                var obj = ParseDocument(chunk.ToString(), firstLine, docNumber, subject, problems);
                if (obj is not null)
                {
                    if (seen.TryGetValue(obj.Identity, out var previous))
                    {
                        problems.Add(Problem.Error(obj.Subject, "metadata.name",
                            $"Duplicate object: documents {previous} and {docNumber} ({obj.ApiVersion} {obj.Subject}) have the same identity; one would silently replace the other.",
                            "Remove the duplicate from extra manifests or values."));
                    }
                    else
                    {
                        seen[obj.Identity] = docNumber;
                        objects.Add(obj);
                    }
                }
            }

            if (last)
            {
                break;
            }

            position = end + 1;
        }

        if (objects.Count == 0 && !problems.Any(p => p.Severity == ProblemSeverity.Error))
        {
            problems.Add(Problem.Error(subject, "stdout", "The output holds no Kubernetes objects (only comments or blank documents)."));
        }

        return problems.Any(p => p.Severity == ProblemSeverity.Error)
            ? new ManifestParseResult(null, problems)
            : new ManifestParseResult(new RenderedManifest(subject, objects), problems);

        ManifestParseResult Fail(Problem p) => new(null, [p]);
    }

    /// <summary>True when every line is blank or a comment: the empty first document, or a template that rendered to nothing.</summary>
    private static bool OnlyBlankOrComments(ReadOnlySpan<char> chunk)
    {
        foreach (var line in chunk.Split('\n'))
        {
            var trimmed = chunk[line].TrimStart();
            if (trimmed.Length > 0 && !chunk[line].IsWhiteSpace() && trimmed[0] != '#')
            {
                return false;
            }
        }

        return true;
    }

    private static RenderedObject? ParseDocument(string body, int firstLine, int docNumber, string subject, List<Problem> problems)
    {
        var where = $"document {docNumber} (line {firstLine})";
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(body));
        }
        catch (YamlException e)
        {
            problems.Add(Problem.Error(subject, where,
                $"Not valid YAML at line {firstLine + (int)e.Start.Line - 1}: {e.Message} The output may be truncated or not a manifest at all."));
            return null;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            problems.Add(Problem.Error(subject, where, $"Not a usable YAML document: {e.Message}"));
            return null;
        }

        if (stream.Documents.Count != 1)
        {
            problems.Add(Problem.Error(subject, where, $"Expected one YAML document between '---' lines, found {stream.Documents.Count}."));
            return null;
        }

        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            problems.Add(Problem.Error(subject, where,
                $"Not a Kubernetes object: the document is a {stream.Documents[0].RootNode.NodeType}, not a mapping (is this a manifest at all?)."));
            return null;
        }

        var apiVersion = root.GetString("apiVersion");
        var kind = root.GetString("kind");
        var metadata = root.GetMap("metadata");
        var name = metadata.GetString("name");
        var missing = new List<string>();
        if (string.IsNullOrEmpty(apiVersion))
        {
            missing.Add("apiVersion");
        }

        if (string.IsNullOrEmpty(kind))
        {
            missing.Add("kind");
        }

        if (string.IsNullOrEmpty(name))
        {
            missing.Add("metadata.name");
        }

        if (missing.Count > 0)
        {
            problems.Add(Problem.Error(subject, where,
                $"Not a Kubernetes object: missing {string.Join(", ", missing)}" + (kind is null ? "." : $" (kind {kind}, name {name ?? "none"}).")));
            return null;
        }

        var ns = metadata.GetString("namespace");
        return new RenderedObject(apiVersion!, kind!, name!, string.IsNullOrEmpty(ns) ? null : ns, NormaliseText(body), root);
    }
}
