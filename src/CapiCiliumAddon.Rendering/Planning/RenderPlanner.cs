using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CapiCiliumAddon.Rendering.CiliumCli;
using CapiCiliumAddon.Rendering.Clusters;
using CapiCiliumAddon.Rendering.Manifests;
using CapiCiliumAddon.Rendering.Settings;
using CapiCiliumAddon.Rendering.Yaml;

namespace CapiCiliumAddon.Rendering.Planning;

/// <summary>What the planner knows beyond the Cluster: the environment it renders in.</summary>
/// <param name="Charts">Offline charts available (may be empty: the CLI then resolves versions itself).</param>
/// <param name="DefaultVersion">The version for Clusters that do not pin one (the command line's --cilium-version).</param>
/// <param name="CliVersion">The Cilium CLI's own version; part of the input hash, since a new CLI may render differently.</param>
public sealed record PlanContext(
    ProfileLibrary Profiles,
    IReadOnlyList<ChartDirectory> Charts,
    CiliumVersion? DefaultVersion,
    string CliVersion,
    string ToolVersion)
{
    /// <summary>The Helm release name for Clusters without the <see cref="AddonKeys.HelmReleaseNameAnnotation"/> annotation.</summary>
    public string HelmReleaseName { get; init; } = HelmReleaseIdentity.DefaultName;

    /// <summary>False ships the bare chart output: no Helm ownership metadata, so no Helm-based tool can adopt the objects.</summary>
    public bool HelmOwnership { get; init; } = true;
}

/// <summary>
/// Turns a Cluster into a <see cref="RenderPlan"/> by stacking the settings layers of DESIGN.md §4 and checking the
/// result. Pure: no process, no network, no clock; the same inputs always give the same plan and hash.
/// </summary>
public sealed partial class RenderPlanner(PlanContext context)
{
    /// <param name="configMaps">ConfigMaps of the Cluster's namespace by name (only referenced ones are needed).</param>
    public PlanOutcome Plan(ClusterFacts cluster, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> configMaps)
    {
        var subject = cluster.Key;
        var problems = new List<Problem>();

        foreach (var key in cluster.Annotations.Keys.Where(k => k.StartsWith(AddonKeys.Prefix, StringComparison.Ordinal)))
        {
            if (!AddonKeys.ClusterAnnotations.Contains(key))
            {
                problems.Add(Problem.Error(subject, $"metadata.annotations[{key}]", "unknown annotation",
                    $"known: {string.Join(", ", AddonKeys.ClusterAnnotations.Order(StringComparer.Ordinal))}"));
            }
        }

        var (version, versionField) = ChooseVersion(cluster, problems);
        var chart = version is null ? null : ChooseChart(cluster, version, versionField, problems);

        var values = new HelmValues();
        BuiltInValues.ApplyTo(values);
        if (version is not null)
        {
            ApplyProfile(cluster, version, values, problems);
        }

        ApplyValuesConfigMap(cluster, configMaps, values, problems);
        ApplyAnnotations(cluster, values, problems);
        var ciliumClusterName = ApplyClusterFacts(cluster, values, problems);
        CliInjectedValues.ApplyTo(values);
        var release = ChooseRelease(cluster, problems);

        if (version is not null)
        {
            problems.AddRange(ValuesLint.Check(values, version, subject, cluster, endpointPending: cluster.Endpoint is null));
            if (chart?.DefaultValues is { } defaults)
            {
                problems.AddRange(ValuesLint.CheckKeysExist(values, defaults, subject));
            }
        }

        var errors = problems.Where(p => p.Severity == ProblemSeverity.Error).ToList();
        if (errors.Count > 0)
        {
            return new PlanOutcome.Invalid(cluster, problems) { Values = values };
        }

        if (cluster.Endpoint is not { } endpoint)
        {
            var field = cluster.PendingEndpointField ?? "spec.controlPlaneEndpoint";
            return new PlanOutcome.NotReady(cluster, cluster.PendingEndpointReason ?? Problem.Warning(subject, field,
                "the control plane endpoint is not set yet (Metal3 fills it in from the Metal3Cluster a reconcile or two after creation); nothing is rendered until it has a host and a port"));
        }

        var selector = AddonKeys.SelectorLabelFor(cluster.Name);
        var hash = InputHash(cluster, version!, chart, values, selector, release);
        var plan = new RenderPlan(cluster, endpoint, version!, chart, values, ciliumClusterName, selector,
            context.CliVersion, context.ToolVersion, hash, problems);
        return new PlanOutcome.Ready(plan with { HelmRelease = release });
    }

