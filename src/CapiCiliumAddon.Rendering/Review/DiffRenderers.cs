using System.Text;

namespace CapiCiliumAddon.Rendering.Review;

public enum LineStyle
{
    Plain,
    Heading,
    Highlight,
    Removed,
    Added,
    Changed,
    Hunk,
}

/// <summary>One output line and what it means, so a terminal can colour it; the plain text is <see cref="Text"/>.</summary>
public readonly record struct StyledLine(LineStyle Style, string Text);

/// <summary>The plain-text report: summary, highlights, then removed, added and changed objects sorted by identity.</summary>
public static class TextDiffRenderer
{
    public const string NoDifferences = "No differences.";

    public static IReadOnlyList<StyledLine> Render(ManifestDiff diff, ILineDiffer lineDiffer)
    {
        var lines = new List<StyledLine>();
        if (!diff.HasDifferences)
        {
            lines.Add(new(LineStyle.Plain, NoDifferences));
            return lines;
        }

        lines.Add(new(LineStyle.Heading, DiffSummary.Sentence(diff)));
        if (diff.Highlights.Count > 0)
        {
            lines.Add(new(LineStyle.Plain, ""));
            lines.Add(new(LineStyle.Heading, "Highlights:"));
            lines.AddRange(diff.Highlights.Select(h => new StyledLine(LineStyle.Highlight, "  " + DiffSummary.Highlight(h))));
        }
        if (diff.Removed.Count > 0)
        {
            lines.Add(new(LineStyle.Plain, ""));
            lines.Add(new(LineStyle.Heading, "Removed objects:"));
            lines.AddRange(diff.Removed.Select(id => new StyledLine(LineStyle.Removed, "  - " + id)));
        }
        if (diff.Added.Count > 0)
        {
            lines.Add(new(LineStyle.Plain, ""));
            lines.Add(new(LineStyle.Heading, "Added objects:"));
            lines.AddRange(diff.Added.Select(id => new StyledLine(LineStyle.Added, "  + " + id)));
        }
        if (diff.Changed.Count > 0)
        {
            lines.Add(new(LineStyle.Plain, ""));
            lines.Add(new(LineStyle.Heading, "Changed objects:"));
            foreach (var change in diff.Changed)
            {
                lines.Add(new(LineStyle.Changed, "  ~ " + change.Identity));
                if (change.OldIdentity is not null)
                {
                    lines.Add(new(LineStyle.Plain, "      moved from " + change.OldIdentity));
                }
                foreach (var field in change.Fields)
                {
                    AddField(lines, field, lineDiffer);
                }
            }
        }
        return lines;
    }

    public static string RenderPlain(ManifestDiff diff, ILineDiffer lineDiffer)
    {
        var sb = new StringBuilder();
        foreach (var line in Render(diff, lineDiffer))
        {
            sb.Append(line.Text).Append('\n');
        }
        return sb.ToString();
    }

    private static void AddField(List<StyledLine> lines, FieldChange field, ILineDiffer lineDiffer)
    {
        const string indent = "      ";
        switch (field.Kind)
        {
            case FieldChangeKind.Added:
                lines.Add(new(LineStyle.Added, $"{indent}+ {field.Path}: {field.NewValue}"));
                break;
            case FieldChangeKind.Removed:
                lines.Add(new(LineStyle.Removed, $"{indent}- {field.Path}: {field.OldValue}"));
                break;
            case FieldChangeKind.Modified:
                lines.Add(new(LineStyle.Changed, $"{indent}~ {field.Path}: {field.OldValue} → {field.NewValue}"));
                break;
            case FieldChangeKind.Text:
                var marker = field.OldValue is null ? "+" : field.NewValue is null ? "-" : "~";
                var style = field.OldValue is null ? LineStyle.Added : field.NewValue is null ? LineStyle.Removed : LineStyle.Changed;
                lines.Add(new(style, $"{indent}{marker} {field.Path}:"));
                var hunks = DiffHunk.From(lineDiffer.Diff(field.OldValue ?? "", field.NewValue ?? ""));
                if (hunks.Count == 0)
                {
                    lines.Add(new(LineStyle.Plain, indent + "    (whitespace only)"));
                }
                foreach (var hunk in hunks)
                {
                    lines.Add(new(LineStyle.Hunk, indent + "    " + hunk.Header));
                    foreach (var line in hunk.Lines)
                    {
                        lines.Add(line.Kind switch
                        {
                            DiffLineKind.Deleted => new(LineStyle.Removed, indent + "    -" + line.Text),
                            DiffLineKind.Inserted => new(LineStyle.Added, indent + "    +" + line.Text),
                            _ => new(LineStyle.Plain, indent + "     " + line.Text),
                        });
                    }
                }
                break;
        }
    }
}

/// <summary>The pull-request comment: a summary table, the highlights, then one collapsed `diff` block per changed object.</summary>
public static class MarkdownDiffRenderer
{
    /// <summary>GitHub rejects comments over 65,536 characters; stay below with room for a wrapper's own text.</summary>
    public const int DefaultMaxLength = 60_000;

