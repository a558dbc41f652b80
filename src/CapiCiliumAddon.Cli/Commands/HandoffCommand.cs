using System.CommandLine;
using CapiCiliumAddon.Rendering;
using CapiCiliumAddon.Rendering.Handoff;
using CapiCiliumAddon.Rendering.Lint;
using CapiCiliumAddon.Rendering.Output;

namespace CapiCiliumAddon.Cli.Commands;

/// <summary>`capi-cilium handoff`: from a rendered tree, the GitOps manifests that take Cilium over on each workload cluster.</summary>
public static class HandoffCommand
{
    public static Command Create()
    {
        var inputs = new Argument<string[]>("rendered") { Description = "The output tree of capi-cilium render (folders or files).", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out") { Description = "Folder to write into: <namespace>/<cluster>/flux/ and <namespace>/<cluster>/argocd/.", Required = true };
        var command = new Command("handoff", $"""
            Write the Flux and Argo CD manifests that let a workload cluster's GitOps tool adopt its Cilium.

            For every Cluster rendered in the given capi-cilium output tree, write the manifests that let the workload
            cluster's own GitOps tool take Cilium over after the ClusterResourceSet bootstrapped it: a Flux
            HelmRepository + HelmRelease (flux/) and an Argo CD Application (argocd/), pinned to the rendered chart
            version, naming the release the chart objects carry, with the render's exact Helm values. Helm adopts every
            object and changes nothing; nothing is reinstalled. Commit one of the two folders to that cluster's repository.
            Exit codes: 0 written; 1 a render cannot be handed off (no ownership metadata, missing or edited values
            file; the others are still written); 2 no render found or unreadable input.
            """);
        command.Arguments.Add(inputs);
        command.Options.Add(output);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var stdout = parseResult.InvocationConfiguration.Output;
            var stderr = parseResult.InvocationConfiguration.Error;
            LintInputSet set;
            try
            {
                var files = LintInputSet.ExpandPaths(parseResult.GetValue(inputs)!);
                set = LintInputSet.Read(files.Select(f => new LintSource(f, File.ReadAllBytes(f))));
            }
            catch (Exception e) when (e is FileNotFoundException or IOException or UnauthorizedAccessException)
            {
                await stderr.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
                return CliApp.UsageError;
            }

            foreach (var problem in set.Problems)
            {
                await stderr.WriteLineAsync(RenderSession.Format(problem)).ConfigureAwait(false);
            }

            var problems = new List<Problem>();
            var renders = RenderedRelease.Read(set, problems);
            if (renders.Count == 0)
            {
                await stderr.WriteLineAsync("error: no capi-cilium render found in the inputs (ConfigMaps labelled app.kubernetes.io/managed-by: capi-cilium-addon); pass the folder `capi-cilium render --out` wrote").ConfigureAwait(false);
                return CliApp.UsageError;
            }

            var root = parseResult.GetValue(output)!;
            var written = 0;
            foreach (var render in renders)
            {
                var files = HandoffManifests.Files(render, problems);
                if (files is null)
                {
                    continue;
                }

                var folder = Path.Combine(root, render.ClusterNamespace, render.ClusterName);
                foreach (var (name, content) in files)
                {
                    var path = Path.Combine(folder, name);
                    if (!AtomicFile.HasContent(path, content))
                    {
                        AtomicFile.WriteAllText(path, content);
                    }
                }

                // A file an earlier handoff wrote and this one no longer does (e.g. after a release rename) would
                // still be applied by whoever points at the folder: remove it, but only files carrying our header.
                var current = files.Select(f => Path.GetFullPath(Path.Combine(folder, f.Key))).ToHashSet(StringComparer.Ordinal);
                foreach (var stale in new[] { HandoffManifests.FluxFolder, HandoffManifests.ArgoCdFolder }
                    .Select(sub => Path.Combine(folder, sub)).Where(Directory.Exists)
                    .SelectMany(sub => Directory.EnumerateFiles(sub, "*.yaml"))
                    .Where(f => !current.Contains(Path.GetFullPath(f)) && File.ReadLines(f).FirstOrDefault() + "\n" == HandoffManifests.Header))
                {
                    File.Delete(stale);
                }

                written++;
                await stdout.WriteLineAsync($"{render.Key}: release {render.Release}, chart {render.ChartVersion} -> {folder}").ConfigureAwait(false);
            }

            foreach (var problem in problems)
            {
                await stderr.WriteLineAsync(RenderSession.Format(problem)).ConfigureAwait(false);
            }

            await stdout.WriteLineAsync($"{written} of {renders.Count} render(s) handed off").ConfigureAwait(false);
            return problems.Any(p => p.Severity == ProblemSeverity.Error) || set.Problems.Count > 0 ? CliApp.Failure : CliApp.Success;
        });
        return command;
    }
}
