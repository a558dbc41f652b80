using CapiCiliumAddon.Rendering.CiliumCli;
using CapiCiliumAddon.Rendering.Clusters;
using CapiCiliumAddon.Rendering.Planning;
using CapiCiliumAddon.Rendering.Settings;
using CapiCiliumAddon.Testing;

namespace CapiCiliumAddon.Rendering.Tests.Profiles;

/// <summary>A Metal3 workload cluster as a GitOps repository keeps it, planned with the shipped profiles.</summary>
internal static class ProfileClusters
{
    public const string CiliumVersion = "1.18.12";

    /// <summary>Cluster, Metal3Cluster and KubeadmControlPlane in one file, as the Metal3 templates generate them.</summary>
    public static string SiteFile(string profile, string pods = "[\"10.244.0.0/16\"]", string extraAnnotations = "") => $"""
        # Workload cluster site-a-prod, rack A.
        apiVersion: cluster.x-k8s.io/v1beta2
        kind: Cluster
        metadata:
          name: site-a-prod
          namespace: metal3
          labels:
            cni: cilium
            addon.capi-cilium.io/cluster-name: site-a-prod
            site: rack-a
          annotations:
            addon.capi-cilium.io/profile: {profile}
        {extraAnnotations}
        spec:
          clusterNetwork:
            pods:
              cidrBlocks: {pods}
            services:
              cidrBlocks: ["10.96.0.0/12"]
          controlPlaneEndpoint:
            host: 192.168.111.249
            port: 6443
          controlPlaneRef:
            apiGroup: controlplane.cluster.x-k8s.io
            kind: KubeadmControlPlane
            name: site-a-prod
          infrastructureRef:
            apiGroup: infrastructure.cluster.x-k8s.io
            kind: Metal3Cluster
            name: site-a-prod
        ---
        apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
        kind: Metal3Cluster
        metadata:
          name: site-a-prod
          namespace: metal3
        spec:
          controlPlaneEndpoint:
            host: 192.168.111.249
            port: 6443
          noCloudProvider: true
        ---
        apiVersion: controlplane.cluster.x-k8s.io/v1beta2
        kind: KubeadmControlPlane
        metadata:
          name: site-a-prod
          namespace: metal3
        spec:
          replicas: 3
          version: v1.33.4
          machineTemplate:
            spec:
              infrastructureRef:
                apiGroup: infrastructure.cluster.x-k8s.io
                kind: Metal3MachineTemplate
                name: site-a-prod-controlplane

        """;

    public static PlanOutcome Plan(string fileText, string? templates = null, IReadOnlyDictionary<string, string>? valuesConfigMap = null)
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("site-a-prod.yaml");
        File.WriteAllText(path, fileText);
        var input = ClusterFileSet.Load([path]);
        Assert.That(input.Problems, Is.Empty);
        var source = input.Clusters.Single();
        Assert.That(source.Read.Problems, Is.Empty);
        var configMaps = valuesConfigMap is null
            ? new Dictionary<string, IReadOnlyDictionary<string, string>>()
            : new Dictionary<string, IReadOnlyDictionary<string, string>> { ["cilium-values"] = valuesConfigMap };
        var planner = new RenderPlanner(new PlanContext(new ProfileLibrary(templates ?? ShippedTemplates), [],
            Rendering.Settings.CiliumVersion.Parse(CiliumVersion), "v0.19.7-12-ge694be34c", "0.1.0"));
        return planner.Plan(source.Read.Facts!, configMaps);
    }

    public static RenderPlan Ready(PlanOutcome outcome) => outcome switch
    {
        PlanOutcome.Ready ready => ready.Plan,
        PlanOutcome.Invalid invalid => throw new AssertionException("invalid: " + string.Join("\n", invalid.Problems)),
        _ => throw new AssertionException(outcome.ToString()),
    };

    public static IReadOnlyList<Problem> Problems(PlanOutcome outcome) =>
        outcome is PlanOutcome.Invalid invalid ? invalid.Problems : throw new AssertionException("expected an invalid plan, got " + outcome);

    public static string ShippedTemplates => Path.Combine(RepositoryPaths.Root, "templates");

    /// <summary>
    /// What we hand the Cilium CLI for a plan: every value with its source, the values file, and the argv of an offline
    /// render. The argv is the same for every profile (values never travel as arguments); it is shown so the file is
    /// the whole of what the CLI receives.
    /// </summary>
    public static string Describe(RenderPlan plan, string profile)
    {
        var width = plan.Values.All.Max(v => v.Key.Length);
        var valueWidth = plan.Values.All.Max(v => v.Display.Length);
        var lines = new List<string>
        {
            $"# Profile {profile} for {plan.Cluster.Key}: what capi-cilium hands the Cilium CLI (Cilium {plan.Version}).",
            "# Planned, not recorded: no real CLI run of this profile is among the recordings; the opt-in real-CLI test renders it.",
            "",
            "## Values and where each came from",
        };
        lines.AddRange(plan.Values.All.Select(v => $"{v.Key.PadRight(width)}  {v.Display.PadRight(valueWidth)}  {v.Source}".TrimEnd()));
        lines.Add("");
        lines.Add($"## {CiliumCliInvocation.ValuesFileName} (mode 0600, removed after the run)");
        lines.Add(plan.Values.ToValuesFile().TrimEnd('\n'));
        lines.Add("");
        lines.Add("## argv (after the program name; WORK is the run's private directory)");
        lines.AddRange(CiliumCliInvocation.DryRunArguments($"/charts/cilium-{plan.Version}", plan.Version.ToString(), $"WORK/{CiliumCliInvocation.ValuesFileName}"));
        return string.Join('\n', lines) + "\n";
    }
}