    /// <summary>The release that may adopt the render: the Cluster's annotation, else the command line's name; null when ownership is off.</summary>
    private HelmReleaseIdentity? ChooseRelease(ClusterFacts cluster, List<Problem> problems)
    {
        const string annotationField = $"metadata.annotations[{AddonKeys.HelmReleaseNameAnnotation}]";
        var field = "--helm-release-name";
        var name = context.HelmReleaseName;
        if (cluster.Annotations.TryGetValue(AddonKeys.HelmReleaseNameAnnotation, out var annotated))
        {
            if (!HelmReleaseIdentity.IsValidName(annotated))
            {
                problems.Add(Problem.Error(cluster.Key, annotationField,
                    $"'{ClusterReader.Truncate(annotated)}' is not a Helm release name",
                    $"use at most {HelmReleaseIdentity.MaxNameLength} lowercase letters, digits, '-' and '.', starting and ending with a letter or digit (e.g. {HelmReleaseIdentity.DefaultName})"));
                return null;
            }

            if (!context.HelmOwnership)
            {
                problems.Add(Problem.Warning(cluster.Key, annotationField,
                    "ignored: this render ships the bare chart output (--no-helm-ownership), so no Helm release can adopt it"));
            }

            name = annotated;
            field = annotationField;
        }

        if (!context.HelmOwnership)
        {
            return null;
        }

        if (name != HelmReleaseIdentity.DefaultName)
        {
            problems.Add(Problem.Warning(cluster.Key, field,
                $"release '{name}': Flux, Argo CD and helm can adopt it, but `cilium install` and `cilium upgrade` only ever use the release '{HelmReleaseIdentity.DefaultName}'"));
        }

        return new HelmReleaseIdentity(name, HelmReleaseIdentity.DefaultNamespace);
    }

    private (CiliumVersion? Version, string Field) ChooseVersion(ClusterFacts cluster, List<Problem> problems)
    {
        const string annotationField = $"metadata.annotations[{AddonKeys.CiliumVersionAnnotation}]";
        if (cluster.Annotations.TryGetValue(AddonKeys.CiliumVersionAnnotation, out var pinned))
        {
            if (!CiliumVersion.TryParse(pinned, out var parsed))
            {
                problems.Add(Problem.Error(cluster.Key, annotationField, $"'{ClusterReader.Truncate(pinned)}' is not a Cilium version", $"use MAJOR.MINOR.PATCH, e.g. {CiliumVersion.Default}"));
                return (null, annotationField);
            }

            return (Supported(parsed!, cluster, annotationField, problems), annotationField);
        }

        var version = context.DefaultVersion
            ?? (context.Charts.Count == 1 ? context.Charts[0].Version : CiliumVersion.Default);
        return (Supported(version, cluster, "--cilium-version", problems), "--cilium-version");
    }

    private static CiliumVersion? Supported(CiliumVersion version, ClusterFacts cluster, string field, List<Problem> problems)
    {
        if (version.CompareTo(CiliumVersion.MinimumSupported) < 0)
        {
            problems.Add(Problem.Error(cluster.Key, field, $"Cilium {version} is older than the oldest supported version {CiliumVersion.MinimumSupported}"));
            return null;
        }

        return version;
    }

    private ChartDirectory? ChooseChart(ClusterFacts cluster, CiliumVersion version, string field, List<Problem> problems)
    {
        if (context.Charts.Count == 0)
        {
            return null;
        }

        var chart = context.Charts.FirstOrDefault(c => c.Version.Equals(version));
        if (chart is null)
        {
            problems.Add(Problem.Error(cluster.Key, field,
                $"Cilium {version} was requested but the chart directories hold {string.Join(", ", context.Charts.Select(c => c.Version))}; the CLI would silently render the chart's own version",
                "pass a --chart-directory for that version, or change the requested version"));
        }

        return chart;
    }

    private void ApplyProfile(ClusterFacts cluster, CiliumVersion version, HelmValues values, List<Problem> problems)
    {
        if (!cluster.Annotations.TryGetValue(AddonKeys.ProfileAnnotation, out var name))
        {
            return;
        }

        var field = $"metadata.annotations[{AddonKeys.ProfileAnnotation}]";
        var (tree, problem) = context.Profiles.Render(name.Trim(), cluster, version.ToString(), field);
        if (problem is not null)
        {
            problems.Add(problem);
            return;
        }

        Merge(values, tree!, new ValueSource(SettingsLayer.Profile, Path.GetFileName(context.Profiles.PathOf(name.Trim()))), cluster, field, problems);
    }

