using System.CommandLine;
using CapiCiliumAddon.Cli.Settings;
using CapiCiliumAddon.Rendering;
using CapiCiliumAddon.Rendering.Clusters;
using CapiCiliumAddon.Rendering.Output;
using CapiCiliumAddon.Rendering.Pipeline;
using CapiCiliumAddon.Rendering.Release;
using CapiCiliumAddon.Rendering.Review;
using CapiCiliumAddon.Rendering.Settings;

namespace CapiCiliumAddon.Cli.Commands;

/// <summary>
/// `capi-cilium bump --to VERSION`: re-render every selected Cluster at a new Cilium version into the GitOps tree,
/// and say what changed and how (little of) it reaches running clusters.
/// </summary>
public static class BumpCommand
{
    /// <param name="standardInput">Opens what the path "-" reads (default: the process's standard input).</param>
    public static Command Create(Func<Stream>? standardInput = null)
    {
        var paths = new Argument<string[]>("paths")
        {
            Description = "Cluster YAML/JSON files or folders, or - for standard input, as given to `render`.",
            Arity = ArgumentArity.OneOrMore,
        };
        var to = new Option<string>("--to")
        {
            Description = "The Cilium version to move to (a --chart-directory for it is needed when any are given).",
            Required = true,
        };
        var output = new Option<string>("--out", "-o")
        {
            Description = "The tree to update (as `render --out`); its previous files are read first for the summary.",
            Required = true,
        };
        var includePinned = new Option<bool>("--include-pinned")
        {
            Description = $"Also move Clusters that pin a version with {AddonKeys.CiliumVersionAnnotation} (you then update the annotation).",
        };
        var format = new Option<string>("--format")
        {
            Description = "Summary format: 'text' (for a terminal) or 'markdown' (for a pull-request description).",
            DefaultValueFactory = _ => "text",
        };
        format.AcceptOnlyFromAmong("text", "markdown");
        var environment = standardInput is null ? new RenderEnvironmentOptions() : new RenderEnvironmentOptions { StandardInput = standardInput };
        var command = new Command("bump", $"""
            Move Clusters to a new Cilium version and summarise what changes.

            Re-render every Cluster labelled cni: cilium at Cilium --to and write the tree like `render`. Clusters pinned
            by {AddonKeys.CiliumVersionAnnotation} keep their pin (their files are not touched) unless --include-pinned.
            Prints the Clusters changed, unchanged, pinned and skipped, the images old → new and, per move from a
            previous version, what changes: the keys of cilium-config, the agent's and operator's command, args and
            env, and the chart objects added or removed (from the previous files and the new render, each change once
            with the Clusters it applies to), and the chart defaults that changed and that the Clusters do not set
            (from both charts' values.yaml, when their chart directories are given). Then the values the Clusters set
            that the new chart does not have, and a reminder: ClusterResourceSets are ApplyOnce, so already
            bootstrapped clusters do not receive the new files. Progress goes to stderr.

            Exit codes: 0 every selected Cluster rendered (or not ready yet: a warning, as in check); 1 at least one was
            skipped (invalid, failed); 2 usage error or no usable Cilium CLI / chart.
            """);
        command.Arguments.Add(paths);
        command.Options.Add(to);
        command.Options.Add(output);
        command.Options.Add(includePinned);
        command.Options.Add(format);
        environment.AddTo(command);
        to.Validators.Add(r =>
        {
            var text = r.GetValueOrDefault<string>();
            if (!CiliumVersion.TryParse(text, out _))
            {
                r.AddError($"--to '{text}' is not a Cilium version (e.g. {CiliumVersion.Default})");
            }
        });
        command.Validators.Add(r =>
        {
            if (r.GetValue(environment.CiliumVersion) is not null)
            {
                r.AddError("--cilium-version cannot be combined with bump: --to is the version of every unpinned Cluster");
            }
        });
        command.SetAction((parseResult, cancellationToken) =>
            ExecuteAsync(parseResult, environment, parseResult.GetValue(paths)!, CiliumVersion.Parse(parseResult.GetValue(to)!),
                parseResult.GetValue(output)!, parseResult.GetValue(includePinned), parseResult.GetValue(format) == "markdown", cancellationToken));
        return command;
    }

