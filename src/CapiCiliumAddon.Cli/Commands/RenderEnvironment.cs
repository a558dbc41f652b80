using System.CommandLine;
using System.Reflection;
using CapiCiliumAddon.Cli.Settings;
using CapiCiliumAddon.Rendering;
using CapiCiliumAddon.Rendering.CiliumCli;
using CapiCiliumAddon.Rendering.Clusters;
using CapiCiliumAddon.Rendering.Pipeline;
using CapiCiliumAddon.Rendering.Pipeline.Stamping;
using CapiCiliumAddon.Rendering.Planning;
using CapiCiliumAddon.Rendering.Settings;

namespace CapiCiliumAddon.Cli.Commands;

/// <summary>
/// The options every rendering command shares (render, and later check, bump and the controller), and how they
/// become a planner and a CLI runner. One definition, so the commands cannot drift apart.
/// </summary>
public sealed class RenderEnvironmentOptions
{
    public const string ChartDirectoryVariable = "CILIUM_CHART_DIRECTORY";

    public Option<string?> Config { get; } = new("--config")
    {
        Description = $"The repository's settings file (default: the nearest {RepositorySettings.FileName} above the inputs, up to the folder holding .git). Flags override its settings.",
    };

    public Option<string?> Cilium { get; } = new("--cilium")
    {
        Description = $"Path of the Cilium CLI (default: ${CiliumCliLocator.EnvironmentVariable}, else `cilium` on PATH).",
    };

    public Option<bool> InstallCiliumCli { get; } = new("--install-cilium-cli")
    {
        Description = $"When no Cilium CLI is found, download the pinned release {CiliumCliRelease.PinnedVersion} into {CiliumCliLocator.ProjectLocalDirectory}, check its sha256 (${CiliumCliRelease.Sha256Variable}, else the checksum file published with it) and use it. ${CiliumCliRelease.MirrorVariable} names a mirror of the GitHub release downloads.",
    };

    public Option<string[]> ChartDirectories { get; } = new("--chart-directory")
    {
        Description = $"An unpacked Cilium chart (the folder holding Chart.yaml) for offline renders; repeat for several versions. Default: ${ChartDirectoryVariable} (a ':'-separated list).",
        Arity = ArgumentArity.ZeroOrMore,
    };

    public Option<string?> CiliumVersion { get; } = new("--cilium-version")
    {
        Description = $"Cilium version for Clusters without the {Rendering.AddonKeys.CiliumVersionAnnotation} annotation (default: the chart directory's, else {Rendering.Settings.CiliumVersion.Default}).",
    };

    public Option<string?> Templates { get; } = new("--templates")
    {
        Description = "Folder of profile templates (<name>.yaml.scriban). Default: the templates shipped with capi-cilium.",
    };

    public Option<int> Parallelism { get; } = new("--parallelism")
    {
        Description = "Renders run at once (each holds ~125 MB while it runs).",
        DefaultValueFactory = _ => Environment.ProcessorCount,
    };

    public Option<int> TimeoutSeconds { get; } = new("--timeout")
    {
        Description = "Seconds one Cilium CLI run may take before it is killed.",
        DefaultValueFactory = _ => 60,
    };

    /// <summary>Opens what the path <c>-</c> reads: the process's standard input, or a test's stream.</summary>
    public Func<Stream> StandardInput { get; init; } = OpenConsoleInput;

    /// <summary>
    /// False for the controller: it reads live Clusters, whose endpoint Cluster API has already copied, so the options
    /// about finding the endpoint in files do not apply.
    /// </summary>
    public bool ReadsClusterFiles { get; init; } = true;

    public Option<string> EndpointVariable { get; } = new("--endpoint-variable")
    {
        Description = $"The topology variable holding {{host, port}} for ClusterClass Clusters whose endpoint is in neither the Cluster nor its infrastructure cluster (per Cluster: the {Rendering.AddonKeys.EndpointVariableAnnotation} annotation).",
        DefaultValueFactory = _ => EndpointResolver.DefaultVariable,
    };

