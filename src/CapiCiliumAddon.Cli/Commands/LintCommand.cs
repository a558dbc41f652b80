using System.CommandLine;
using System.Text;
using CapiCiliumAddon.Rendering;
using CapiCiliumAddon.Rendering.Clusters;
using CapiCiliumAddon.Rendering.Lint;
using CapiCiliumAddon.Rendering.Settings;

namespace CapiCiliumAddon.Cli.Commands;

/// <summary>
/// `capi-cilium lint FILE|DIR|-...`: the version-aware checks, and the traps from real incidents, on rendered Cilium
/// manifests, our output tree, Helm values files and Cluster API objects. Exit 1 on errors, 0 otherwise, 2 on usage
/// errors and unreadable input.
/// </summary>
public static class LintCommand
{
    public const int ExitClean = 0;
    public const int ExitErrors = 1;
    public const int ExitUsage = 2;

    public static Command Create() => Create(() => Console.OpenStandardInput());

    /// <param name="standardInput">Opens what "-" reads (tests pass their own stream).</param>
    public static Command Create(Func<Stream> standardInput)
    {
        var paths = new Argument<string[]>("inputs")
        {
            Description = "Files or folders (searched recursively for *.yaml, *.yml, *.json; dot-folders skipped), or - for standard input: "
                + "rendered Cilium manifests, a capi-cilium output tree, Helm values files, Cluster/ClusterResourceSet/Flux/Argo CD objects.",
            Arity = ArgumentArity.OneOrMore,
        };
        var format = new Option<string>("--format")
        {
            Description = "Output format: 'text' (one line per finding) or 'json' (a stable array of {rule, severity, object, location, field, message, fix}).",
            DefaultValueFactory = _ => "text",
        };
        format.AcceptOnlyFromAmong("text", "json");
        var version = new Option<string?>("--cilium-version")
        {
            Description = $"Cilium version for values files (default {CiliumVersion.Default}, which applies every removal rule), and for manifests whose agent image and annotations name none.",
        };
        var podCidrs = new Option<string[]>("--pod-cidr")
        {
            Description = "A pod CIDR the native routing CIDR must cover (repeatable); overrides the pod CIDRs of a Cluster among the inputs.",
            AllowMultipleArgumentsPerToken = false,
        };

        var description = new StringBuilder(
            "Find Cilium settings that break a cluster, in manifests, values and Cluster objects.\n\n"
            + "Checks Cilium renders, capi-cilium output trees, Helm values and Cluster API objects for values the Cilium version "
            + "at hand removed, and for settings that break a cluster at bootstrap.\n\n"
            + "Exit codes: 0 = no errors (warnings alone are fine), 1 = errors found, 2 = usage error or unreadable input.\n\nRules:");
        foreach (var rule in LintRules.All)
        {
            description.Append($"\n  {rule.Id}: {rule.Summary}");
        }

        var command = new Command("lint", description.ToString()) { paths, format, version, podCidrs };
        command.SetAction((ParseResult parseResult, CancellationToken cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            var exit = Run(
                parseResult.GetValue(paths) ?? [],
                parseResult.GetValue(format) ?? "text",
                parseResult.GetValue(version),
                parseResult.GetValue(podCidrs) ?? [],
                standardInput,
                output,
                error);
            return Task.FromResult(exit);
        });
        return command;
    }

    private static int Run(string[] paths, string format, string? versionText, string[] podCidrTexts, Func<Stream> standardInput, TextWriter output, TextWriter error)
    {
        var options = new LintOptions();
        if (versionText is not null)
        {
            if (!CiliumVersion.TryParse(versionText, out var parsed))
            {
                error.WriteLine($"error: --cilium-version: '{versionText}' is not a Cilium version (e.g. {CiliumVersion.Default})");
                return ExitUsage;
            }

            options = options with { CiliumVersion = parsed };
        }

        var cidrs = new List<IpCidr>();
        foreach (var text in podCidrTexts)
        {
            if (!IpCidr.TryParse(text, out var cidr))
            {
                error.WriteLine($"error: --pod-cidr: '{text}' is not a CIDR block (e.g. 10.244.0.0/16)");
                return ExitUsage;
            }

            cidrs.Add(cidr!);
        }

        options = options with { PodCidrs = cidrs };

        if (paths.Count(p => p == LintSource.StandardInputName) > 1)
        {
            error.WriteLine("error: '-' (standard input) may be given only once");
            return ExitUsage;
        }

        IReadOnlyList<string> files;
        try
        {
            files = LintInputSet.ExpandPaths(paths);
        }
        catch (FileNotFoundException e)
        {
            error.WriteLine($"error: {e.Message}");
            return ExitUsage;
        }

        var sources = new List<LintSource>();
        foreach (var file in files)
        {
            try
            {
                sources.Add(new LintSource(file, file == LintSource.StandardInputName ? ReadAll(standardInput) : File.ReadAllBytes(file)));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                error.WriteLine($"error: {file}: {e.Message}");
                return ExitUsage;
            }
        }

        var inputs = LintInputSet.Read(sources);
        if (inputs.Problems.Count > 0)
        {
            foreach (var problem in inputs.Problems)
            {
                error.WriteLine($"error: {problem.Subject}: {problem.Message}");
            }

            return ExitUsage;
        }

        var findings = CiliumLinter.Lint(inputs, options);
        output.Write(format == "json" ? LintReport.ToJson(findings) : LintReport.ToText(findings));
        return findings.Any(f => f.Severity == ProblemSeverity.Error) ? ExitErrors : ExitClean;
    }

    private static byte[] ReadAll(Func<Stream> open)
    {
        using var stream = open();
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }
}
