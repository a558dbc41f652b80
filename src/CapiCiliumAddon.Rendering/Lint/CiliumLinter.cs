using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CapiCiliumAddon.Rendering.Clusters;
using CapiCiliumAddon.Rendering.Manifests;
using CapiCiliumAddon.Rendering.Settings;

namespace CapiCiliumAddon.Rendering.Lint;

/// <summary>What the command line adds to the inputs.</summary>
public sealed record LintOptions
{
    /// <summary>The Cilium version for values files, and for manifests whose agent image and annotations name none.</summary>
    public CiliumVersion? CiliumVersion { get; init; }

    /// <summary>Pod CIDRs the native routing CIDR must cover when no Cluster among the inputs says.</summary>
    public IReadOnlyList<IpCidr> PodCidrs { get; init; } = [];
}

/// <summary>
/// The version-aware checks of <c>capi-cilium lint</c> (see <see cref="LintRules"/>), over rendered Cilium manifests,
/// our output tree (objects embedded in our ConfigMaps/Secrets), Helm values files and Cluster API objects. The
/// values rules themselves live in <see cref="ValuesLint"/> only: a manifest is read back into Helm values
/// (cilium-config keys, the agent's endpoint env) and checked by the same code that guards a render.
/// </summary>
public static partial class CiliumLinter
{
    private const string FluxSubstituteAnnotation = "kustomize.toolkit.fluxcd.io/substitute";
    private const string BinPath = "${BIN_PATH}";
    private const string AgentImage = "quay.io/cilium/cilium";

    /// <summary>cilium-config keys read back as the Helm values they come from.</summary>
    private static readonly (string ConfigKey, string HelmKey)[] ConfigKeys =
    [
        ("kube-proxy-replacement", "kubeProxyReplacement"),
        ("tunnel", "tunnel"),
        ("routing-mode", "routingMode"),
        ("auto-direct-node-routes", "autoDirectNodeRoutes"),
        ("ipv4-native-routing-cidr", "ipv4NativeRoutingCIDR"),
        ("ipv6-native-routing-cidr", "ipv6NativeRoutingCIDR"),
        ("cluster-name", "cluster.name"),
        ("bgp-announce-lb-ip", "bgp.announce.loadbalancerIP"),
        ("bgp-announce-pod-cidr", "bgp.announce.podCIDR"),
        ("ipam", "ipam.mode"),
        ("enable-ipv4", "ipv4.enabled"),
        ("enable-ipv6", "ipv6.enabled"),
        ("cluster-pool-ipv4-cidr", ValuesLint.ClusterPoolIpv4ListKey),
        ("cluster-pool-ipv4-mask-size", ValuesLint.ClusterPoolIpv4MaskKey),
        ("cluster-pool-ipv6-cidr", ValuesLint.ClusterPoolIpv6ListKey),
        ("cluster-pool-ipv6-mask-size", ValuesLint.ClusterPoolIpv6MaskKey),
        ("enable-l2-announcements", "l2announcements.enabled"),
    ];

    private static readonly ValueSource ManifestSource = new(SettingsLayer.ClusterFact, "rendered manifest");

    public static IReadOnlyList<LintFinding> Lint(LintInputSet inputs, LintOptions? options = null)
    {
        options ??= new LintOptions();
        var findings = new List<LintFinding>();
        var clusters = ReadClusters(inputs.Objects);

        CheckClusterLabels(clusters, findings);
        var units = CiliumUnits(inputs.Objects);
        foreach (var unit in units)
        {
            CheckUnit(unit, clusters, options, findings);
        }

        // A render's own values file is judged with its render (and by the handoff rule), not as a free-standing file.
        var renderValues = new HashSet<ValuesDocument>();
        var renders = Handoff.RenderedRelease.Read(inputs, [], renderValues);
        CheckValuesDocuments(inputs.ValuesDocuments.Where(d => !renderValues.Contains(d)).ToList(), clusters, options, findings);
        CheckHandoff(inputs.Objects, renders, findings);
        CheckPrivateKeys(inputs.Objects, findings);
        CheckBinPath(inputs.Objects, findings);
        CheckClusterResourceSets(inputs.Objects, units, clusters, findings);
        ScalarLint.Check(inputs, units.SelectMany(u => u.Objects).ToHashSet(), findings);
        return findings;
    }

    // ---- Clusters ----------------------------------------------------------------------------------------------