    /// <summary>
    /// Stamping is on by default: every group still compares one direct render byte for byte, and every stamped
    /// Cluster is checked against its own plan; this turns it off (one CLI run per Cluster).
    /// </summary>
    public Option<bool> NoStamp { get; } = new("--no-stamp")
    {
        Description = "Render every Cluster with a Cilium CLI run of its own. By default Clusters that share version, profile and values are rendered once with placeholder facts and each one's endpoint, pod CIDRs, name and hashes are stamped in; one Cluster per group is also rendered directly and must match byte for byte, and on any doubt the group is rendered directly, with a warning.",
    };

    public Option<string> HelmReleaseName { get; } = new("--helm-release-name")
    {
        Description = $"Helm release that will own Cilium after bootstrap (Flux, Argo CD, cilium upgrade); its name goes into Helm's ownership metadata on every chart object. Per Cluster: the {Rendering.AddonKeys.HelmReleaseNameAnnotation} annotation. `cilium install`/`upgrade` only use '{Rendering.Manifests.HelmReleaseIdentity.DefaultName}'.",
        DefaultValueFactory = _ => Rendering.Manifests.HelmReleaseIdentity.DefaultName,
    };

    public Option<bool> NoHelmOwnership { get; } = new("--no-helm-ownership")
    {
        Description = "Ship the bare chart output, without Helm's ownership metadata. No Helm-based tool (Flux, Argo CD with Helm, helm, cilium install/upgrade) can then adopt the objects after bootstrap.",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Config);
        command.Options.Add(NoStamp);
        command.Options.Add(HelmReleaseName);
        command.Options.Add(NoHelmOwnership);
        command.Options.Add(Cilium);
        command.Options.Add(InstallCiliumCli);
        command.Options.Add(ChartDirectories);
        command.Options.Add(CiliumVersion);
        command.Options.Add(Templates);
        command.Options.Add(Parallelism);
        command.Options.Add(TimeoutSeconds);
        if (ReadsClusterFiles)
        {
            command.Options.Add(EndpointVariable);
            EndpointVariable.Validators.Add(r =>
            {
                if (string.IsNullOrWhiteSpace(r.GetValueOrDefault<string>()))
                {
                    r.AddError("--endpoint-variable must name a topology variable");
                }
            });
        }

