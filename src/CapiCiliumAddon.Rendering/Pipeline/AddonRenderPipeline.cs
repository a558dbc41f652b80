using System.Text.Json.Nodes;
using CapiCiliumAddon.Rendering.Addons;
using CapiCiliumAddon.Rendering.CiliumCli;
using CapiCiliumAddon.Rendering.Manifests;
using CapiCiliumAddon.Rendering.Planning;
using CapiCiliumAddon.Rendering.Settings;

namespace CapiCiliumAddon.Rendering.Pipeline;

/// <summary>
/// One Cluster's render, end to end: CLI run, parse, Hubble bootstrap Job, Helm's ownership metadata on the chart
/// objects, checks against the plan, and the objects we ship with the values file a day-2 owner needs. Any error leaves the Cluster without output: a half-checked render must never reach a cluster.
/// </summary>
public sealed class AddonRenderPipeline(CiliumCliRunner cli, AddonLimits? limits = null)
{
    public async Task<ClusterResult> RenderAsync(RenderPlan plan, CancellationToken cancellationToken)
    {
        var key = plan.Cluster.Key;
        var problems = plan.Warnings.ToList();
        var run = await cli.RenderAsync(plan, cancellationToken).ConfigureAwait(false);
        if (run.Failure is not null)
        {
            problems.Add(run.Failure);
            return new ClusterResult(key, ClusterState.Failed, plan, null, problems);
        }

        return Finish(plan, run.Manifest!, problems, limits ?? AddonLimits.Default);
    }

    /// <summary>Everything after the CLI: pure, so it is tested on recorded output and reused by stamping.</summary>
    public static ClusterResult Finish(RenderPlan plan, string cliOutput, List<Problem> problems, AddonLimits limits)
    {
        var key = plan.Cluster.Key;
        var parsed = RenderedManifest.Parse(cliOutput, key);
        problems.AddRange(parsed.Problems);
        if (!parsed.Succeeded)
        {
            return new ClusterResult(key, ClusterState.Failed, plan, null, problems);
        }

        var chartVersion = plan.ChartVersion.ToString();
        var manifest = HubbleCertificates.EnsureBootstrapJob(parsed.Manifest!, chartVersion);
        if (plan.HelmRelease is { } release)
        {
            var owned = HelmOwnership.Apply(manifest, release);
            problems.AddRange(owned.Problems);
            if (owned.Manifest is null)
            {
                return new ClusterResult(key, ClusterState.Failed, plan, null, problems);
            }

            manifest = owned.Manifest;
        }

        problems.AddRange(RenderChecks.Check(manifest, Expected(plan, chartVersion)));
        if (problems.Any(p => p.Severity == ProblemSeverity.Error))
        {
            return new ClusterResult(key, ClusterState.Failed, plan, null, problems);
        }

        var identity = new AddonIdentity(plan.Cluster.Namespace, plan.Cluster.Name, plan.SelectorLabel);
        var values = plan.HelmValuesFile;
        var built = AddonObjectsBuilder.Build(identity, manifest, plan.OutputAnnotationsFor(values), limits) with { HelmValues = values };
        problems.AddRange(built.Problems);
        return !built.Succeeded || problems.Any(p => p.Severity == ProblemSeverity.Error)
            ? new ClusterResult(key, ClusterState.Failed, plan, null, problems)
            : new ClusterResult(key, ClusterState.Rendered, plan, built, problems);
    }

    /// <summary>What the render must say, derived from the final values rather than from defaults, so a user's valid override is checked too.</summary>
    public static ExpectedRender Expected(RenderPlan plan, string chartVersion)
    {
        string? Value(string helmKey) => HelmValues.AsString(plan.Values[helmKey]?.Value);
        string? Pool(string helmKey) => plan.Values[helmKey]?.Value is JsonArray cidrs ? string.Join(' ', cidrs.Select(HelmValues.AsString)) : Value(helmKey);
        return new ExpectedRender(
            plan.Endpoint.Host,
            plan.Endpoint.Port,
            Value("routingMode") ?? "tunnel",
            Value("routingMode") == "native" ? Value("ipv4NativeRoutingCIDR") : null,
            Value("routingMode") == "native" ? Value("ipv6NativeRoutingCIDR") : null,
            Value("kubeProxyReplacement") == "true",
            Value("ipam.mode") ?? "cluster-pool",
            plan.CiliumClusterName,
            chartVersion,
            plan.HelmRelease)
        {
            // The chart writes a family's pool only while that family is enabled.
            ClusterPoolIpv4Cidrs = Value("ipv4.enabled") == "false" ? null : Pool(ValuesLint.ClusterPoolIpv4ListKey),
            ClusterPoolIpv4MaskSize = Value("ipv4.enabled") == "false" ? null : Value(ValuesLint.ClusterPoolIpv4MaskKey),
            ClusterPoolIpv6Cidrs = Value("ipv6.enabled") == "true" ? Pool(ValuesLint.ClusterPoolIpv6ListKey) : null,
            ClusterPoolIpv6MaskSize = Value("ipv6.enabled") == "true" ? Value(ValuesLint.ClusterPoolIpv6MaskKey) : null,
        };
    }
}