    /// <summary>
    /// Renders the comment. When the per-object blocks would make it longer than <paramref name="maxLength"/>, the
    /// remaining blocks are left out and a closing note says how many (the summary table still lists every object).
    /// </summary>
    public static string Render(ManifestDiff diff, ILineDiffer lineDiffer, int maxLength = DefaultMaxLength)
    {
        var sb = new StringBuilder();
        if (!diff.HasDifferences)
        {
            sb.Append(TextDiffRenderer.NoDifferences).Append('\n');
            return sb.ToString();
        }

        sb.Append("### Cilium manifest diff\n\n");
        sb.Append(DiffSummary.Sentence(diff)).Append("\n\n");
        sb.Append("| Change | Object | Fields |\n|---|---|---:|\n");
        foreach (var id in diff.Removed)
        {
            sb.Append($"| removed | {Code(id.ToString())} | |\n");
        }
        foreach (var id in diff.Added)
        {
            sb.Append($"| added | {Code(id.ToString())} | |\n");
        }
        foreach (var change in diff.Changed)
        {
            sb.Append($"| changed | {Code(change.Identity.ToString())} | {change.Fields.Count} |\n");
        }

        if (diff.Highlights.Count > 0)
        {
            sb.Append("\n#### Highlights\n\n");
            foreach (var h in diff.Highlights)
            {
                var label = h.Kind == HighlightKind.Image ? "image " : "";
                sb.Append($"- {label}{Code(h.Subject)}: {Code(h.OldValue)} → {Code(h.NewValue)}\n");
            }
        }

        if (diff.Changed.Count > 0)
        {
            sb.Append("\n#### Changed objects\n");
            for (var index = 0; index < diff.Changed.Count; index++)
            {
                var change = diff.Changed[index];
                var block = new StringBuilder();
                var body = new List<string>();
                if (change.OldIdentity is not null)
                {
                    body.Add("# moved from " + change.OldIdentity);
                }
                foreach (var field in change.Fields)
                {
                    AddField(body, field, lineDiffer);
                }
                var fence = Fence(body);
                block.Append("\n<details>\n<summary><code>")
                    .Append(Html(change.Identity.ToString()))
                    .Append("</code> (").Append(change.Fields.Count).Append(change.Fields.Count == 1 ? " field" : " fields")
                    .Append(")</summary>\n\n")
                    .Append(fence).Append("diff\n");
                foreach (var line in body)
                {
                    block.Append(line).Append('\n');
                }
                block.Append(fence).Append("\n\n</details>\n");
                if (sb.Length + block.Length > maxLength - 200)
                {
                    var left = diff.Changed.Count - index;
                    sb.Append($"\n_{left} more changed {(left == 1 ? "object is" : "objects are")} not shown here to keep this comment under GitHub's size limit; run `capi-cilium diff` locally for the full diff._\n");
                    break;
                }
                sb.Append(block);
            }
        }
        return sb.ToString();
    }

    private static void AddField(List<string> body, FieldChange field, ILineDiffer lineDiffer)
    {
        switch (field.Kind)
        {
            case FieldChangeKind.Added:
                body.Add($"+ {field.Path}: {field.NewValue}");
                break;
            case FieldChangeKind.Removed:
                body.Add($"- {field.Path}: {field.OldValue}");
                break;
            case FieldChangeKind.Modified:
                body.Add($"- {field.Path}: {field.OldValue}");
                body.Add($"+ {field.Path}: {field.NewValue}");
                break;
            case FieldChangeKind.Text:
                var hunks = DiffHunk.From(lineDiffer.Diff(field.OldValue ?? "", field.NewValue ?? ""));
                if (hunks.Count == 0)
                {
                    body.Add($"@@ {field.Path} (whitespace only) @@");
                }
                foreach (var hunk in hunks)
                {
                    body.Add($"{hunk.Header} {field.Path}");
                    foreach (var line in hunk.Lines)
                    {
                        body.Add(line.Kind switch
                        {
                            DiffLineKind.Deleted => "-" + line.Text,
                            DiffLineKind.Inserted => "+" + line.Text,
                            _ => " " + line.Text,
                        });
                    }
                }
                break;
        }
    }

    /// <summary>A code fence longer than any backtick run in the block, so embedded text cannot close it.</summary>
    private static string Fence(List<string> body)
    {
        var longest = 0;
        foreach (var line in body)
        {
            var run = 0;
            foreach (var c in line)
            {
                run = c == '`' ? run + 1 : 0;
                longest = Math.Max(longest, run);
            }
        }
        return new string('`', Math.Max(3, longest + 1));
    }

    /// <summary>Inline code for a Markdown table cell: backticks cannot close it, pipes cannot end the cell.</summary>
    internal static string Code(string text) => "`" + text.Replace("`", "'", StringComparison.Ordinal).Replace("|", "\\|", StringComparison.Ordinal) + "`";

    private static string Html(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}

internal static class DiffSummary
{
    public static string Sentence(ManifestDiff diff) =>
        $"{diff.Removed.Count} removed, {diff.Added.Count} added, {diff.Changed.Count} changed {(diff.Removed.Count + diff.Added.Count + diff.Changed.Count == 1 ? "object" : "objects")}.";

    public static string Highlight(DiffHighlight h) =>
        (h.Kind == HighlightKind.Image ? "image " : "") + $"{h.Subject}: {h.OldValue} → {h.NewValue}";
}