        Parallelism.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1)
            {
                r.AddError("--parallelism must be at least 1");
            }
        });
        TimeoutSeconds.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1)
            {
                r.AddError("--timeout must be at least 1 second");
            }
        });
        HelmReleaseName.Validators.Add(r =>
        {
            var name = r.GetValueOrDefault<string>();
            if (!Rendering.Manifests.HelmReleaseIdentity.IsValidName(name))
            {
                r.AddError($"--helm-release-name '{name}' is not a Helm release name (at most {Rendering.Manifests.HelmReleaseIdentity.MaxNameLength} lowercase letters, digits, '-' and '.')");
            }
        });
        CiliumVersion.Validators.Add(r =>
        {
            var text = r.GetValueOrDefault<string?>();
            if (text is not null && !Rendering.Settings.CiliumVersion.TryParse(text, out _))
            {
                r.AddError($"--cilium-version '{text}' is not a Cilium version (e.g. {Rendering.Settings.CiliumVersion.Default})");
            }
        });
    }

    /// <summary>Standard input, unless it is a terminal: nobody types a Cluster, and a pipe that was forgotten would hang.</summary>
    private static Stream OpenConsoleInput() =>
        Console.IsInputRedirected
            ? Console.OpenStandardInput()
            : throw new IOException("standard input is a terminal; pipe the YAML into it (e.g. kubectl kustomize overlays/site-a | capi-cilium render - --out DIR)");

    public static string ToolVersion =>
        typeof(RenderEnvironmentOptions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    public static string DefaultTemplatesDirectory => Path.Combine(AppContext.BaseDirectory, "templates");

    /// <summary>
    /// The options as this run uses them: a flag given on the command line, else the settings file's value, else the
    /// default. The settings file is <c>--config</c>, else the one found above <paramref name="inputs"/> (none for
    /// the controller and bench, which read no files). Throws <see cref="SettingsFileException"/> for a bad file.
    /// </summary>
    public RenderSettings Resolve(ParseResult parseResult, IEnumerable<string>? inputs)
    {
        var path = parseResult.GetValue(Config) ?? (inputs is null ? null : RepositorySettings.Find(inputs));
        var file = path is null ? null : RepositorySettings.Load(path);

        T Pick<T>(Option<T> option, string key) =>
            parseResult.GetResult(option) is { Implicit: false } || file is null || !file.Has(key) ? parseResult.GetValue(option)! : file.Get<T>(key)!;
        bool PickInverted(Option<bool> negation, string key) =>
            parseResult.GetResult(negation) is { Implicit: false } || file is null || !file.Has(key) ? !parseResult.GetValue(negation) : file.Get<bool>(key);

        return new RenderSettings(
            SettingsFile: file?.Path,
            Cilium: parseResult.GetValue(Cilium),
            InstallCiliumCli: Pick(InstallCiliumCli, RepositorySettings.InstallCiliumCliKey),
            ChartDirectories: parseResult.GetValue(ChartDirectories) is { Length: > 0 } given ? given : file?.Get<string[]>(RepositorySettings.ChartDirectoriesKey),
            CiliumVersion: Pick(CiliumVersion, RepositorySettings.CiliumVersionKey),
            Templates: Pick(Templates, RepositorySettings.TemplatesKey),
            Parallelism: Pick(Parallelism, RepositorySettings.ParallelismKey),
            TimeoutSeconds: Pick(TimeoutSeconds, RepositorySettings.TimeoutSecondsKey),
            EndpointVariable: ReadsClusterFiles ? Pick(EndpointVariable, RepositorySettings.EndpointVariableKey).Trim() : EndpointResolver.DefaultVariable,
            Stamp: PickInverted(NoStamp, RepositorySettings.StampKey),
            HelmReleaseName: Pick(HelmReleaseName, RepositorySettings.HelmReleaseNameKey),
            HelmOwnership: PickInverted(NoHelmOwnership, RepositorySettings.HelmOwnershipKey));
    }

    /// <summary>The chart directories named by the settings, else by <see cref="ChartDirectoryVariable"/>.</summary>
    public static IReadOnlyList<ChartDirectory> LoadCharts(RenderSettings settings)
    {
        var paths = settings.ChartDirectories is { Count: > 0 } named
            ? named
            : Environment.GetEnvironmentVariable(ChartDirectoryVariable) is { Length: > 0 } fromEnvironment
                ? fromEnvironment.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                : [];
        var charts = paths.Select(ChartDirectory.Load).ToList();
        var duplicate = charts.GroupBy(c => c.Version).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ChartDirectoryException(duplicate.First().Path, $"version {duplicate.Key} is given twice ({string.Join(", ", duplicate.Select(c => c.Path))})");
        }

        return charts;
    }

    /// <summary>The CLI the command line names or the machine has; with --install-cilium-cli, the pinned release downloaded when there is none.</summary>
    public static async Task<CiliumCliRunner> CreateRunnerAsync(RenderSettings settings, TextWriter progress, CancellationToken cancellationToken)
    {
        string path;
        try
        {
            path = CiliumCliLocator.Locate(settings.Cilium);
        }
        catch (CiliumCliNotFoundException) when (settings.InstallCiliumCli && settings.Cilium is null)
        {
            using var http = new HttpClient();
            path = await new CiliumCliInstaller(http).InstallAsync(CiliumCliRelease.Pinned(), CiliumCliLocator.ProjectLocalPath,
                Environment.GetEnvironmentVariable(CiliumCliRelease.Sha256Variable) is { Length: > 0 } pinned ? pinned : null,
                progress, cancellationToken).ConfigureAwait(false);
        }

        return new(new CiliumCliOptions(path)
        {
            Timeout = TimeSpan.FromSeconds(settings.TimeoutSeconds),
        });
    }

    public static PlanContext CreatePlanContext(RenderSettings settings, IReadOnlyList<ChartDirectory> charts, string cliVersion) =>
        new(new ProfileLibrary(settings.Templates ?? DefaultTemplatesDirectory), charts,
            settings.CiliumVersion is { } version ? Rendering.Settings.CiliumVersion.Parse(version) : null,
            cliVersion, ToolVersion)
        {
            HelmReleaseName = settings.HelmReleaseName,
            HelmOwnership = settings.HelmOwnership,
        };
}