    private static void ApplyValuesConfigMap(ClusterFacts cluster, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> configMaps, HelmValues values, List<Problem> problems)
    {
        if (!cluster.Annotations.TryGetValue(AddonKeys.ValuesConfigMapAnnotation, out var name))
        {
            return;
        }

        var field = $"metadata.annotations[{AddonKeys.ValuesConfigMapAnnotation}]";
        if (!configMaps.TryGetValue(name, out var data))
        {
            problems.Add(Problem.Error(cluster.Key, field, $"ConfigMap {cluster.Namespace}/{ClusterReader.Truncate(name)} does not exist",
                "create it in the Cluster's namespace, or remove the annotation"));
            return;
        }

        if (!data.TryGetValue(AddonKeys.ValuesConfigMapKey, out var yaml))
        {
            problems.Add(Problem.Error(cluster.Key, field, $"ConfigMap {cluster.Namespace}/{name} has no '{AddonKeys.ValuesConfigMapKey}' key"));
            return;
        }

        var source = $"{cluster.Namespace}/{name}";
        try
        {
            switch (YamlDocuments.Parse(yaml, $"ConfigMap {source} data[{AddonKeys.ValuesConfigMapKey}]"))
            {
                case []:
                    return;
                case [{ Content: JsonObject tree }] when TemplateVariables.In(tree) is { Count: > 0 } variables:
                    problems.Add(TemplateVariables.Problem(cluster.Key, field, $"ConfigMap {source} data[{AddonKeys.ValuesConfigMapKey}]", variables));
                    return;
                case [{ Content: JsonObject tree }]:
                    Merge(values, tree, new ValueSource(SettingsLayer.ValuesConfigMap, source), cluster, field, problems);
                    return;
                default:
                    problems.Add(Problem.Error(cluster.Key, field, $"ConfigMap {source} data[{AddonKeys.ValuesConfigMapKey}] must be one YAML mapping of Helm values"));
                    return;
            }
        }
        catch (InputFileException e)
        {
            problems.Add(Problem.Error(cluster.Key, field, $"ConfigMap {source} data[{AddonKeys.ValuesConfigMapKey}]: {e.Reason}"));
        }
    }

    private static void Merge(HelmValues values, JsonObject tree, ValueSource source, ClusterFacts cluster, string field, List<Problem> problems)
    {
        foreach (var invalid in values.Merge(tree, source))
        {
            problems.Add(Problem.Error(cluster.Key, field, $"'{ClusterReader.Truncate(invalid)}' (from {source}) is not a valid Helm value key"));
        }
    }

    private static void ApplyAnnotations(ClusterFacts cluster, HelmValues values, List<Problem> problems)
    {
        if (cluster.Annotations.TryGetValue(AddonKeys.CniBinPathAnnotation, out var binPath))
        {
            if (!AbsolutePath().IsMatch(binPath))
            {
                problems.Add(Problem.Error(cluster.Key, $"metadata.annotations[{AddonKeys.CniBinPathAnnotation}]",
                    $"'{ClusterReader.Truncate(binPath)}' is not an absolute path of plain characters", "e.g. /opt/cni/bin or /var/lib/cni/bin"));
            }
            else
            {
                values.Set("cni.binPath", binPath, new ValueSource(SettingsLayer.Annotation, AddonKeys.CniBinPathAnnotation));
            }
        }
    }

