using System.Text;
using System.Text.Json;

namespace CapiCiliumAddon.Cli.Tests.BadInput;

/// <summary>
/// The bad-input catalogue, one row per case, read top to bottom. Every case renders the bad
/// Cluster (metal3/broken, or a bad file) next to a good one (metal3/healthy, in good.yaml unless the row puts both in
/// one file) and <see cref="BadInputCatalogueTests"/> checks: the exit code, a line naming the object and the field,
/// nothing written for the bad Cluster (unless the row says it renders with a warning), and the good Cluster's files
/// byte-identical to a render of it alone.
/// </summary>
public static class BadInputCatalogue
{
    /// <summary>The good Cluster every case renders beside the bad one.</summary>
    public static readonly string Good = RenderCommandTests.Cluster("healthy");

    private const string Meta =
        "  name: broken\n  namespace: metal3\n  labels:\n    cni: cilium\n    addon.capi-cilium.io/cluster-name: broken\n";

    private const string Spec =
        "  clusterNetwork:\n    pods:\n      cidrBlocks: [\"10.244.0.0/16\"]\n  controlPlaneEndpoint:\n    host: 10.250.250.66\n    port: 6443\n";

    /// <summary>A Cluster document with the given metadata and spec bodies (each line indented two spaces).</summary>
    private static string Doc(string metadata = Meta, string? spec = Spec, string apiVersion = "cluster.x-k8s.io/v1beta2") =>
        $"apiVersion: {apiVersion}\nkind: Cluster\nmetadata:\n{metadata}" + (spec is null ? "" : $"spec:\n{spec}");

    private static readonly string Broken = Doc();

    private static string WithEndpoint(string host, string port = "6443") =>
        Doc(spec: $"  clusterNetwork:\n    pods:\n      cidrBlocks: [\"10.244.0.0/16\"]\n  controlPlaneEndpoint:\n    host: {host}\n    port: {port}\n");

    /// <summary>
    /// The broken Cluster as Metal3 users keep it: no endpoint of its own, a v1beta2 infrastructureRef, and its
    /// Metal3Cluster (in <paramref name="metal3ClusterNamespace"/>, null for none) holding <paramref name="endpoint"/>.
    /// </summary>
    private static string WithMetal3Cluster(string endpoint, string? metal3ClusterNamespace = "metal3", string ownEndpoint = "") =>
        Doc(spec: "  clusterNetwork:\n    pods:\n      cidrBlocks: [\"10.244.0.0/16\"]\n" + ownEndpoint
            + "  infrastructureRef:\n    apiGroup: infrastructure.cluster.x-k8s.io\n    kind: Metal3Cluster\n    name: broken\n")
        + (metal3ClusterNamespace is null ? "" : "---\napiVersion: infrastructure.cluster.x-k8s.io/v1beta1\nkind: Metal3Cluster\nmetadata:\n"
            + $"  name: broken\n  namespace: {metal3ClusterNamespace}\nspec:\n  controlPlaneEndpoint:\n    {endpoint}\n");

    private static string Metal3Endpoint(string host, string port = "6443") => $"host: {host}\n    port: {port}";

    /// <summary>The broken Cluster as a ClusterClass Cluster whose endpoint is the topology variable's <paramref name="variable"/> entry.</summary>
    private static string WithTopology(string variable) =>
        Doc(spec: "  clusterNetwork:\n    pods:\n      cidrBlocks: [\"10.244.0.0/16\"]\n  topology:\n    classRef:\n      name: metal3\n"
            + $"    version: v1.33.1\n    variables:\n{variable}");

    private static string WithAnnotation(string key, string value) =>
        Doc(Meta + $"  annotations:\n    {key}: {JsonSerializer.Serialize(value)}\n");

    private static string Named(string name) => Doc(Meta.Replace("broken", name, StringComparison.Ordinal));