/// <summary>
/// The render options one run uses, after the command line, the repository's settings file and the defaults have
/// each had their say (<see cref="RenderEnvironmentOptions.Resolve"/>).
/// </summary>
/// <param name="SettingsFile">The settings file the run read, or null.</param>
/// <param name="ChartDirectories">Charts named by a flag or the settings file; null leaves it to the environment.</param>
public sealed record RenderSettings(
    string? SettingsFile,
    string? Cilium,
    bool InstallCiliumCli,
    IReadOnlyList<string>? ChartDirectories,
    string? CiliumVersion,
    string? Templates,
    int Parallelism,
    int TimeoutSeconds,
    string EndpointVariable,
    bool Stamp,
    string HelmReleaseName,
    bool HelmOwnership);

/// <summary>
/// One run of a rendering command: the Cluster files read, the Cilium CLI resolved, every labelled Cluster planned
/// and the ready ones rendered. render, check and bump all go through here, so they select, plan, refuse and render
/// Clusters in exactly the same way (and produce byte-identical objects for the same inputs).
/// </summary>
public sealed class RenderSession
{
    private readonly CiliumCliRunner? _runner;
    private readonly TextWriter _stderr;

    private RenderSession(RenderSettings settings, ClusterFileSet input, IReadOnlyList<ChartDirectory> charts, CiliumCliRunner? runner,
        string cliVersion, TextWriter stderr)
    {
        _stderr = stderr;
        Settings = settings;
        Input = input;
        Charts = charts;
        _runner = runner;
        CliVersion = cliVersion;
    }

    /// <summary>The options this run uses, and the settings file they came from, if any.</summary>
    public RenderSettings Settings { get; }

    public ClusterFileSet Input { get; }

    public IReadOnlyList<ChartDirectory> Charts { get; }

    /// <summary>The Cilium CLI's version, or "unknown" when the session was opened without the CLI.</summary>
    public string CliVersion { get; }

