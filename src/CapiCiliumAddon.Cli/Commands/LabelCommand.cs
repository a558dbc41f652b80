using System.CommandLine;
using System.Text.RegularExpressions;
using CapiCiliumAddon.Rendering;
using CapiCiliumAddon.Rendering.Clusters;
using CapiCiliumAddon.Rendering.Labelling;

namespace CapiCiliumAddon.Cli.Commands;

/// <summary>
/// `capi-cilium label`: adds the per-Cluster selector label that `render` requires to the user's Cluster files, in
/// place, so nobody has to hand-edit a fleet of files before the first render.
/// </summary>
public static partial class LabelCommand
{
    public static Command Create()
    {
        var paths = new Argument<string[]>("paths")
        {
            Description = "Cluster YAML files or folders (searched recursively), as given to `render`.",
            Arity = ArgumentArity.OneOrMore,
        };
        var clusters = new Option<string[]>("--cluster")
        {
            Description = $"Label only this Cluster (NAMESPACE/NAME; repeat for several). A named Cluster without a `{AddonKeys.CniLabel}` label is opted in: it gets `{AddonKeys.CniLabel}: {AddonKeys.CniLabelValue}` too.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var dryRun = new Option<bool>("--dry-run")
        {
            Description = "Print the change of each file as a unified diff; write nothing.",
        };
        var command = new Command("label", $"""
            Add the per-Cluster selector label to Cluster files in place, as the smallest text edit.

            Add `{AddonKeys.ClusterNameLabel}: <name>` to every Cluster labelled {AddonKeys.CniLabel}: {AddonKeys.CniLabelValue}
            in the files, in place. The ClusterResourceSet that `render` writes selects its Cluster by this label, and
            Cluster API sets no such label itself. Each file gets the smallest text edit: new lines only, indented like
            their neighbours, with the file's line endings; comments, quoting, key order and `---` separators stay as
            they are. Files are written atomically. A file it cannot edit safely (a flow map over several lines, labels
            behind a YAML anchor or alias, JSON, a selector label with another value) is reported and left byte for byte
            as it was.

            Exit codes: 0 every selected Cluster is labelled; 1 a file was refused or a named Cluster not found;
            2 usage error.
            """);
        command.Arguments.Add(paths);
        command.Options.Add(clusters);
        command.Options.Add(dryRun);
        clusters.Validators.Add(r =>
        {
            foreach (var key in r.GetValueOrDefault<string[]>() ?? [])
            {
                if (!ClusterKey().IsMatch(key))
                {
                    r.AddError($"--cluster '{key}' is not NAMESPACE/NAME (lowercase letters, digits and '-')");
                }
            }
        });
        command.SetAction((parseResult, _) => Task.FromResult(Execute(parseResult.GetValue(paths)!, parseResult.GetValue(clusters) ?? [],
            parseResult.GetValue(dryRun), parseResult.InvocationConfiguration.Output, parseResult.InvocationConfiguration.Error)));
        return command;
    }

    private static int Execute(string[] paths, string[] clusters, bool dryRun, TextWriter stdout, TextWriter stderr)
    {
        if (paths.Contains(ClusterFileSet.StandardInput))
        {
            stderr.WriteLine($"error: label edits Cluster files in place and cannot take standard input ('{ClusterFileSet.StandardInput}'): "
                + "run it on the files that hold the Clusters (the kustomize bases or overlays), or add the label in the overlay itself");
            return CliApp.UsageError;
        }

        IReadOnlyList<string> files;
        try
        {
            files = ClusterFileSet.ExpandPaths(paths);
        }
        catch (FileNotFoundException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            return CliApp.UsageError;
        }

        var selection = clusters.Length == 0 ? LabelSelection.CiliumClusters : new LabelSelection(clusters.ToHashSet(StringComparer.Ordinal));
        var differ = new DiffPlexLineDiffer();
        var (labelled, already, changedFiles, refusedFiles) = (0, 0, 0, 0);
        var selected = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in files)
        {
            LabelledFile file;
            try
            {
                file = SelectorLabeller.Plan(path, File.ReadAllBytes(path), selection);
            }
            catch (IOException e)
            {
                stderr.WriteLine($"error: {path}: {e.Message}");
                refusedFiles++;
                continue;
            }

            selected.UnionWith(file.Selected);
            already += file.AlreadyLabelled.Count;
            foreach (var problem in file.Problems)
            {
                stderr.WriteLine(RenderSession.Format(problem));
            }

            if (file.IsRefused)
            {
                stderr.WriteLine($"error: {path}: left unchanged");
                refusedFiles++;
                continue;
            }

            if (!file.IsChanged)
            {
                continue;
            }

            if (dryRun)
            {
                stdout.Write(SelectorLabeller.UnifiedDiff(file, differ));
            }
            else
            {
                try
                {
                    SelectorLabeller.Write(file);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    stderr.WriteLine($"error: {path}: {e.Message}");
                    refusedFiles++;
                    continue;
                }

                stdout.WriteLine($"labelled {path}: {string.Join(", ", file.Labelled)}");
            }

            labelled += file.Labelled.Count;
            changedFiles++;
        }

        var missing = clusters.Where(c => !selected.Contains(c)).Order(StringComparer.Ordinal).ToList();
        foreach (var key in missing)
        {
            stderr.WriteLine($"error: {key}: no Cluster of that namespace and name in the files given");
        }

        var verb = dryRun ? "would be labelled" : "labelled";
        var summary = $"{labelled} Cluster(s) {verb} in {changedFiles} file(s); {already} already labelled";
        if (refusedFiles > 0)
        {
            summary += $"; {refusedFiles} file(s) refused and left unchanged";
        }

        stdout.WriteLine(summary);
        return refusedFiles == 0 && missing.Count == 0 ? CliApp.Success : CliApp.Failure;
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex ClusterKey();
}