    private sealed record ClusterInput(LintObject Object, ClusterFacts Facts)
    {
        public bool IsCilium => Facts.Labels.GetValueOrDefault(AddonKeys.CniLabel) == AddonKeys.CniLabelValue;
    }

    private static List<ClusterInput> ReadClusters(IReadOnlyList<LintObject> objects) =>
        objects.Where(o => ClusterReader.IsCluster(o.Content))
            .Select(o => (o, read: ClusterReader.Read(o.Content)))
            .Where(x => x.read.Facts is not null)
            .Select(x => new ClusterInput(x.o, x.read.Facts!))
            .ToList();

    private static void CheckClusterLabels(List<ClusterInput> clusters, List<LintFinding> findings)
    {
        foreach (var cluster in clusters.Where(c => c.IsCilium))
        {
            if (ClusterFileSet.CheckSelectorLabel(cluster.Facts, cluster.Object.Location) is { } problem)
            {
                findings.Add(new LintFinding(LintRules.ClusterSelectorLabel, problem.Severity, cluster.Object.Subject, cluster.Object.Location,
                    problem.Field,
                    "Cluster API puts no per-cluster label on a Cluster; without this one the ClusterResourceSet cannot select exactly this Cluster, so it gets no Cilium (or another Cluster's)",
                    problem.Fix));
            }
        }
    }

    /// <summary>The Cluster a render belongs to: by our wrapper's cluster-name label, its namespace, cilium-config's cluster-name, or the only Cluster given.</summary>
    private static ClusterFacts? MatchCluster(CiliumUnit unit, List<ClusterInput> clusters, LintOptions options)
    {
        var cilium = clusters.Where(c => c.IsCilium).ToList();
        var wrapper = unit.Wrapper;
        ClusterFacts? found = null;
        if (wrapper?.Label(AddonKeys.ClusterNameLabel) is { } name)
        {
            found = cilium.FirstOrDefault(c => c.Facts.Name == name && c.Facts.Namespace == (wrapper.Namespace ?? "default"))?.Facts;
        }

        if (found is null && wrapper is not null && cilium.Count(c => c.Facts.Namespace == wrapper.Namespace) == 1)
        {
            found = cilium.Single(c => c.Facts.Namespace == wrapper.Namespace).Facts;
        }

        if (found is null && LintObject.At(unit.Config?.Content, "data", "cluster-name") is JsonValue v && v.GetValueKind() == JsonValueKind.String
            && cilium.Count(c => c.Facts.Name == (string)v!) == 1)
        {
            found = cilium.Single(c => c.Facts.Name == (string)v!).Facts;
        }

        if (found is null && cilium.Count == 1)
        {
            found = cilium[0].Facts;
        }

        return WithOptions(found, options);
    }

    private static ClusterFacts? WithOptions(ClusterFacts? cluster, LintOptions options)
    {
        if (options.PodCidrs.Count == 0)
        {
            return cluster;
        }

        return cluster is null
            ? new ClusterFacts("", "--pod-cidr", null, "", new Dictionary<string, string>(), new Dictionary<string, string>(), null, options.PodCidrs, [], null)
            : cluster with { PodCidrs = options.PodCidrs };
    }

    // ---- Rendered Cilium manifests ----------------------------------------------------------------------------

    /// <summary>One Cilium render: a file's top-level objects, or the objects embedded in one cluster's wrappers.</summary>
    private sealed class CiliumUnit
    {
        public required List<LintObject> Objects { get; init; }

        /// <summary>Our outermost ConfigMap/Secret, for embedded renders.</summary>
        public LintObject? Wrapper { get; init; }

        public LintObject? Config => Objects.FirstOrDefault(o => o.IsCore("ConfigMap") && o.Name == "cilium-config");

        public LintObject? Agent => Objects.FirstOrDefault(o => o.Is("DaemonSet", "apps") && Containers(o, "containers").Any(c => c.Name == "cilium-agent"));
    }

    private static List<CiliumUnit> CiliumUnits(IReadOnlyList<LintObject> objects)
    {
        var units = new List<CiliumUnit>();
        foreach (var group in objects.GroupBy(UnitKey, StringComparer.Ordinal))
        {
            var list = group.ToList();
            var unit = new CiliumUnit { Objects = list, Wrapper = list[0].Wrapper is null ? null : list[0].Outermost };
            if (unit.Config is not null || unit.Agent is not null)
            {
                units.Add(unit);
            }
        }

        return units;
    }

