using CapiCiliumAddon.Rendering.CiliumCli;
using CapiCiliumAddon.Rendering.Clusters;
using CapiCiliumAddon.Rendering.Manifests;
using CapiCiliumAddon.Rendering.Settings;

namespace CapiCiliumAddon.Rendering.Planning;

/// <summary>
/// Everything one render needs, decided without running anything. Two equal plans render byte-identical output,
/// which is what <see cref="InputHash"/> stands for.
/// </summary>
/// <param name="Chart">The offline chart to render, or null to let the CLI resolve <see cref="Version"/> itself.</param>
/// <param name="CiliumClusterName">cluster.name as Cilium will see it (may differ from the Cluster's name; see CiliumClusterName).</param>
public sealed record RenderPlan(
    ClusterFacts Cluster,
    ControlPlaneEndpoint Endpoint,
    CiliumVersion Version,
    ChartDirectory? Chart,
    HelmValues Values,
    string CiliumClusterName,
    KeyValuePair<string, string> SelectorLabel,
    string CliVersion,
    string ToolVersion,
    string InputHash,
    IReadOnlyList<Problem> Warnings)
{
    /// <summary>
    /// The Helm release whose ownership metadata the chart objects carry, so that it can adopt them on day 2; null
    /// when the render ships the bare chart output (<c>--no-helm-ownership</c>).
    /// </summary>
    public HelmReleaseIdentity? HelmRelease { get; init; }

    /// <summary>The chart version actually rendered (a chart directory's own, else the requested version).</summary>
    public CiliumVersion ChartVersion => Chart?.Version ?? Version;

    /// <summary>The values the CLI renders with, as the values file a day-2 owner must use.</summary>
    public HelmValuesFile HelmValuesFile => HelmValuesFile.From(Values);

    /// <summary>The annotations every output object carries: what produced it, from which inputs, and who may adopt it.</summary>
    public IReadOnlyDictionary<string, string> OutputAnnotations => OutputAnnotationsFor(HelmValuesFile);

    /// <summary>
    /// <see cref="OutputAnnotations"/> for this plan's <paramref name="values"/> file, which a caller that also ships the
    /// file has made already: making it serialises and reads back every value.
    /// </summary>
    internal IReadOnlyDictionary<string, string> OutputAnnotationsFor(HelmValuesFile values)
    {
        var annotations = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            [AddonKeys.InputHashAnnotation] = InputHash,
            [AddonKeys.HelmValuesHashAnnotation] = values.Hash,
        };
        foreach (var (key, value) in GroupAnnotations)
        {
            annotations.Add(key, value);
        }

        return annotations;
    }

    /// <summary>
    /// The output annotations every Cluster rendered with the same version, CLI, tool and release shares: all but the
    /// hashes of the Cluster's own inputs and values. Stamping compares these and fills the hashes per Cluster.
    /// </summary>
    public IReadOnlyDictionary<string, string> GroupAnnotations
    {
        get
        {
            var annotations = new SortedDictionary<string, string>(StringComparer.Ordinal)
            {
                [AddonKeys.CiliumVersionAnnotation] = Version.ToString(),
                [AddonKeys.ChartVersionAnnotation] = ChartVersion.ToString(),
                [AddonKeys.CiliumCliVersionAnnotation] = CliVersion,
                [AddonKeys.ToolVersionAnnotation] = ToolVersion,
            };
            if (HelmRelease is not null)
            {
                annotations[AddonKeys.HelmReleaseNameAnnotation] = HelmRelease.Name;
            }

            return annotations;
        }
    }
}

public abstract record PlanOutcome
{
    private PlanOutcome() { }

    public abstract ClusterFacts? Cluster { get; }

    public sealed record Ready(RenderPlan Plan) : PlanOutcome
    {
        public override ClusterFacts Cluster => Plan.Cluster;
    }

    /// <summary>Valid, but the endpoint is not set yet: render nothing and say what we wait for.</summary>
    public sealed record NotReady(ClusterFacts Facts, Problem Reason) : PlanOutcome
    {
        public override ClusterFacts Cluster => Facts;
    }

    public sealed record Invalid(ClusterFacts? Facts, IReadOnlyList<Problem> Problems) : PlanOutcome
    {
        public override ClusterFacts? Cluster => Facts;

        /// <summary>The values the Cluster's settings stacked to before the problems were found, or null when planning stopped earlier.</summary>
        public HelmValues? Values { get; init; }
    }
}
