namespace CapiCiliumAddon.Rendering.Review;

public enum DiffLineKind
{
    Unchanged,
    Deleted,
    Inserted,
}

public readonly record struct DiffLine(DiffLineKind Kind, string Text);

/// <summary>
/// Line diff of two texts, in order. The CLI supplies DiffPlex; the rendering core only needs this shape.
/// </summary>
public interface ILineDiffer
{
    IReadOnlyList<DiffLine> Diff(string oldText, string newText);
}

/// <summary>A run of diff lines with their surrounding context, under a unified-diff `@@ -a,b +c,d @@` header.</summary>
public sealed record DiffHunk(string Header, IReadOnlyList<DiffLine> Lines)
{
    /// <summary>Cuts a full line diff into hunks: each change with <paramref name="context"/> unchanged lines around it.</summary>
    public static IReadOnlyList<DiffHunk> From(IReadOnlyList<DiffLine> lines, int context = 2)
    {
        var include = new bool[lines.Count];
        for (var i = 0; i < lines.Count; i++)
        {
            if (lines[i].Kind == DiffLineKind.Unchanged)
            {
                continue;
            }
            for (var j = Math.Max(0, i - context); j <= Math.Min(lines.Count - 1, i + context); j++)
            {
                include[j] = true;
            }
        }

        var hunks = new List<DiffHunk>();
        int oldLine = 1, newLine = 1, index = 0;
        while (index < lines.Count)
        {
            if (!include[index])
            {
                Advance(lines[index], ref oldLine, ref newLine);
                index++;
                continue;
            }
            int oldStart = oldLine, newStart = newLine;
            var hunk = new List<DiffLine>();
            while (index < lines.Count && include[index])
            {
                hunk.Add(lines[index]);
                Advance(lines[index], ref oldLine, ref newLine);
                index++;
            }
            var oldCount = hunk.Count(l => l.Kind != DiffLineKind.Inserted);
            var newCount = hunk.Count(l => l.Kind != DiffLineKind.Deleted);
            hunks.Add(new DiffHunk($"@@ -{(oldCount == 0 ? oldStart - 1 : oldStart)},{oldCount} +{(newCount == 0 ? newStart - 1 : newStart)},{newCount} @@", hunk));
        }
        return hunks;
    }

    private static void Advance(DiffLine line, ref int oldLine, ref int newLine)
    {
        if (line.Kind != DiffLineKind.Inserted) oldLine++;
        if (line.Kind != DiffLineKind.Deleted) newLine++;
    }
}
