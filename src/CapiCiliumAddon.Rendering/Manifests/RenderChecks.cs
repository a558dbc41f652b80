using System.Globalization;
using CapiCiliumAddon.Rendering.Yaml;
using YamlDotNet.RepresentationModel;

namespace CapiCiliumAddon.Rendering.Manifests;

/// <summary>What the plan asked the CLI for; the render must say the same.</summary>
public sealed record ExpectedRender(
    string K8sServiceHost,
    int K8sServicePort,
    string RoutingMode,
    string? Ipv4NativeRoutingCidr,
    string? Ipv6NativeRoutingCidr,
    bool KubeProxyReplacement,
    string IpamMode,
    string ClusterName,
    string ChartVersion,
    HelmReleaseIdentity? HelmRelease = null)
{
    /// <summary>With cluster-pool IPAM: the IPv4 pool as cilium-config writes it (CIDRs joined by spaces), or null.</summary>
    public string? ClusterPoolIpv4Cidrs { get; init; }

    public string? ClusterPoolIpv4MaskSize { get; init; }

    public string? ClusterPoolIpv6Cidrs { get; init; }

    public string? ClusterPoolIpv6MaskSize { get; init; }
}

/// <summary>
/// Checks a render against its plan. The CLI passes many bad values silently (DESIGN.md §3), so every
/// bootstrap-critical value is read back from the output: the API server endpoint in all five containers that carry
/// it, the datapath settings in <c>cilium-config</c>, the image tags, the namespaces, and Helm's ownership metadata.
/// </summary>
public static class RenderChecks
{
    public const string SystemNamespace = "kube-system";
    public const string SecretsNamespace = "cilium-secrets";

    private static readonly HashSet<string> NamespacedKinds =
    [
        "ServiceAccount", "ConfigMap", "Secret", "Role", "RoleBinding", "Service", "DaemonSet", "Deployment",
        "StatefulSet", "Job", "CronJob", "PodDisruptionBudget", "Lease", "Endpoints", "NetworkPolicy",
    ];

    /// <summary>Image repositories (last path segment) that carry the chart's own version as tag.</summary>
    private static readonly HashSet<string> VersionedImages =
    [
        "cilium", "operator", "operator-generic", "operator-aws", "operator-azure", "operator-alibabacloud",
        "hubble-relay", "clustermesh-apiserver",
    ];

    public static IReadOnlyList<Problem> Check(RenderedManifest manifest, ExpectedRender expected)
    {
        var problems = new List<Problem>();
        CheckEndpoint(manifest, expected, problems);
        CheckConfig(manifest, expected, problems);
        CheckImages(manifest, expected, problems);
        CheckNamespaces(manifest, problems);
        CheckStringFields(manifest, problems);
        problems.AddRange(HelmOwnership.Check(manifest, expected.HelmRelease));
        return problems;
    }

    private static void CheckEndpoint(RenderedManifest manifest, ExpectedRender expected, List<Problem> problems)
    {
        var agent = manifest.Find("DaemonSet", "cilium", SystemNamespace);
        if (agent is null)
        {
            problems.Add(Problem.Error($"DaemonSet {SystemNamespace}/cilium", "",
                "The render has no DaemonSet kube-system/cilium: this is not a usable Cilium manifest.",
                "Check the chart directory and the values (agent.enabled?)."));
        }
        else
        {
            CheckEnv(agent, "initContainers", "config", expected, problems);
            CheckEnv(agent, "initContainers", "clean-cilium-state", expected, problems);
            CheckEnv(agent, "containers", "cilium-agent", expected, problems);
        }

        var envoy = manifest.Find("DaemonSet", "cilium-envoy", SystemNamespace);
        if (envoy is not null)
        {
            CheckEnv(envoy, "containers", "cilium-envoy", expected, problems);
        }

        var operatorDeployment = manifest.Find("Deployment", "cilium-operator", SystemNamespace);
        if (operatorDeployment is null)
        {
            problems.Add(Problem.Error($"Deployment {SystemNamespace}/cilium-operator", "",
                "The render has no Deployment kube-system/cilium-operator."));
        }
        else
        {
            CheckEnv(operatorDeployment, "containers", "cilium-operator", expected, problems);
        }
    }

    private static void CheckEnv(RenderedObject workload, string list, string container, ExpectedRender expected, List<Problem> problems)
    {
        var field = $"spec.template.spec.{list}[{container}]";
        var c = Containers(workload, list).FirstOrDefault(x => x.GetString("name") == container);
        if (c is null)
        {
            problems.Add(Problem.Error(workload.Subject, field,
                $"Container '{container}' is missing; it must carry KUBERNETES_SERVICE_HOST/PORT = {expected.K8sServiceHost}:{expected.K8sServicePort}."));
            return;
        }

        CheckEnvValue(workload, c, field, "KUBERNETES_SERVICE_HOST", expected.K8sServiceHost, problems);
        CheckEnvValue(workload, c, field, "KUBERNETES_SERVICE_PORT", expected.K8sServicePort.ToString(CultureInfo.InvariantCulture), problems);
    }