    /// <summary>Split ConfigMaps of one cluster share its cluster-name label, so one render spans all of them.</summary>
    private static string UnitKey(LintObject o)
    {
        if (o.Wrapper is null)
        {
            return "file\0" + o.File;
        }

        var outer = o.Outermost;
        return "wrapped\0" + outer.Namespace + "\0" + (outer.Label(AddonKeys.ClusterNameLabel) ?? outer.Name);
    }

    private static void CheckUnit(CiliumUnit unit, List<ClusterInput> clusters, LintOptions options, List<LintFinding> findings)
    {
        var agent = unit.Agent;
        var agentContainer = agent is null ? null : Containers(agent, "containers").First(c => c.Name == "cilium-agent");
        var version = UnitVersion(unit, agentContainer, options);
        var cluster = MatchCluster(unit, clusters, options);

        var values = new HelmValues();
        var located = new Dictionary<string, (LintObject Object, string Field)>(StringComparer.Ordinal);
        var config = unit.Config;
        foreach (var (configKey, helmKey) in ConfigKeys)
        {
            if (config is not null)
            {
                located[helmKey] = (config, $"data[{configKey}]");
                if (LintObject.At(config.Content, "data", configKey) is JsonNode value)
                {
                    values.Set(helmKey, value, ManifestSource);
                }
            }
        }

        if (unit.Objects.FirstOrDefault(o => o.IsCore("ConfigMap") && o.Name == "bgp-config") is { } bgpConfig)
        {
            values.Set("bgp.enabled", JsonValue.Create(true), ManifestSource);
            located["bgp.enabled"] = (bgpConfig, "metadata.name");
        }

        if (agentContainer is not null)
        {
            foreach (var (env, helmKey) in new[] { ("KUBERNETES_SERVICE_HOST", "k8sServiceHost"), ("KUBERNETES_SERVICE_PORT", "k8sServicePort") })
            {
                located[helmKey] = (agent!, $"{agentContainer.Path}.env[{env}]");
                if (EnvValue(agentContainer.Node, env) is { } text)
                {
                    values.Set(helmKey, JsonValue.Create(text), ManifestSource);
                }
            }
        }

        var fallback = config ?? agent!;
        ValuesLint.ValueLocator locate = key => located.TryGetValue(key, out var at)
            ? (at.Object.Subject, at.Field)
            : (fallback.Subject, key);
        // Without the agent DaemonSet there is no telling whether the endpoint env is set: do not guess.
        var problems = ValuesLint.Check(values, version, fallback.Subject, cluster, endpointPending: agentContainer is null, locate: locate);
        foreach (var problem in problems)
        {
            var key = located.FirstOrDefault(p => p.Value.Object.Subject == problem.Subject && p.Value.Field == problem.Field).Key;
            var at = key is not null ? located[key].Object : fallback;
            findings.Add(new LintFinding(RuleFor(key ?? problem.Field, values), problem.Severity, at.Subject, at.Location, problem.Field,
                WithVersion(problem.Message, version, null), problem.Fix));
        }

        CheckImages(unit, findings);
    }

    /// <summary>The agent image tag, else our annotations on the wrapper, else --cilium-version, else the default.</summary>
    private static CiliumVersion UnitVersion(CiliumUnit unit, Container? agentContainer, LintOptions options)
    {
        if (agentContainer?.Image is { } image && RenderChecks.SplitImage(image) is (AgentImage, { } tag) && CiliumVersion.TryParse(tag, out var fromImage))
        {
            return fromImage!;
        }

        foreach (var annotation in new[] { AddonKeys.CiliumVersionAnnotation, AddonKeys.ChartVersionAnnotation })
        {
            if (unit.Wrapper?.Annotations.GetValueOrDefault(annotation) is { } text && CiliumVersion.TryParse(text, out var fromAnnotation))
            {
                return fromAnnotation!;
            }
        }

        return options.CiliumVersion ?? CiliumVersion.Default;
    }

    /// <summary>Says which version a finding was judged against, unless the message already does.</summary>
    private static string WithVersion(string message, CiliumVersion version, string? note) =>
        message.Contains(version.ToString(), StringComparison.Ordinal) && note is null
            ? message
            : message + $" (Cilium {version}{(note is null ? "" : ", " + note)})";