    private static async Task<int> ExecuteAsync(ParseResult parseResult, RenderEnvironmentOptions environment, string[] paths, CiliumVersion to,
        string outputDirectory, bool includePinned, bool markdown, CancellationToken cancellationToken)
    {
        var stdout = parseResult.InvocationConfiguration.Output;
        var stderr = parseResult.InvocationConfiguration.Error;
        var session = await RenderSession.OpenAsync(parseResult, environment, paths, withCli: true, stderr, cancellationToken).ConfigureAwait(false);
        if (session is null)
        {
            return CliApp.UsageError;
        }

        var pins = session.Input.Clusters
            .Select(c => c.Read.Facts)
            .OfType<ClusterFacts>()
            .Where(f => f.Annotations.ContainsKey(AddonKeys.CiliumVersionAnnotation))
            .GroupBy(f => f.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First().Annotations[AddonKeys.CiliumVersionAnnotation], StringComparer.Ordinal);
        var context = session.CreatePlanContext() with { DefaultVersion = to };
        var planned = session.PlanAll(context, includePinned ? WithoutPin : null);

        var outcomes = new List<BumpedCluster>();
        var toRender = new List<ClusterResult>();
        foreach (var result in planned)
        {
            if (!includePinned && pins.TryGetValue(result.Key, out var pin))
            {
                outcomes.Add(new BumpedCluster(result.Key, BumpStatus.Pinned,
                    $"kept at {pin} by {AddonKeys.CiliumVersionAnnotation}; files not touched (--include-pinned moves it)", [])
                {
                    From = CiliumVersion.TryParse(pin, out var pinned) ? pinned : null,
                });
            }
            else if (result.State == ClusterState.Rendered)
            {
                toRender.Add(result);
            }
            else
            {
                outcomes.Add(Skipped(result));
            }
        }

        // Each Cluster's folder is compared and written as soon as it is finished; only what the summary needs is kept.
        var written = new System.Collections.Concurrent.ConcurrentBag<BumpedCluster>();
        var rendered = await session.RenderAsync(toRender.Select(r => r.Plan!).ToList(), (result, _) =>
        {
            written.Add(result.State == ClusterState.Rendered
                ? Write(outputDirectory, result, to, pins.GetValueOrDefault(result.Key))
                : Skipped(result));
            return ValueTask.CompletedTask;
        }, new LineProgress(stderr), cancellationToken).ConfigureAwait(false);
        outcomes.AddRange(written.OrderBy(o => o.Key, StringComparer.Ordinal));

        foreach (var problem in session.Input.Problems.Concat(planned.Concat(rendered).Where(r => !pins.ContainsKey(r.Key) || includePinned).SelectMany(r => r.Problems)).Distinct())
        {
            await stderr.WriteLineAsync(RenderSession.Format(problem)).ConfigureAwait(false);
        }

        // The repository's default version moves with its files, or later renders and checks would go back.
        var recordedIn = session.Settings.SettingsFile is { } settingsFile && outcomes.Any(o => o.Status is BumpStatus.Changed or BumpStatus.New or BumpStatus.Unchanged)
            ? settingsFile
            : null;
        if (recordedIn is not null)
        {
            try
            {
                RepositorySettings.SetCiliumVersion(recordedIn, to);
            }
            catch (Exception e) when (e is SettingsFileException or IOException or UnauthorizedAccessException)
            {
                await stderr.WriteLineAsync($"error: the new version is not recorded: {e.Message}; set ciliumVersion: {to} in it by hand").ConfigureAwait(false);
                recordedIn = null;
            }
        }

        var report = BumpReport.Build(to, session.CliVersion, outputDirectory, outcomes, session.Charts, ChartsHint) with { SettingsFile = recordedIn };
        await stdout.WriteAsync(markdown ? BumpSummary.Markdown(report) : BumpSummary.Text(report)).ConfigureAwait(false);
        var clean = outcomes.All(o => o.Status != BumpStatus.Skipped) && session.Input.Problems.All(p => p.Severity != ProblemSeverity.Error);
        return clean ? CliApp.Success : CliApp.Failure;
    }