    private static void CheckEnvValue(RenderedObject workload, YamlMappingNode container, string containerField, string name, string expected, List<Problem> problems)
    {
        var field = $"{containerField}.env[{name}]";
        var env = container.GetSeq("env")?.Children.OfType<YamlMappingNode>().FirstOrDefault(e => e.GetString("name") == name);
        if (env is null)
        {
            problems.Add(Problem.Error(workload.Subject, field,
                $"Missing: expected {name}=\"{expected}\", found no such env var. Without it, the container cannot reach the API server while kube-proxy is absent.",
                "Set k8sServiceHost/k8sServicePort to the Cluster's control plane endpoint."));
            return;
        }

        if (Found(env, "value", expected) is { } found)
        {
            problems.Add(Problem.Error(workload.Subject, field,
                $"Expected \"{expected}\", found " + (found.Length == 0 ? "no literal value" : found) + ".",
                "The render must use the Cluster's control plane endpoint; something (a values file, or CLI auto-detection) overrode it."));
        }
    }

    private static void CheckConfig(RenderedManifest manifest, ExpectedRender expected, List<Problem> problems)
    {
        var config = manifest.Find("ConfigMap", "cilium-config", SystemNamespace);
        if (config is null)
        {
            problems.Add(Problem.Error($"ConfigMap {SystemNamespace}/cilium-config", "", "The render has no ConfigMap kube-system/cilium-config."));
            return;
        }

        var data = config.Root.GetMap("data");
        void Expect(string key, string value, string? fix = null)
        {
            if (Found(data, key, value) is { } found)
            {
                problems.Add(Problem.Error(config.Subject, $"data[{key}]",
                    $"Expected \"{value}\", found " + (found.Length == 0 ? "nothing (key missing)" : found) + ".", fix));
            }
        }

        Expect("routing-mode", expected.RoutingMode, "Set routingMode explicitly: the CLI injects routingMode=tunnel when it is not given.");
        if (expected.Ipv4NativeRoutingCidr is not null)
        {
            Expect("ipv4-native-routing-cidr", expected.Ipv4NativeRoutingCidr, "ipv4NativeRoutingCIDR must cover every pod CIDR.");
        }

        if (expected.Ipv6NativeRoutingCidr is not null)
        {
            Expect("enable-ipv6", "true", "Set ipv6.enabled=true for an IPv6 native-routing CIDR to take effect.");
            Expect("ipv6-native-routing-cidr", expected.Ipv6NativeRoutingCidr, "ipv6NativeRoutingCIDR must cover every IPv6 pod CIDR.");
        }

        Expect("kube-proxy-replacement", expected.KubeProxyReplacement ? "true" : "false", "Set kubeProxyReplacement=true or false (partial/strict/disabled are removed).");
        Expect("ipam", expected.IpamMode, "Set ipam.mode explicitly.");
        if (expected.IpamMode == "cluster-pool")
        {
            const string poolFix = "The cluster-pool must be the Cluster's pod CIDR, with the planned block per node.";
            foreach (var (key, value) in new[]
            {
                ("cluster-pool-ipv4-cidr", expected.ClusterPoolIpv4Cidrs), ("cluster-pool-ipv4-mask-size", expected.ClusterPoolIpv4MaskSize),
                ("cluster-pool-ipv6-cidr", expected.ClusterPoolIpv6Cidrs), ("cluster-pool-ipv6-mask-size", expected.ClusterPoolIpv6MaskSize),
            })
            {
                if (value is not null)
                {
                    Expect(key, value, poolFix);
                }
            }
        }

        Expect("cluster-name", expected.ClusterName, "Set cluster.name explicitly (at most 32 lowercase alphanumerics and '-').");
    }

    private static void CheckImages(RenderedManifest manifest, ExpectedRender expected, List<Problem> problems)
    {
        var tag = "v" + expected.ChartVersion;
        foreach (var workload in manifest.Objects.Where(o => o.Kind is "DaemonSet" or "Deployment" or "StatefulSet" or "Job" or "CronJob"))
        {
            foreach (var list in new[] { "initContainers", "containers" })
            {
                foreach (var c in Containers(workload, list))
                {
                    var image = c.GetString("image");
                    if (image is null)
                    {
                        continue;
                    }

                    var (repository, actualTag) = SplitImage(image);
                    var lastSegment = repository[(repository.LastIndexOf('/') + 1)..];
                    if (VersionedImages.Contains(lastSegment) && actualTag != tag)
                    {
                        var root = workload.Kind == "CronJob" ? "spec.jobTemplate.spec.template.spec" : "spec.template.spec";
                        problems.Add(Problem.Error(workload.Subject, $"{root}.{list}[{c.GetString("name")}].image",
                            $"Expected tag \"{tag}\" (the chart version), found \"{actualTag ?? "(none)"}\" in image \"{image}\".",
                            "Render with the chart directory of the requested version, and do not override image tags."));
                    }
                }
            }
        }
    }