    /// <summary>
    /// Reads the inputs and, when <paramref name="withCli"/>, locates the Cilium CLI and asks its version. Returns null
    /// after writing the reason to <paramref name="stderr"/> when that fails: a usage error (exit 2), reported before
    /// any work.
    /// </summary>
    public static async Task<RenderSession?> OpenAsync(ParseResult parseResult, RenderEnvironmentOptions environment,
        IEnumerable<string> paths, bool withCli, TextWriter stderr, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> files;
        RenderSettings settings;
        IReadOnlyList<ChartDirectory> charts;
        if (paths.Count(p => p == ClusterFileSet.StandardInput) > 1)
        {
            await stderr.WriteLineAsync($"error: '{ClusterFileSet.StandardInput}' (standard input) may be given only once").ConfigureAwait(false);
            return null;
        }

        try
        {
            files = ClusterFileSet.ExpandPaths(paths);
            settings = environment.Resolve(parseResult, paths);
            charts = RenderEnvironmentOptions.LoadCharts(settings);
        }
        catch (Exception e) when (e is FileNotFoundException or ChartDirectoryException or SettingsFileException)
        {
            await stderr.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
            return null;
        }

        if (settings.SettingsFile is { } settingsFile)
        {
            await stderr.WriteLineAsync($"settings: {settingsFile}").ConfigureAwait(false);
        }

        var input = ClusterFileSet.Load(files, settings.EndpointVariable, environment.StandardInput);
        var cliVersion = "unknown";
        CiliumCliRunner? runner = null;
        if (withCli)
        {
            try
            {
                runner = await RenderEnvironmentOptions.CreateRunnerAsync(settings, stderr, cancellationToken).ConfigureAwait(false);
                cliVersion = await runner.GetVersionAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is CiliumCliNotFoundException or CiliumCliException or CommandRunException)
            {
                await stderr.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
                return null;
            }
            catch (CiliumCliInstallException e)
            {
                await stderr.WriteLineAsync($"error: the Cilium CLI could not be installed: {e.Message}").ConfigureAwait(false);
                if (e.Offline)
                {
                    await stderr.WriteLineAsync(
                        "Without internet access, provide the Cilium CLI yourself (--cilium PATH or CILIUM_CLI) and, for offline renders, " +
                        $"the unpacked Cilium chart (--chart-directory DIR, the folder holding Chart.yaml, or {RenderEnvironmentOptions.ChartDirectoryVariable}).").ConfigureAwait(false);
                }

                return null;
            }
        }

        return new RenderSession(settings, input, charts, runner, cliVersion, stderr);
    }

    /// <summary>The planner's context as the settings set it; commands may adjust it (bump sets the default version).</summary>
    public PlanContext CreatePlanContext() => RenderEnvironmentOptions.CreatePlanContext(Settings, Charts, CliVersion);

    /// <summary>
    /// Plans every labelled Cluster, in input order. A result in state <see cref="ClusterState.Rendered"/> is READY to
    /// render (its Plan is set, its Objects are not yet); any other state says why the Cluster cannot be rendered.
    /// <paramref name="adjust"/> may change what the planner sees of a Cluster (bump --include-pinned drops the pin).
    /// </summary>
    public IReadOnlyList<ClusterResult> PlanAll(PlanContext context, Func<ClusterFacts, ClusterFacts>? adjust = null)
    {
        var planner = new RenderPlanner(context);
        return Input.Clusters.Select(source => PlanOne(planner, source, adjust)).ToList();
    }

    /// <summary>What stamping did in the last <see cref="RenderAsync"/>, or null with --no-stamp.</summary>
    public StampingReport? Stamping { get; private set; }

    /// <summary>
    /// Renders ready plans with the command line's parallelism (stamped unless --no-stamp), handing each Cluster to
    /// <paramref name="handler"/> as soon as it is finished; returns the summaries in the plans' order.
    /// </summary>
    public async Task<IReadOnlyList<ClusterResult>> RenderAsync(IReadOnlyList<RenderPlan> plans, ClusterResultHandler handler, IRenderProgress? progress,
        CancellationToken cancellationToken)
    {
        var runner = _runner ?? throw new InvalidOperationException("the session was opened without the Cilium CLI");
        var pipeline = new AddonRenderPipeline(runner);
        var parallelism = Settings.Parallelism;
        var stamping = Settings.Stamp ? new StampingRenderer(runner, pipeline, parallelism) : null;
        var results = await new BatchRenderer(pipeline, parallelism, stamping).RenderAsync(plans, handler, progress, cancellationToken).ConfigureAwait(false);
        Stamping = stamping?.LastReport;
        if (Stamping is { } report && report.StampedGroups + report.Fallbacks.Count > 0)
        {
            await _stderr.WriteLineAsync(Summary(report, plans.Count)).ConfigureAwait(false);
        }

        return results;
    }

    /// <summary>The one line render, check and bump print about stamping.</summary>
    public static string Summary(StampingReport report, int clusters) =>
        $"stamping: {report.Stamped} of {clusters} Cluster(s) stamped from {report.StampedGroups} shared render(s) " +
        $"({report.StampedFiles} as finished files, {report.Stamped - report.StampedFiles} rebuilt from stamped CLI output); " +
        $"{report.CliRuns} Cilium CLI run(s); {report.Fallbacks.Count} group(s) rendered directly after a check failed";