    /// <summary>good.yaml holds the good Cluster, bad.yaml the bad input.</summary>
    private static InputFile[] Apart(string bad) => [InputFile.Text("good.yaml", Good), InputFile.Text("bad.yaml", bad)];

    private static InputFile[] Apart(byte[] bad) => [InputFile.Text("good.yaml", Good), new InputFile("bad.yaml", bad)];

    /// <summary>Both Clusters in one multi-document file: a bad Cluster must not spoil its neighbour.</summary>
    private static InputFile[] Together(string bad) => [InputFile.Text("clusters.yaml", Good + "---\n" + bad)];

    private static readonly string OneMegabyte = new('a', 1 << 20);

    private static byte[] Latin1(string text) => Encoding.Latin1.GetBytes(text);

    private static string BillionLaughs()
    {
        var yaml = new StringBuilder("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (var level = 'b'; level <= 'i'; level++)
        {
            var previous = (char)(level - 1);
            yaml.Append(level).Append(": &").Append(level).Append(" [")
                .AppendJoin(",", Enumerable.Repeat($"*{previous}", 9)).Append("]\n");
        }

        return Doc(Meta + "  annotations:\n    bomb: \"x\"\n") + "extra:\n" + string.Join("", yaml.ToString().Split('\n').Where(l => l.Length > 0).Select(l => "  " + l + "\n"));
    }

    private static string DeeplyNested() =>
        Doc() + "extra:\n" + string.Concat(Enumerable.Range(1, 100).Select(i => new string(' ', 2 * i) + $"k{i}:\n")) + new string(' ', 202) + "leaf\n";

    private const string Hb = "addon.capi-cilium.io/";

    public static IEnumerable<BadInputCase> All =>
    [
        // ---- Cluster files: wrong types -----------------------------------------------------------------------------
        new("labels as a list", "cluster file", Outcome.Refused, "metal3/broken", "metadata.labels",
            Apart(Doc("  name: broken\n  namespace: metal3\n  labels:\n  - cni: cilium\n  - addon.capi-cilium.io/cluster-name: broken\n"))),
        new("annotations as a list", "cluster file", Outcome.Refused, "metal3/broken", "metadata.annotations",
            Together(Doc(Meta + "  annotations:\n  - addon.capi-cilium.io/profile: ha-operator\n"))),
        new("label value is a number", "cluster file", Outcome.Refused, "metal3/broken", "metadata.labels[team]",
            Together(Doc(Meta + "    team: 42\n"))),
        new("port as a string", "cluster file", Outcome.Refused, "metal3/broken", "spec.controlPlaneEndpoint.port",
            Together(WithEndpoint("10.250.250.66", "\"6443\""))),
        new("pod cidrBlocks as a string", "cluster file", Outcome.Refused, "metal3/broken", "spec.clusterNetwork.pods.cidrBlocks",
            Together(Doc(spec: Spec.Replace("[\"10.244.0.0/16\"]", "10.244.0.0/16", StringComparison.Ordinal)))),
        new("service cidrBlocks as a string", "cluster file", Outcome.Refused, "metal3/broken", "spec.clusterNetwork.services.cidrBlocks",
            Together(Doc(spec: Spec.Replace("  controlPlaneEndpoint:", "    services:\n      cidrBlocks: 10.96.0.0/12\n  controlPlaneEndpoint:", StringComparison.Ordinal)))),
        new("pods as a list", "cluster file", Outcome.Refused, "metal3/broken", "spec.clusterNetwork.pods",
            Together(Doc(spec: Spec.Replace("    pods:\n      cidrBlocks: [\"10.244.0.0/16\"]", "    pods: [\"10.244.0.0/16\"]", StringComparison.Ordinal)))),
        new("controlPlaneEndpoint as a string", "cluster file", Outcome.Refused, "metal3/broken", "spec.controlPlaneEndpoint",
            Together(Doc(spec: "  clusterNetwork:\n    pods:\n      cidrBlocks: [\"10.244.0.0/16\"]\n  controlPlaneEndpoint: https://10.250.250.66:6443\n")),
            MessageContains: "must be a map"),
        new("metadata as a list", "cluster file", Outcome.Refused, "default/<unnamed>", "metadata:",
            Apart(Doc("  - name: broken\n  - namespace: metal3\n"))),
        new("pod cidrBlock is not a CIDR", "cluster file", Outcome.Refused, "metal3/broken", "spec.clusterNetwork.pods.cidrBlocks[0]",
            Together(Doc(spec: Spec.Replace("10.244.0.0/16", "10.244.0.0/33", StringComparison.Ordinal)))),
        new("host as a list", "cluster file", Outcome.Refused, "metal3/broken", "spec.controlPlaneEndpoint.host",
            Together(WithEndpoint("[10.250.250.66]"))),
        new("spec as a string", "cluster file", Outcome.Refused, "metal3/broken", "spec:",
            Together(Doc(spec: null) + "spec: cilium please\n"), MessageContains: "must be a map"),

        // ---- Cluster files: huge strings, bytes, YAML tricks ----------------------------------------------------------
        new("1 MB name", "cluster file", Outcome.Refused, "metal3/aaaa", "metadata.name",
            Together(Named(OneMegabyte)), BadDirectory: "metal3/" + OneMegabyte[..64]),
        new("1 MB host", "cluster file", Outcome.Refused, "metal3/broken", "spec.controlPlaneEndpoint.host",
            Together(WithEndpoint(OneMegabyte))),
        new("1 MB annotation value", "cluster file", Outcome.Refused, "metal3/broken", $"metadata.annotations[{Hb}cni-bin-path]",
            Together(WithAnnotation($"{Hb}cni-bin-path", "/" + OneMegabyte + " x"))),
        new("non-UTF-8 bytes (Latin-1 name)", "cluster file", Outcome.Refused, "bad.yaml", "(file)",
            Apart(Latin1(Named("br\u00e9ken"))), MessageContains: "not valid UTF-8"),
        new("NUL and 0xFF bytes in a label", "cluster file", Outcome.Refused, "bad.yaml", "(file)",
            Apart([.. Encoding.UTF8.GetBytes(Doc(Meta + "    team: \"")), 0x00, 0xFF, .. "\"\n"u8])),
        new("YAML bomb (billion laughs)", "cluster file", Outcome.Refused, "bad.yaml", "(file)",
            Apart(BillionLaughs()), MessageContains: "YAML bomb"),
        new("YAML merge key (<<) for the labels", "cluster file", Outcome.Refused, "bad.yaml", "(file)",
            Apart(Doc(Meta.Replace("  labels:\n    cni: cilium\n    addon.capi-cilium.io/cluster-name: broken\n",
                "  annotations: &common\n    cni: cilium\n    addon.capi-cilium.io/cluster-name: broken\n  labels:\n    <<: *common\n", StringComparison.Ordinal))),
            MessageContains: "merge keys"),
        new("nesting 100 levels deep", "cluster file", Outcome.Refused, "bad.yaml", "(file)",
            Apart(DeeplyNested()), MessageContains: "nesting deeper"),
        new("duplicate key metadata.name", "cluster file", Outcome.Refused, "bad.yaml", "(file)",
            Apart(Doc(Meta + "  name: healthy\n")), MessageContains: "duplicate key"),
        new("duplicate label key", "cluster file", Outcome.Refused, "bad.yaml", "(file)",
            Apart(Doc(Meta.Replace("cluster-name: broken\n", "cluster-name: broken\n    cni: calico\n", StringComparison.Ordinal))),
            MessageContains: "duplicate key"),
        new("YAML syntax error", "cluster file", Outcome.Refused, "bad.yaml", "(file)",
            Apart(Doc(spec: Spec + "  topology: {version: [unclosed\n"))),
        new("JSON file with a port string", "cluster file", Outcome.Refused, "metal3/broken", "spec.controlPlaneEndpoint.port",
            [InputFile.Text("good.yaml", Good), InputFile.Text("bad.json",
                """{"apiVersion":"cluster.x-k8s.io/v1beta2","kind":"Cluster","metadata":{"name":"broken","namespace":"metal3","labels":{"cni":"cilium","addon.capi-cilium.io/cluster-name":"broken"}},"spec":{"clusterNetwork":{"pods":{"cidrBlocks":["10.244.0.0/16"]}},"controlPlaneEndpoint":{"host":"10.250.250.66","port":"6443"}}}""")]),

        // ---- Cluster files: missing fields, names, duplicates --------------------------------------------------------
        new("no metadata.name", "cluster file", Outcome.Refused, "metal3/<unnamed>", "metadata.name",
            Together(Doc(Meta.Replace("  name: broken\n", "", StringComparison.Ordinal))), MessageContains: "is missing"),
        new("no spec", "cluster file", Outcome.Refused, "metal3/broken", "spec.clusterNetwork.pods.cidrBlocks",
            Together(Doc(spec: null))),
        new("unsupported apiVersion", "cluster file", Outcome.Refused, "metal3/broken", "apiVersion",
            Together(Doc(apiVersion: "cluster.x-k8s.io/v1alpha3"))),
        new("invalid namespace", "cluster file", Outcome.Refused, "Metal3/broken", "metadata.namespace",
            Together(Doc(Meta.Replace("namespace: metal3", "namespace: Metal3", StringComparison.Ordinal))), BadDirectory: "Metal3/broken"),
        new("uppercase name", "cluster file", Outcome.Refused, "metal3/Broken", "metadata.name",
            Together(Named("Broken")), BadDirectory: "metal3/Broken"),
        new("name of 64 characters (too long for a label)", "cluster file", Outcome.Refused, "metal3/" + new string('b', 64), "metadata.name",
            Together(Named(new string('b', 64))), BadDirectory: "metal3/" + new string('b', 64)),
        new("two Clusters with one name in one file", "cluster file", Outcome.Refused, "metal3/broken", "metadata.name",
            Together(Broken + "---\n" + WithEndpoint("10.250.250.67")), MessageContains: "defined 2 times"),
        new("two Clusters with one name across files", "cluster file", Outcome.Refused, "metal3/broken", "metadata.name",
            [.. Apart(Broken), InputFile.Text("bad-twin.yaml", WithEndpoint("10.250.250.67"))], MessageContains: "defined 2 times"),
        new("no selector label", "cluster file", Outcome.Refused, "metal3/broken", $"metadata.labels[{Hb}cluster-name]",
            Together(Doc(Meta.Replace($"    {Hb}cluster-name: broken\n", "", StringComparison.Ordinal)))),
        new("selector label of the good Cluster", "cluster file", Outcome.Refused, "metal3/broken", $"metadata.labels[{Hb}cluster-name]",
            Together(Doc(Meta.Replace($"{Hb}cluster-name: broken", $"{Hb}cluster-name: healthy", StringComparison.Ordinal))),
            MessageContains: "would select another Cluster"),
        new("name of 40 characters: valid, too long for cluster.name", "cluster file", Outcome.RenderedWithWarning,
            "metal3/" + LongName, "metadata.name", Together(Named(LongName)), BadDirectory: "metal3/" + LongName,
            MessageContains: "so cluster.name is"),

        // ---- Endpoints ---------------------------------------------------------------------------------------------
        new("https:// scheme in the host", "endpoint", Outcome.RenderedWithWarning, "metal3/broken", "spec.controlPlaneEndpoint.host",
            Together(WithEndpoint("https://10.250.250.66")), MessageContains: "the scheme was stripped"),
        new("ftp:// scheme in the host", "endpoint", Outcome.Refused, "metal3/broken", "spec.controlPlaneEndpoint.host",
            Together(WithEndpoint("ftp://10.250.250.66")), MessageContains: "unsupported scheme"),
        new("https:// host with a path", "endpoint", Outcome.Refused, "metal3/broken", "spec.controlPlaneEndpoint.host",
            Together(WithEndpoint("https://api.example.com/k8s"))),
        new("port 0 (not ready)", "endpoint", Outcome.NotReady, "metal3/broken", "spec.controlPlaneEndpoint.port",
            Together(WithEndpoint("10.250.250.66", "0"))),
        new("empty host (not ready)", "endpoint", Outcome.NotReady, "metal3/broken", "spec.controlPlaneEndpoint.host",
            Together(WithEndpoint("\"\""))),
        new("no controlPlaneEndpoint (not ready)", "endpoint", Outcome.NotReady, "metal3/broken", "spec.controlPlaneEndpoint",
            Together(Doc(spec: "  clusterNetwork:\n    pods:\n      cidrBlocks: [\"10.244.0.0/16\"]\n"))),
        new("port 65536", "endpoint", Outcome.Refused, "metal3/broken", "spec.controlPlaneEndpoint.port",
            Together(WithEndpoint("10.250.250.66", "65536"))),
        new("port -1", "endpoint", Outcome.Refused, "metal3/broken", "spec.controlPlaneEndpoint.port",
            Together(WithEndpoint("10.250.250.66", "-1"))),
        new("port abc", "endpoint", Outcome.Refused, "metal3/broken", "spec.controlPlaneEndpoint.port",
            Together(WithEndpoint("10.250.250.66", "abc"))),
        new("port 6443.5", "endpoint", Outcome.Refused, "metal3/broken", "spec.controlPlaneEndpoint.port",
            Together(WithEndpoint("10.250.250.66", "6443.5"))),
        new("IPv6 in brackets with a port", "endpoint", Outcome.Refused, "metal3/broken", "spec.controlPlaneEndpoint.host",
            Together(WithEndpoint("\"[fd00::66]:6443\""))),
        new("IPv6 with a prefix length", "endpoint", Outcome.Refused, "metal3/broken", "spec.controlPlaneEndpoint.host",
            Together(WithEndpoint("\"fd00::66/64\""))),
        new("hostname with a comma", "endpoint", Outcome.Refused, "metal3/broken", "spec.controlPlaneEndpoint.host",
            Together(WithEndpoint("\"api.example.com,evil.example.com\""))),
        new("hostname with a space", "endpoint", Outcome.Refused, "metal3/broken", "spec.controlPlaneEndpoint.host",
            Together(WithEndpoint("\"api.example.com --set x=y\""))),
        new("host with a path", "endpoint", Outcome.Refused, "metal3/broken", "spec.controlPlaneEndpoint.host",
            Together(WithEndpoint("10.250.250.66/api"))),
        new("host with a port", "endpoint", Outcome.Refused, "metal3/broken", "spec.controlPlaneEndpoint.host",
            Together(WithEndpoint("\"10.250.250.66:6443\""))),
        new("host with an equals sign", "endpoint", Outcome.Refused, "metal3/broken", "spec.controlPlaneEndpoint.host",
            Together(WithEndpoint("\"k8sServiceHost=10.0.0.1\""))),

        // ---- Endpoints read from the infrastructure cluster or the topology ------------------------------------------
        new("Metal3Cluster not among the files (not ready)", "infrastructure endpoint", Outcome.NotReady, "metal3/broken", "spec.infrastructureRef",
            Together(WithMetal3Cluster(Metal3Endpoint("10.250.250.66"), metal3ClusterNamespace: null)),
            MessageContains: "Metal3Cluster metal3/broken, which its spec.infrastructureRef names, is not among the input files"),
        new("Metal3Cluster only in another namespace (not ready)", "infrastructure endpoint", Outcome.NotReady, "metal3/broken", "spec.infrastructureRef",
            Together(WithMetal3Cluster(Metal3Endpoint("10.250.250.66"), metal3ClusterNamespace: "decoy")),
            MessageContains: "(a Metal3Cluster broken in namespace decoy is another object)"),
        new("https:// scheme on the Metal3Cluster", "infrastructure endpoint", Outcome.RenderedWithWarning, "Metal3Cluster metal3/broken", "spec.controlPlaneEndpoint.host",
            Together(WithMetal3Cluster(Metal3Endpoint("https://10.250.250.66"))), MessageContains: "the scheme was stripped"),
        new("ftp:// scheme on the Metal3Cluster", "infrastructure endpoint", Outcome.Refused, "Metal3Cluster metal3/broken", "spec.controlPlaneEndpoint.host",
            Together(WithMetal3Cluster(Metal3Endpoint("ftp://10.250.250.66"))), MessageContains: "unsupported scheme"),
        new("comma in the Metal3Cluster's host", "infrastructure endpoint", Outcome.Refused, "Metal3Cluster metal3/broken", "spec.controlPlaneEndpoint.host",
            Together(WithMetal3Cluster(Metal3Endpoint("\"10.250.250.66,10.250.250.67\""))), MessageContains: "is not an IP address or DNS name"),
        new("1 MB host on the Metal3Cluster", "infrastructure endpoint", Outcome.Refused, "Metal3Cluster metal3/broken", "spec.controlPlaneEndpoint.host",
            Together(WithMetal3Cluster(Metal3Endpoint(OneMegabyte)))),
        new("port 0 on the Metal3Cluster (not ready)", "infrastructure endpoint", Outcome.NotReady, "metal3/broken", "spec.controlPlaneEndpoint",
            Together(WithMetal3Cluster(Metal3Endpoint("10.250.250.66", "0"))), MessageContains: "Metal3Cluster metal3/broken has no spec.controlPlaneEndpoint.port"),
        new("port abc on the Metal3Cluster", "infrastructure endpoint", Outcome.Refused, "Metal3Cluster metal3/broken", "spec.controlPlaneEndpoint.port",
            Together(WithMetal3Cluster(Metal3Endpoint("10.250.250.66", "abc")))),
        new("port 65536 on the Metal3Cluster", "infrastructure endpoint", Outcome.Refused, "Metal3Cluster metal3/broken", "spec.controlPlaneEndpoint.port",
            Together(WithMetal3Cluster(Metal3Endpoint("10.250.250.66", "65536")))),
        new("Cluster and Metal3Cluster disagree", "infrastructure endpoint", Outcome.Refused, "metal3/broken", "spec.controlPlaneEndpoint",
            Together(WithMetal3Cluster(Metal3Endpoint("10.250.250.66"), ownEndpoint: "  controlPlaneEndpoint:\n    host: 10.250.250.77\n    port: 6443\n")),
            MessageContains: "is 10.250.250.77:6443 but Metal3Cluster metal3/broken spec.controlPlaneEndpoint is 10.250.250.66:6443"),
        new("v1beta1 infrastructureRef to another namespace", "infrastructure endpoint", Outcome.Refused, "metal3/broken", "spec.infrastructureRef.namespace",
            Together(Doc(spec: "  infrastructureRef:\n    apiVersion: infrastructure.cluster.x-k8s.io/v1beta1\n    kind: Metal3Cluster\n    name: broken\n    namespace: other\n",
                apiVersion: "cluster.x-k8s.io/v1beta1")), MessageContains: "must match metadata.namespace"),
        new("topology variable as a string", "infrastructure endpoint", Outcome.Refused, "metal3/broken", "spec.topology.variables[controlPlaneEndpoint].value",
            Together(WithTopology("    - name: controlPlaneEndpoint\n      value: https://10.250.250.66:6443\n")), MessageContains: "must be a map with host and port"),
        new("topology variable with a comma in the host", "infrastructure endpoint", Outcome.Refused, "metal3/broken", "spec.topology.variables[controlPlaneEndpoint].value.host",
            Together(WithTopology("    - name: controlPlaneEndpoint\n      value:\n        host: \"10.250.250.66,10.0.0.1\"\n        port: 6443\n"))),
        new("topology without the variable (not ready)", "infrastructure endpoint", Outcome.NotReady, "metal3/broken", "spec.topology.variables",
            Together(WithTopology("    - name: image\n      value: {url: http://172.22.0.1/image.raw}\n")), MessageContains: "the topology has no variable 'controlPlaneEndpoint'"),

        // ---- Annotations -------------------------------------------------------------------------------------------
        new("unknown key with our prefix", "annotation", Outcome.Refused, "metal3/broken", $"metadata.annotations[{Hb}cni-bin-pth]",
            Together(WithAnnotation($"{Hb}cni-bin-pth", "/opt/cni/bin")), MessageContains: "unknown annotation"),
        new("version with an extra flag", "annotation", Outcome.Refused, "metal3/broken", $"metadata.annotations[{Hb}cilium-version]",
            Together(WithAnnotation($"{Hb}cilium-version", "1.18.3 --kubeconfig=x"))),
        new("version $(id)", "annotation", Outcome.Refused, "metal3/broken", $"metadata.annotations[{Hb}cilium-version]",
            Together(WithAnnotation($"{Hb}cilium-version", "$(id)"))),
        new("version older than supported", "annotation", Outcome.Refused, "metal3/broken", $"metadata.annotations[{Hb}cilium-version]",
            Together(WithAnnotation($"{Hb}cilium-version", "1.16.0"))),
        new("cni-bin-path relative", "annotation", Outcome.Refused, "metal3/broken", $"metadata.annotations[{Hb}cni-bin-path]",
            Together(WithAnnotation($"{Hb}cni-bin-path", "opt/cni/bin"))),
        new("cni-bin-path with spaces", "annotation", Outcome.Refused, "metal3/broken", $"metadata.annotations[{Hb}cni-bin-path]",
            Together(WithAnnotation($"{Hb}cni-bin-path", "/opt/my cni/bin"))),
        new("cni-bin-path a,b=c", "annotation", Outcome.Refused, "metal3/broken", $"metadata.annotations[{Hb}cni-bin-path]",
            Together(WithAnnotation($"{Hb}cni-bin-path", "/opt/cni/bin,a,b=c"))),
        new("cni-bin-path with ; and $(id)", "annotation", Outcome.Refused, "metal3/broken", $"metadata.annotations[{Hb}cni-bin-path]",
            Together(WithAnnotation($"{Hb}cni-bin-path", "/opt/cni/bin;$(id)"))),
        new("profile a,b=c", "annotation", Outcome.Refused, "metal3/broken", $"metadata.annotations[{Hb}profile]",
            Together(WithAnnotation($"{Hb}profile", "a,b=c"))),
        new("values-configmap $(id)", "annotation", Outcome.Refused, "metal3/broken", $"metadata.annotations[{Hb}values-configmap]",
            Together(WithAnnotation($"{Hb}values-configmap", "$(id)"))),
        new("endpoint-variable empty", "annotation", Outcome.Refused, "metal3/broken", $"metadata.annotations[{Hb}endpoint-variable]",
            Together(WithAnnotation($"{Hb}endpoint-variable", " ")), MessageContains: "is empty"),

        // ---- Profiles (--templates holds the broken templates of BadInputCatalogueTests.Templates) -------------------
        new("profile missing", "profile", Outcome.Refused, "metal3/broken", $"metadata.annotations[{Hb}profile]",
            Together(WithAnnotation($"{Hb}profile", "no-such-profile")), MessageContains: "does not exist"),
        new("profile with a syntax error", "profile", Outcome.Refused, "metal3/broken", $"metadata.annotations[{Hb}profile]",
            Together(WithAnnotation($"{Hb}profile", "unclosed-block"))),
        new("profile with a typo in a binding", "profile", Outcome.Refused, "metal3/broken", $"metadata.annotations[{Hb}profile]",
            Together(WithAnnotation($"{Hb}profile", "typo"))),
        new("profile with an unknown helper", "profile", Outcome.Refused, "metal3/broken", $"metadata.annotations[{Hb}profile]",
            Together(WithAnnotation($"{Hb}profile", "unknown-helper"))),
        new("profile rendering invalid YAML", "profile", Outcome.Refused, "metal3/broken", $"metadata.annotations[{Hb}profile]",
            Together(WithAnnotation($"{Hb}profile", "not-yaml"))),
        new("profile rendering a list", "profile", Outcome.Refused, "metal3/broken", $"metadata.annotations[{Hb}profile]",
            Together(WithAnnotation($"{Hb}profile", "a-list"))),
        new("profile looping without end", "profile", Outcome.Refused, "metal3/broken", $"metadata.annotations[{Hb}profile]",
            Together(WithAnnotation($"{Hb}profile", "endless-loop")), MessageContains: "iteration limit"),
        new("profile still in the Handlebars format", "profile", Outcome.Refused, "metal3/broken", $"metadata.annotations[{Hb}profile]",
            Together(WithAnnotation($"{Hb}profile", "handlebars")), MessageContains: "rename it to handlebars.yaml.scriban"),
        new("profile setting a removed value", "profile", Outcome.Refused, "metal3/broken", "values.tunnel",
            Together(WithAnnotation($"{Hb}profile", "removed-value"))),

        // ---- Cilium CLI output (only for the bad Cluster; the good one gets a normal replay) ------------------------
        new("CLI prints nothing", "cli output", Outcome.Refused, "metal3/broken", "stdout", Together(Broken), CliMode: "empty"),
        new("CLI prints garbage", "cli output", Outcome.Refused, "metal3/broken", "stdout", Together(Broken), CliMode: "garbage"),
        new("CLI output truncated", "cli output", Outcome.Refused, "metal3/broken", "stdout line", Together(Broken), CliMode: "truncated"),
        new("CLI prints 50 MB", "cli output", Outcome.Refused, "metal3/broken", "cilium install --dry-run", Together(Broken),
            CliMode: "huge:50", MessageContains: "printed more than"),
        new("CLI exits 1", "cli output", Outcome.Refused, "metal3/broken", "cilium install --dry-run", Together(Broken),
            CliMode: "fail:chart says no", MessageContains: "the Cilium CLI failed (exit 1): Unable to install Cilium: chart says no"),
        new("CLI panics", "cli output", Outcome.Refused, "metal3/broken", "cilium install --dry-run", Together(Broken),
            CliMode: "crash", MessageContains: "exit 2"),
    ];

    private static readonly string LongName = "broken-" + new string('x', 33);

    /// <summary>The profile templates the profile rows refer to, written into the folder passed as --templates.</summary>
    public static readonly IReadOnlyDictionary<string, string> Templates = new Dictionary<string, string>
    {
        ["unclosed-block"] = "{{ if cluster.name }}\nhubble:\n  enabled: true\n",
        ["typo"] = "cluster:\n  id: {{ cluster.nmae }}\n",
        ["unknown-helper"] = "hubble:\n  enabled: {{ shout cluster.name }}\n",
        ["not-yaml"] = "hubble: [enabled: {{ yaml cluster.name }}\n",
        ["a-list"] = "- hubble\n- {{ yaml cluster.name }}\n",
        ["removed-value"] = "tunnel: vxlan\n",
        ["endless-loop"] = "{{ while true }}\n# again\n{{ end }}\n",
    };

    /// <summary>Profiles still in the Handlebars format of earlier releases, written as &lt;name&gt;.yaml.hbs.</summary>
    public static readonly IReadOnlyDictionary<string, string> HandlebarsTemplates = new Dictionary<string, string>
    {
        ["handlebars"] = "{{!-- written for an earlier release --}}\noperator:\n  replicas: 2\n",
    };
}
