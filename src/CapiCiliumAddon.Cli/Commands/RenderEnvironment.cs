using System.CommandLine;
using System.Reflection;
using CapiCiliumAddon.Processes;
using CapiCiliumAddon.Rendering.CiliumCli;
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

    public Option<string?> Cilium { get; } = new("--cilium")
    {
        Description = $"Path of the Cilium CLI (default: ${CiliumCliLocator.EnvironmentVariable}, else `cilium` on PATH).",
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
        Description = "Folder of profile templates (<name>.yaml.hbs). Default: the templates shipped with capi-cilium.",
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

    public void AddTo(Command command)
    {
        command.Options.Add(Cilium);
        command.Options.Add(ChartDirectories);
        command.Options.Add(CiliumVersion);
        command.Options.Add(Templates);
        command.Options.Add(Parallelism);
        command.Options.Add(TimeoutSeconds);
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
        CiliumVersion.Validators.Add(r =>
        {
            var text = r.GetValueOrDefault<string?>();
            if (text is not null && !Rendering.Settings.CiliumVersion.TryParse(text, out _))
            {
                r.AddError($"--cilium-version '{text}' is not a Cilium version (e.g. 1.18.12)");
            }
        });
    }

    public static string ToolVersion =>
        typeof(RenderEnvironmentOptions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    public static string DefaultTemplatesDirectory => Path.Combine(AppContext.BaseDirectory, "templates");

    public IReadOnlyList<ChartDirectory> LoadCharts(ParseResult parseResult)
    {
        var paths = parseResult.GetValue(ChartDirectories) is { Length: > 0 } given
            ? given
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

    public CiliumCliRunner CreateRunner(ParseResult parseResult) =>
        new(new ProcessRunner(), new CiliumCliOptions(CiliumCliLocator.Locate(parseResult.GetValue(Cilium)))
        {
            Timeout = TimeSpan.FromSeconds(parseResult.GetValue(TimeoutSeconds)),
        });

    public PlanContext CreatePlanContext(ParseResult parseResult, IReadOnlyList<ChartDirectory> charts, string cliVersion) =>
        new(new ProfileLibrary(parseResult.GetValue(Templates) ?? DefaultTemplatesDirectory), charts,
            parseResult.GetValue(CiliumVersion) is { } version ? Rendering.Settings.CiliumVersion.Parse(version) : null,
            cliVersion, ToolVersion);
}
