using CapiCiliumAddon.Rendering.Review;
using DiffPlex;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;

namespace CapiCiliumAddon.Cli.Commands;

/// <summary>DiffPlex line diff: of long multi-line values (embedded JSON/YAML in ConfigMap data) for `diff`, of edited files for `label --dry-run`.</summary>
internal sealed class DiffPlexLineDiffer : ILineDiffer
{
    public IReadOnlyList<DiffLine> Diff(string oldText, string newText)
    {
        var model = new InlineDiffBuilder(new Differ()).BuildDiffModel(oldText, newText, ignoreWhitespace: false);
        // DiffPlex interleaves the deleted and inserted lines of one change; a reviewer reads them as a block of
        // removals followed by a block of additions, like `diff -u`.
        var lines = new List<DiffLine>();
        var deleted = new List<DiffLine>();
        var inserted = new List<DiffLine>();
        foreach (var piece in model.Lines)
        {
            switch (piece.Type)
            {
                case ChangeType.Deleted:
                    deleted.Add(new DiffLine(DiffLineKind.Deleted, piece.Text ?? ""));
                    break;
                case ChangeType.Inserted:
                    inserted.Add(new DiffLine(DiffLineKind.Inserted, piece.Text ?? ""));
                    break;
                case ChangeType.Unchanged:
                    Flush();
                    lines.Add(new DiffLine(DiffLineKind.Unchanged, piece.Text ?? ""));
                    break;
            }
        }
        Flush();
        return lines;

        void Flush()
        {
            lines.AddRange(deleted);
            lines.AddRange(inserted);
            deleted.Clear();
            inserted.Clear();
        }
    }
}