    private static string RuleFor(string key, HelmValues values) => key switch
    {
        "k8sServiceHost" when HelmValues.AsString(values[key]?.Value) == "auto" => LintRules.RemovedValue,
        "k8sServiceHost" or "k8sServicePort" => LintRules.ApiServerEndpoint,
        "routingMode" or "autoDirectNodeRoutes" => LintRules.Routing,
        "ipv4NativeRoutingCIDR" or "ipv6NativeRoutingCIDR" => LintRules.NativeRoutingCidr,
        "cluster.name" => LintRules.ClusterName,
        ValuesLint.ClusterPoolIpv4ListKey or ValuesLint.ClusterPoolIpv4MaskKey or ValuesLint.ClusterPoolIpv6ListKey or ValuesLint.ClusterPoolIpv6MaskKey => LintRules.ClusterPool,
        "l2announcements.enabled" => LintRules.L2Announcements,
        _ => LintRules.RemovedValue,
    };

    private static void CheckImages(CiliumUnit unit, List<LintFinding> findings)
    {
        var images = new List<(LintObject Object, Container Container, string Role, CiliumVersion Version)>();
        foreach (var o in unit.Objects)
        {
            foreach (var container in Containers(o, "initContainers").Concat(Containers(o, "containers")))
            {
                if (container.Image is null)
                {
                    continue;
                }

                var (repository, tag) = RenderChecks.SplitImage(container.Image);
                var last = repository[(repository.LastIndexOf('/') + 1)..];
                var role = repository == AgentImage ? "agent"
                    : last.StartsWith("operator", StringComparison.Ordinal) ? "operator"
                    : last == "hubble-relay" ? "relay"
                    : null;
                if (role is not null && CiliumVersion.TryParse(tag, out var version))
                {
                    images.Add((o, container, role, version!));
                }
            }
        }

        if (images.Select(i => i.Version).Distinct().Count() <= 1)
        {
            return;
        }

        var reference = (images.FirstOrDefault(i => i.Role == "agent").Version ?? images[0].Version);
        foreach (var image in images.Where(i => !i.Version.Equals(reference)).DistinctBy(i => (i.Object, i.Container.Path)))
        {
            findings.Add(new LintFinding(LintRules.ImageVersions, ProblemSeverity.Error, image.Object.Subject, image.Object.Location, image.Container.Path + ".image",
                $"the {image.Role} image is Cilium {image.Version} but the agent is {reference}: agent, operator and relay of different versions disagree on CRDs, cilium-config keys and APIs",
                $"use one Cilium version for every image (re-render, or set the tag to v{reference})"));
        }
    }

    // ---- Helm values files --------------------------------------------------------------------------------------

    private static void CheckValuesDocuments(IReadOnlyList<ValuesDocument> documents, List<ClusterInput> clusters, LintOptions options, List<LintFinding> findings)
    {
        var cilium = clusters.Where(c => c.IsCilium).ToList();
        var cluster = WithOptions(cilium.Count == 1 ? cilium[0].Facts : null, options);
        var version = options.CiliumVersion ?? CiliumVersion.Default;
        foreach (var document in documents)
        {
            var values = new HelmValues();
            try
            {
                values.Merge(document.Values, new ValueSource(SettingsLayer.ValuesConfigMap, document.Location));
            }
            catch (ArgumentException)
            {
                continue; // a key Helm could not address either; not a values file we can judge
            }

            const string subject = "Helm values";
            var problems = ValuesLint.Check(values, version, subject, cluster,
                endpointPending: cluster?.Endpoint is not null, locate: key => (subject, key));
            foreach (var problem in problems)
            {
                findings.Add(new LintFinding(RuleFor(problem.Field, values), problem.Severity, subject, document.Location, problem.Field,
                    WithVersion(problem.Message, version, options.CiliumVersion is null ? "the default; pass --cilium-version" : null), problem.Fix));
            }
        }
    }

    // ---- Private keys ------------------------------------------------------------------------------------------