    /// <summary>Where a chart that is not at hand can be given, for the summary's "not compared" notes.</summary>
    private const string ChartsHint =
        $"give its unpacked chart with --chart-directory, {RenderEnvironmentOptions.ChartDirectoryVariable} or chartDirectories in {RepositorySettings.FileName}";

    /// <summary>--include-pinned: the planner must not see the pin, or it would render the pinned version again.</summary>
    private static ClusterFacts WithoutPin(ClusterFacts facts) =>
        facts with
        {
            Annotations = facts.Annotations.Where(a => a.Key != AddonKeys.CiliumVersionAnnotation).ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal),
        };

    private static BumpedCluster Write(string outputDirectory, ClusterResult result, CiliumVersion to, string? overriddenPin)
    {
        var folder = ManifestTree.ClusterDirectory(outputDirectory, result.Plan!.Cluster);
        var before = ClusterSnapshot.Capture(folder);
        var pinNote = overriddenPin is null || (CiliumVersion.TryParse(overriddenPin, out var pinned) && pinned!.Equals(to))
            ? ""
            : $"; its {AddonKeys.CiliumVersionAnnotation} annotation still says {overriddenPin}: set it to {to} or remove it, or render and check go back to {overriddenPin}";
        if (before.Matches(result.Files!))
        {
            return new BumpedCluster(result.Key, BumpStatus.Unchanged, $"already Cilium {to}{pinNote}", []) { From = before.ChartVersion, Values = result.Values };
        }

        ManifestTree.WriteCluster(outputDirectory, result.Plan.Cluster, result.Files!);
        if (!before.Existed)
        {
            return new BumpedCluster(result.Key, BumpStatus.New, $"no previous files; Cilium {to}{pinNote}", []) { Values = result.Values };
        }

        // Only what the summary needs is kept: the render changes, not the objects.
        var comparison = before.CompareWith(folder, RenderChanges.FactPlaceholders(result.Plan));
        var version = comparison.Highlights.FirstOrDefault(h => h.Kind == HighlightKind.Version && h.Subject == AddonKeys.CiliumVersionAnnotation);
        var detail = version is null ? $"Cilium {to}, files changed at the same version" : $"Cilium {version.OldValue} → {version.NewValue}";
        var unread = before.Readable ? "" : "; its previous files could not be read, so what changed is not listed";
        return new BumpedCluster(result.Key, BumpStatus.Changed, detail + unread + pinNote, comparison.Highlights)
        {
            From = before.ChartVersion,
            Changes = comparison.Changes,
            Values = result.Values,
            Compared = before.Readable,
        };
    }

    private static BumpedCluster Skipped(ClusterResult result)
    {
        var reason = result.Problems.FirstOrDefault(p => p.Severity == ProblemSeverity.Error) ?? result.Problems.FirstOrDefault();
        var because = reason is null ? "" : $": {reason.Message}";
        if (result.State == ClusterState.NotReady)
        {
            return new BumpedCluster(result.Key, BumpStatus.NotReady, $"no endpoint yet{because}; it gets files once it has one", []);
        }

        var what = result.State == ClusterState.Invalid ? "invalid" : "render failed";
        return new BumpedCluster(result.Key, BumpStatus.Skipped, $"{what}{because}; files left as they were", []) { Values = result.Values };
    }
}