    /// <summary>Plans, then renders what is ready (see <see cref="RenderAsync"/>): every Cluster's summary, in input order.</summary>
    public async Task<IReadOnlyList<ClusterResult>> PlanAndRenderAsync(PlanContext context, ClusterResultHandler handler, IRenderProgress? progress,
        CancellationToken cancellationToken, Func<ClusterFacts, ClusterFacts>? adjust = null)
    {
        var planned = PlanAll(context, adjust);
        var ready = planned.Where(r => r.State == ClusterState.Rendered).ToList();
        var rendered = await RenderAsync(ready.Select(r => r.Plan!).ToList(), handler, progress, cancellationToken).ConfigureAwait(false);
        var byIndex = new Queue<ClusterResult>(rendered);
        return planned.Select(r => r.State == ClusterState.Rendered ? byIndex.Dequeue() : r).ToList();
    }

    /// <summary>`error: …` or `warning: …`, as every command prints a problem on stderr.</summary>
    public static string Format(Problem problem) =>
        $"{(problem.Severity == ProblemSeverity.Error ? "error" : "warning")}: {problem}";

    /// <summary>Reads, checks the selector label, and plans one Cluster. State Rendered here means "ready to render".</summary>
    private ClusterResult PlanOne(RenderPlanner planner, ClusterSource source, Func<ClusterFacts, ClusterFacts>? adjust)
    {
        if (source.Read.Facts is not { } read || !source.Read.IsValid)
        {
            var key = source.Read.Facts?.Key ?? source.Read.Problems.FirstOrDefault()?.Subject ?? source.Location;
            return new ClusterResult(key, ClusterState.Invalid, null, null, source.Read.Problems);
        }

        var facts = adjust is null ? read : adjust(read);
        var outcome = planner.Plan(facts, Input.ConfigMapsIn(facts.Namespace));
        var problems = source.Read.Problems.ToList();
        switch (outcome)
        {
            case PlanOutcome.Invalid invalid:
                problems.AddRange(invalid.Problems);
                return new ClusterResult(facts.Key, ClusterState.Invalid, null, null, problems) { Values = invalid.Values };
            case PlanOutcome.NotReady notReady:
                problems.Add(notReady.Reason);
                return new ClusterResult(facts.Key, ClusterState.NotReady, null, null, problems);
        }

        var plan = ((PlanOutcome.Ready)outcome).Plan;
        if (ClusterFileSet.CheckSelectorLabel(facts, source.Location) is { } labelProblem)
        {
            problems.Add(labelProblem);
            return new ClusterResult(facts.Key, ClusterState.Invalid, plan, null, problems);
        }

        problems.AddRange(plan.Warnings);
        return new ClusterResult(facts.Key, ClusterState.Rendered, plan with { Warnings = problems }, null, problems);
    }
}

/// <summary>
/// Progress on stderr. On a terminal one status line is rewritten in place (failures stay on screen); in CI logs
/// and pipes, where carriage returns turn into noise, one plain line per Cluster.
/// </summary>
public sealed class LineProgress(TextWriter stderr) : IRenderProgress
{
    private readonly Lock _lock = new();
    private readonly bool _interactive = ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected;

    public void Completed(ClusterResult result, int completed, int total)
    {
        var state = result.State == ClusterState.Rendered ? "rendered" : "FAILED";
        var line = $"[{completed}/{total}] {result.Key} {state} in {result.Duration.TotalSeconds:0.00} s";
        lock (_lock)
        {
            if (!_interactive)
            {
                stderr.WriteLine(line);
                return;
            }

            // \x1b[2K clears the previous status line before the new one is drawn.
            stderr.Write(result.State == ClusterState.Rendered && completed < total ? $"\r\x1b[2K{line}" : $"\r\x1b[2K{line}\n");
        }
    }
}