    private static void CheckPrivateKeys(IReadOnlyList<LintObject> objects, List<LintFinding> findings)
    {
        var expanded = objects.Where(o => o.Wrapper is not null).Select(o => (o.Wrapper!, o.WrapperKey!)).ToHashSet();
        foreach (var o in objects.Where(o => o.IsCore("ConfigMap") || o.IsCore("Secret")))
        {
            var keys = LintInputSet.DataValues(o).Where(d => !expanded.Contains((o, d.Key)) && IsPemPrivateKey(d.Text)).Select(d => d.Key).Distinct().ToList();
            if (keys.Count == 0)
            {
                continue;
            }

            var inConfigMap = o.IsCore("ConfigMap") || Wrappers(o).Any(w => w.IsCore("ConfigMap"));
            var field = string.Join(", ", keys.Select(k => $"data[{k}]"));
            if (inConfigMap)
            {
                findings.Add(new LintFinding(LintRules.PrivateKey, ProblemSeverity.Error, o.Subject, o.Location, field,
                    "a private key in a ConfigMap: readable by anyone who may read ConfigMaps, committed in clear to Git, and (Hubble TLS method helm) a new key on every render",
                    "render with hubble.tls.auto.method=cronJob (no key in the output), or ship Secrets in a Secret of type addons.cluster.x-k8s.io/resource-set"));
            }
            else
            {
                findings.Add(new LintFinding(LintRules.PrivateKey, ProblemSeverity.Warning, o.Subject, o.Location, field,
                    "a private key in a Secret of the manifest: committed to Git (base64 is not encryption) and, with Hubble TLS method helm, regenerated on every render",
                    "render with hubble.tls.auto.method=cronJob, or encrypt the Secret (SOPS, sealed-secrets)"));
            }
        }
    }

    private static IEnumerable<LintObject> Wrappers(LintObject o)
    {
        for (var w = o.Wrapper; w is not null; w = w.Wrapper)
        {
            yield return w;
        }
    }

    private static bool IsPemPrivateKey(string text) => PemPrivateKey().IsMatch(text);

    [GeneratedRegex(@"-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----")]
    private static partial Regex PemPrivateKey();

    // ---- ${BIN_PATH} and envsubst ------------------------------------------------------------------------------

    private static void CheckBinPath(IReadOnlyList<LintObject> objects, List<LintFinding> findings)
    {
        var substituting = objects.Where(o => o.Is("Kustomization", "kustomize.toolkit.fluxcd.io")
            && LintObject.At(o.Content, "spec", "postBuild") is JsonObject postBuild
            && (postBuild["substitute"] is JsonObject { Count: > 0 } || postBuild["substituteFrom"] is JsonArray { Count: > 0 })).ToList();
        var expanded = objects.Where(o => o.Wrapper is not null).Select(o => o.Wrapper!).ToHashSet();
        var templateFiles = objects.Where(o => TemplateVariables.In(o.Content).Any(v => "${" + v + "}" != BinPath))
            .Select(o => o.File).ToHashSet(StringComparer.Ordinal);

        foreach (var o in objects.Where(o => !expanded.Contains(o)))
        {
            var hits = Strings(o.Content, "").Where(s => s.Value.Contains(BinPath, StringComparison.Ordinal)).ToList();
            if (hits.Count == 0 || new[] { o }.Concat(Wrappers(o)).Any(w => w.Annotations.GetValueOrDefault(FluxSubstituteAnnotation) == "disabled"))
            {
                continue;
            }

            var field = hits[0].Path + (hits.Count > 1 ? $" (and {hits.Count - 1} more)" : "");
            const string why = "is Cilium's own shell variable in the agent's init scripts; envsubst replaces it with an empty string, the scripts then run /cilium-mount and /cilium-sysctlfix, fail, and the agent never starts";
            const string fix = "disable substitution for this path: annotate the objects (or our ConfigMap) with kustomize.toolkit.fluxcd.io/substitute: disabled, or keep the Cilium tree out of the substituting Kustomization / clusterctl template";
            if (substituting.Count > 0)
            {
                var names = string.Join(", ", substituting.Select(k => k.Subject));
                findings.Add(new LintFinding(LintRules.EnvsubstBinPath, ProblemSeverity.Error, o.Subject, o.Location, field,
                    $"{BinPath} {why}; {names} substitutes variables (spec.postBuild)", fix));
            }
            else if (templateFiles.Contains(o.File))
            {
                findings.Add(new LintFinding(LintRules.EnvsubstBinPath, ProblemSeverity.Warning, o.Subject, o.Location, field,
                    $"{BinPath} {why}; this file uses other ${{VARIABLES}}, so it looks like a clusterctl/envsubst template", fix));
            }
        }
    }