    /// <summary>
    /// Layer 5: what the Cluster itself dictates. The endpoint always wins (a different user value would send agents
    /// elsewhere than the API server); CIDR and name keep an explicit user value, which the lint then checks.
    /// </summary>
    private static string ApplyClusterFacts(ClusterFacts cluster, HelmValues values, List<Problem> problems)
    {
        if (cluster.Endpoint is { } endpoint)
        {
            SetDerived(values, "k8sServiceHost", endpoint.Host, "host", cluster, problems);
            SetDerived(values, "k8sServicePort", endpoint.Port, "port", cluster, problems);
        }

        var nativeRouting = HelmValues.AsString(values["routingMode"]?.Value) == "native";
        if (cluster.PodCidrs.Count == 0 && nativeRouting)
        {
            problems.Add(Problem.Error(cluster.Key, "spec.clusterNetwork.pods.cidrBlocks",
                "no pod CIDR: native routing needs to know which addresses are pod addresses", "set spec.clusterNetwork.pods.cidrBlocks, e.g. [10.244.0.0/16]"));
        }

        if (cluster.Ipv4PodCidr is { } v4 && nativeRouting)
        {
            SetUnlessUserSet(values, "ipv4NativeRoutingCIDR", v4.ToString(), "spec.clusterNetwork.pods.cidrBlocks");
        }

        if (cluster.Ipv6PodCidr is { } v6)
        {
            SetUnlessUserSet(values, "ipv6.enabled", true, "spec.clusterNetwork.pods.cidrBlocks (IPv6 block)");
            if (nativeRouting)
            {
                SetUnlessUserSet(values, "ipv6NativeRoutingCIDR", v6.ToString(), "spec.clusterNetwork.pods.cidrBlocks");
            }

            if (cluster.Ipv4PodCidr is null)
            {
                SetUnlessUserSet(values, "ipv4.enabled", false, "spec.clusterNetwork.pods.cidrBlocks (IPv6 only)");
            }
        }

        var derivedName = CiliumClusterName.Derive(cluster.Namespace, cluster.Name);
        SetUnlessUserSet(values, "cluster.name", derivedName, "metadata.name");
        var finalName = HelmValues.AsString(values["cluster.name"]!.Value)!;
        if (finalName == derivedName && derivedName != cluster.Name)
        {
            problems.Add(Problem.Warning(cluster.Key, "metadata.name",
                $"'{cluster.Name}' breaks Cilium's cluster.name rules (at most {CiliumClusterName.MaxLength} lowercase alphanumerics and '-'), so cluster.name is '{derivedName}'"));
        }

        return finalName;
    }

    /// <summary>Sets an endpoint value, remembering where the endpoint was read (the Cluster, its infrastructure cluster, a variable).</summary>
    /// <param name="part">"host" or "port" of the endpoint.</param>
    private static void SetDerived(HelmValues values, string key, JsonNode value, string part, ClusterFacts cluster, List<Problem> problems)
    {
        var source = cluster.EndpointSource;
        var field = $"{source.Field}.{part}";
        var fact = source.IsClusterItself ? $"the Cluster's {field}" : $"{source.Object} {field}";
        if (values[key] is { Source.IsUserProvided: true } user && HelmValues.AsString(user.Value) != HelmValues.AsString(value))
        {
            problems.Add(Problem.Error(cluster.Key, $"values.{key} (from {user.Source})",
                $"'{user.Display}' contradicts {fact} ({HelmValues.AsString(value)}); Cilium must reach the API server at the control plane endpoint",
                $"remove {key}; it is always taken from {source}.{part}"));
        }

        values.Set(key, value, new ValueSource(SettingsLayer.ClusterFact, field) { Object = source.Object });
    }

    private static void SetUnlessUserSet(HelmValues values, string key, JsonNode value, string fact)
    {
        if (values[key] is not { Source.IsUserProvided: true })
        {
            values.Set(key, value, new ValueSource(SettingsLayer.ClusterFact, fact));
        }
    }

    /// <summary>
    /// sha256 over everything that shapes the output: tool, CLI and chart identity, the Cluster's identity and the
    /// final values. Not the Cluster's UID (ownership is checked separately) and not any path on this machine.
    /// </summary>
    private string InputHash(ClusterFacts cluster, CiliumVersion version, ChartDirectory? chart, HelmValues values, KeyValuePair<string, string> selector, HelmReleaseIdentity? release)
    {
        var text = new StringBuilder()
            .Append("tool=").Append(context.ToolVersion).Append('\n')
            .Append("cilium-cli=").Append(context.CliVersion).Append('\n')
            .Append("cilium=").Append(version).Append('\n')
            .Append("chart=").Append(chart is null ? "resolved-by-cli" : $"{chart.Version} {chart.Digest}").Append('\n')
            .Append("cluster=").Append(cluster.Key).Append('\n')
            .Append("selector=").Append(selector.Key).Append('=').Append(selector.Value).Append('\n')
            .Append("helm-release=").Append(release?.ToString() ?? "none").Append('\n')
            .Append(values.ToCanonicalText())
            .ToString();
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    [GeneratedRegex(@"^(/[A-Za-z0-9._-]+)+/?$")]
    private static partial Regex AbsolutePath();
}