    private static void CheckNamespaces(RenderedManifest manifest, List<Problem> problems)
    {
        foreach (var o in manifest.Objects)
        {
            if (o.Namespace is null)
            {
                if (NamespacedKinds.Contains(o.Kind))
                {
                    problems.Add(Problem.Error(o.Subject, "metadata.namespace",
                        $"A namespaced {o.Kind} without a namespace would land in the workload cluster's 'default' namespace; expected kube-system or cilium-secrets."));
                }
            }
            else if (o.Namespace is not (SystemNamespace or SecretsNamespace))
            {
                problems.Add(Problem.Error(o.Subject, "metadata.namespace",
                    $"Expected namespace kube-system or cilium-secrets, found \"{o.Namespace}\".",
                    "Do not set namespaceOverride; the bootstrap manifest installs into kube-system."));
            }
        }
    }

    /// <summary>
    /// Label and annotation values, ConfigMap data and container env values must be strings to the API server, which refuses the whole
    /// object otherwise: a ClusterResourceSet would then never install Cilium. A user's value reaches them through the
    /// chart as written (<c>extraEnv: [{name: DEBUG, value: on}]</c> is the boolean true to Helm, rendered as
    /// <c>value: true</c>), so they are read back here as Kubernetes reads them.
    /// </summary>
    private static void CheckStringFields(RenderedManifest manifest, List<Problem> problems)
    {
        foreach (var o in manifest.Objects)
        {
            CheckStringFields(o, o.Root, [], problems);
        }
    }

    /// <summary>
    /// Walks <paramref name="node"/>, naming a sequence item by its <c>name</c> when it has one
    /// (<c>containers[cilium-agent].env[DEBUG].value</c>), as the other checks name containers.
    /// </summary>
    private static void CheckStringFields(RenderedObject o, YamlNode node, List<string> path, List<Problem> problems)
    {
        switch (node)
        {
            case YamlMappingNode map:
                foreach (var (key, value) in map.Children)
                {
                    path.Add((key as YamlScalarNode)?.Value ?? "");
                    CheckStringFields(o, value, path, problems);
                    path.RemoveAt(path.Count - 1);
                }

                break;
            case YamlSequenceNode sequence:
                for (var i = 0; i < sequence.Children.Count; i++)
                {
                    var item = sequence.Children[i];
                    path.Add($"[{(item as YamlMappingNode).GetString("name") ?? i.ToString(CultureInfo.InvariantCulture)}]");
                    CheckStringFields(o, item, path, problems);
                    path.RemoveAt(path.Count - 1);
                }

                break;
            case YamlScalarNode scalar when TextFields.Describe(path, o.Kind == "ConfigMap") is { } what
                && YamlScalars.Resolve(scalar) is not (string or null) and var value:
                problems.Add(Problem.Error(o.Subject, YamlJson.Field(path),
                    $"`{scalar.Value}` is {(value is bool ? "a boolean" : "a number")}, not text, to Kubernetes, and {what} must be a string: the API server refuses the {o.Kind}, so the ClusterResourceSet never installs Cilium.",
                    "Quote the value where the Helm values set it: Helm reads a plain yes, on, true, 0400 or 1_000 as a boolean or a number, and the chart renders it as one."));
                break;
        }
    }

    /// <summary>
    /// Null when <paramref name="key"/> holds <paramref name="expected"/>; otherwise what it holds, for the message ("" when
    /// nothing).
    /// </summary>
    private static string? Found(YamlMappingNode? map, string key, string expected)
    {
        if (map.Get(key) is not YamlScalarNode scalar || YamlNodes.IsNull(scalar))
        {
            return "";
        }

        // A plain 6443 is the right port in the wrong type: CheckStringFields reports the type, once.
        return scalar.Value == expected ? null : $"\"{scalar.Value}\"";
    }

    internal static IEnumerable<YamlMappingNode> Containers(RenderedObject workload, string list)
    {
        var podSpec = workload.Kind == "CronJob"
            ? workload.Root.GetPath("spec", "jobTemplate", "spec", "template", "spec")
            : workload.Root.GetPath("spec", "template", "spec");
        return podSpec.GetSeq(list)?.Children.OfType<YamlMappingNode>() ?? [];
    }

    /// <summary>Splits "registry/repo:tag@sha256:..." into the repository and the tag (null when untagged).</summary>
    public static (string Repository, string? Tag) SplitImage(string image)
    {
        var at = image.IndexOf('@');
        var withoutDigest = at >= 0 ? image[..at] : image;
        var colon = withoutDigest.LastIndexOf(':');
        var slash = withoutDigest.LastIndexOf('/');
        return colon > slash ? (withoutDigest[..colon], withoutDigest[(colon + 1)..]) : (withoutDigest, null);
    }
}