    /// <summary>Every string leaf with its field path (list items named by their "name" when they have one).</summary>
    private static IEnumerable<(string Path, string Value)> Strings(JsonNode? node, string path)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, child) in obj)
                {
                    foreach (var s in Strings(child, Append(path, key)))
                    {
                        yield return s;
                    }
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    var label = LintObject.Text((array[i] as JsonObject)?["name"]) ?? i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    foreach (var s in Strings(array[i], $"{path}[{label}]"))
                    {
                        yield return s;
                    }
                }

                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                yield return (path, (string)value!);
                break;
        }
    }

    private static string Append(string path, string key) =>
        PlainKey().IsMatch(key) ? (path.Length == 0 ? key : path + "." + key) : $"{path}[{key}]";

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_-]*$")]
    private static partial Regex PlainKey();

    // ---- ClusterResourceSets -----------------------------------------------------------------------------------

    private static void CheckClusterResourceSets(IReadOnlyList<LintObject> objects, List<CiliumUnit> units, List<ClusterInput> clusters, List<LintFinding> findings)
    {
        var ciliumWrappers = units.SelectMany(u => u.Objects).Where(o => o.Wrapper is not null).Select(o => o.Outermost).ToHashSet();
        var gitOps = objects.Where(IsGitOpsCilium).ToList();
        foreach (var crs in objects.Where(o => o.Is("ClusterResourceSet", "addons.cluster.x-k8s.io")))
        {
            var ns = crs.Namespace ?? "default";
            var spec = crs.Content["spec"] as JsonObject;
            var resources = (spec?["resources"] as JsonArray ?? []).OfType<JsonObject>()
                .Select(r => (Name: LintObject.Text(r["name"]) ?? "", Kind: LintObject.Text(r["kind"]) ?? "")).ToList();
            var shipsCilium = crs.Label(AddonKeys.ManagedByLabel) == AddonKeys.ManagedByValue
                || resources.Any(r => r.Name.Contains("cilium", StringComparison.Ordinal))
                || resources.Any(r => ciliumWrappers.Any(w => w.Kind == r.Kind && w.Name == r.Name && (w.Namespace ?? "default") == ns));
            if (!shipsCilium)
            {
                continue;
            }

            var selector = spec?["clusterSelector"] as JsonObject;
            var matchLabels = selector?["matchLabels"] as JsonObject;
            var expressions = selector?["matchExpressions"] as JsonArray;
            if ((matchLabels?.Count ?? 0) == 0 && (expressions?.Count ?? 0) == 0)
            {
                findings.Add(new LintFinding(LintRules.CrsSelector, ProblemSeverity.Error, crs.Subject, crs.Location, "spec.clusterSelector",
                    "an empty ClusterResourceSet selector matches no Cluster: Cilium is never applied and every node stays NotReady",
                    $"select exactly one Cluster: matchLabels {{{AddonKeys.ClusterNameLabel}: <cluster name>}} (the field is immutable: delete and re-create the ClusterResourceSet)"));
            }
            else
            {
                var matched = clusters.Where(c => c.Facts.Namespace == ns && Matches(selector!, c.Facts.Labels)).Select(c => c.Facts.Name).ToList();
                if (matched.Count > 1)
                {
                    findings.Add(new LintFinding(LintRules.CrsSelector, ProblemSeverity.Error, crs.Subject, crs.Location, "spec.clusterSelector",
                        $"the selector matches {matched.Count} Clusters among the inputs ({string.Join(", ", matched)}): each would get this render, with another cluster's API server endpoint and pod CIDR",
                        $"select exactly one Cluster by {AddonKeys.ClusterNameLabel}: <cluster name>"));
                }
                else if (LintObject.Text(matchLabels?[AddonKeys.ClusterNameLabel]) is null)
                {
                    findings.Add(new LintFinding(LintRules.CrsSelector, ProblemSeverity.Warning, crs.Subject, crs.Location, "spec.clusterSelector.matchLabels",
                        "the selector does not use the per-Cluster label, so it could bind any Cluster labelled alike, which would get a render made for another cluster's endpoint",
                        $"select by matchLabels {{{AddonKeys.ClusterNameLabel}: <cluster name>}} (immutable: delete and re-create the ClusterResourceSet)"));
                }
            }

            if (LintObject.Text(spec?["strategy"]) == "Reconcile")
            {
                if (gitOps.Count > 0)
                {
                    findings.Add(new LintFinding(LintRules.CrsReconcile, ProblemSeverity.Error, crs.Subject, crs.Location, "spec.strategy",
                        $"strategy Reconcile keeps re-applying the bootstrap Cilium while {string.Join(", ", gitOps.Select(g => g.Subject))} manages the same release: two controllers, one release, a known way to wedge a cluster (upgrade stuck, settings flapping)",
                        "use strategy ApplyOnce (immutable: delete and re-create the ClusterResourceSet; the applied objects stay)"));
                }
                else
                {
                    findings.Add(new LintFinding(LintRules.CrsReconcile, ProblemSeverity.Warning, crs.Subject, crs.Location, "spec.strategy",
                        "strategy Reconcile re-applies Cilium whenever the ConfigMap changes; once a GitOps tool owns Cilium after bootstrap, two controllers fight over one release",
                        "use strategy ApplyOnce and hand Cilium to GitOps after bootstrap (immutable: delete and re-create the ClusterResourceSet)"));
                }
            }
        }
    }

    private static bool IsGitOpsCilium(LintObject o)
    {
        if (o.Is("HelmRelease", "helm.toolkit.fluxcd.io"))
        {
            var chart = LintObject.Text(LintObject.At(o.Content, "spec", "chart", "spec", "chart")) ?? LintObject.Text(LintObject.At(o.Content, "spec", "chartRef", "name"));
            return chart == "cilium" || (chart is null && o.Name.Contains("cilium", StringComparison.Ordinal));
        }

        if (o.Is("Application", "argoproj.io"))
        {
            var sources = new List<JsonNode?> { LintObject.At(o.Content, "spec", "source") };
            sources.AddRange(LintObject.At(o.Content, "spec", "sources") as JsonArray ?? []);
            return sources.OfType<JsonObject>().Any(s => LintObject.Text(s["chart"]) == "cilium"
                || (LintObject.Text(s["repoURL"]) ?? "").Contains("helm.cilium.io", StringComparison.Ordinal));
        }

        return false;
    }

    /// <summary>Kubernetes label selector semantics (matchLabels AND matchExpressions).</summary>
    private static bool Matches(JsonObject selector, IReadOnlyDictionary<string, string> labels)
    {
        if (selector["matchLabels"] is JsonObject matchLabels)
        {
            foreach (var (key, value) in matchLabels)
            {
                if (labels.GetValueOrDefault(key) != LintObject.Text(value))
                {
                    return false;
                }
            }
        }

        foreach (var expression in (selector["matchExpressions"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var key = LintObject.Text(expression["key"]) ?? "";
            var values = (expression["values"] as JsonArray ?? []).Select(LintObject.Text).ToList();
            var has = labels.TryGetValue(key, out var actual);
            var ok = LintObject.Text(expression["operator"]) switch
            {
                "In" => has && values.Contains(actual),
                "NotIn" => !has || !values.Contains(actual),
                "Exists" => has,
                "DoesNotExist" => !has,
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    // ---- Pod specs ---------------------------------------------------------------------------------------------

    private sealed record Container(string Name, string Path, string? Image, JsonObject Node);

    private static IEnumerable<Container> Containers(LintObject o, string list)
    {
        var (spec, prefix) = o.Kind switch
        {
            "CronJob" => (LintObject.At(o.Content, "spec", "jobTemplate", "spec", "template", "spec"), "spec.jobTemplate.spec.template.spec"),
            "Pod" => (o.Content["spec"], "spec"),
            "DaemonSet" or "Deployment" or "StatefulSet" or "Job" or "ReplicaSet" => (LintObject.At(o.Content, "spec", "template", "spec"), "spec.template.spec"),
            _ => (null, ""),
        };
        foreach (var container in ((spec as JsonObject)?[list] as JsonArray ?? []).OfType<JsonObject>())
        {
            var name = LintObject.Text(container["name"]) ?? "";
            yield return new Container(name, $"{prefix}.{list}[{name}]", LintObject.Text(container["image"]), container);
        }
    }

    private static string? EnvValue(JsonObject container, string name) =>
        (container["env"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(e => LintObject.Text(e["name"]) == name)
            .Select(e => e["value"] is JsonValue v ? HelmValues.AsString(v) : null)
            .FirstOrDefault();
}
