using System.Text;
using System.Text.Json.Nodes;
using CapiCiliumAddon.Rendering.Yaml;
using CapiCiliumAddon.Testing;

namespace CapiCiliumAddon.Cli.Tests;

/// <summary>
/// Inputs as GitOps repositories hold them: values with YAML 1.1 scalars, kustomize builds on standard input, and
/// clusterctl/Flux templates whose variables were not substituted yet.
/// </summary>
public class YamlInputTests : FakeCiliumTest
{
    private const string ValuesAnnotation = "  annotations:\n    addon.capi-cilium.io/values-configmap: cilium-values";

    /// <summary>The values file of the recording extra-volume-mode-1.19, in a values ConfigMap beside the Cluster.</summary>
    private const string ExtraVolumeValues = """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: cilium-values
          namespace: metal3
        data:
          values.yaml: |
            extraVolumes:
              - name: extra-ca
                configMap: {name: extra-ca, defaultMode: 0400}

        """;

    private string _chart119 = null!;

    [SetUp]
    public void SetUp() => _chart119 = FakeChart.Create(Temp.Combine("chart-1.19"), "1.19.6");

    private string[] Environment => ["--cilium", Cilium, "--chart-directory", _chart119];

    private string Out => Temp.Combine("out");

    private string WriteFile(string name, params string[] documents)
    {
        var path = Temp.Combine("clusters", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, string.Join("---\n", documents));
        return path;
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> Run(string? stdin, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await CliApp.RunAsync(args, stdout, stderr, stdin is null ? null : () => new MemoryStream(Encoding.UTF8.GetBytes(stdin)));
        return (exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>The objects the rendered ConfigMaps carry, read as Kubernetes reads them.</summary>
    private static List<JsonObject> RenderedObjects(string clusterFolder)
    {
        var objects = new List<JsonObject>();
        foreach (var file in Directory.GetFiles(clusterFolder, "configmap-*.yaml").Order(StringComparer.Ordinal))
        {
            var configMap = (JsonObject)YamlDocuments.Parse(File.ReadAllText(file), file).Single().Content!;
            foreach (var (key, value) in (JsonObject)configMap["data"]!)
            {
                objects.AddRange(YamlDocuments.Parse(value!.GetValue<string>(), $"{file} data[{key}]").Select(d => (JsonObject)d.Content!));
            }
        }

        return objects;
    }

    [Test]
    public async Task AnOctalModeInAValuesConfigMapReachesTheRenderAsKubernetesReadsIt()
    {
        WriteFile("site.yaml", RenderCommandTests.Cluster("capi-1", extraMetadata: ValuesAnnotation), ExtraVolumeValues);

        var (exit, _, stderr) = await Run(null, ["render", Temp.Combine("clusters"), "--out", Out, .. Environment]);

        // The fake replays extra-volume-mode-1.19 only for a values file that means defaultMode 256: as the real CLI, given
        // the same values file, rendered it.
        Assert.That(exit, Is.EqualTo(0), stderr);
        var folder = Path.Combine(Out, "metal3", "capi-1");
        Assert.That(File.ReadAllText(Path.Combine(folder, "cilium-values.yaml")), Does.Contain("      defaultMode: 256\n"));
        var agent = RenderedObjects(folder).Single(o => (string?)o["kind"] == "DaemonSet" && (string?)o["metadata"]!["name"] == "cilium");
        var volume = ((JsonArray)agent["spec"]!["template"]!["spec"]!["volumes"]!).OfType<JsonObject>().Single(v => (string?)v["name"] == "extra-ca");
        Assert.That(volume["configMap"]!["defaultMode"]!.GetValue<long>(), Is.EqualTo(256), "0400, r--------");
    }

    [Test]
    public async Task RenderFromStandardInputWritesWhatTheSameFileWrites()
    {
        var clusters = string.Join("---\n", RenderCommandTests.Cluster("capi-1", extraMetadata: ValuesAnnotation), ExtraVolumeValues, RenderCommandTests.Cluster("capi-2"));
        var file = WriteFile("built.yaml", clusters);

        var fromFile = await Run(null, ["render", file, "--out", Temp.Combine("from-file"), .. Environment]);
        var fromStdin = await Run(clusters, ["render", "-", "--out", Temp.Combine("from-stdin"), .. Environment]);

        Assert.That(fromFile.Exit, Is.EqualTo(0), fromFile.Stderr);
        Assert.That(fromStdin.Exit, Is.EqualTo(0), fromStdin.Stderr);
        Assert.That(fromStdin.Stdout, Does.Contain("2 of 2 Cluster(s) labelled cni: cilium rendered from 1 file(s)"));
        var expected = CommandRunner.Snapshot(Temp.Combine("from-file"));
        Assert.That(CommandRunner.Snapshot(Temp.Combine("from-stdin")), Is.EqualTo(expected));
        Assert.That(expected.Keys, Has.Some.StartWith("metal3/capi-2/"));
    }

    [Test]
    public async Task CheckFromStandardInputGivesTheVerdictOfTheFile()
    {
        var clusters = RenderCommandTests.Cluster("capi-1");
        var file = WriteFile("built.yaml", clusters);
        var render = await Run(null, ["render", file, "--out", Out, .. Environment]);
        Assert.That(render.Exit, Is.EqualTo(0), render.Stderr);

        var fresh = await Run(clusters, ["check", "-", "--against", Out, .. Environment]);
        var stale = await Run(clusters.Replace("10.250.250.29", "10.250.250.30", StringComparison.Ordinal), ["check", "-", "--against", Out, .. Environment]);

        Assert.That(fresh.Exit, Is.EqualTo(0), fresh.Stdout + fresh.Stderr);
        Assert.That(fresh.Stdout, Does.Contain("1 Cluster(s): 1 fresh"));
        Assert.That(stale.Exit, Is.EqualTo(1));
        Assert.That(stale.Stdout, Does.Contain("metal3/capi-1:").And.Contain("stale"));
    }

    [Test]
    public async Task BumpReadsStandardInput()
    {
        var chart118 = FakeChart.Create(Temp.Combine("chart-1.18"), "1.18.12");
        var clusters = RenderCommandTests.Cluster("capi-1");
        string[] charts = ["--cilium", Cilium, "--chart-directory", chart118, "--chart-directory", _chart119];
        var render = await Run(clusters, ["render", "-", "--out", Out, "--cilium-version", "1.18.12", .. charts]);
        Assert.That(render.Exit, Is.EqualTo(0), render.Stderr);

        var (exit, stdout, stderr) = await Run(clusters, ["bump", "--to", "1.19.6", "-", "--out", Out, .. charts]);

        Assert.That(exit, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("metal3/capi-1  Cilium 1.18.12 → 1.19.6"));
    }

    [Test]
    public async Task ProblemsInStandardInputNameItAndTheDocument()
    {
        var (exit, _, stderr) = await Run(RenderCommandTests.Cluster("capi-1") + "---\n" + RenderCommandTests.Cluster("capi-2", selectorLabel: null),
            ["render", "-", "--out", Out, .. Environment]);

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(stderr, Does.Contain("(in <stdin>#2)"), "the label problem names the document");

        var unreadable = await Run("apiVersion: v1\nkind: [unclosed\n", ["render", "-", "--out", Out, .. Environment]);
        Assert.That(unreadable.Exit, Is.EqualTo(1));
        Assert.That(unreadable.Stderr, Does.Contain("error: <stdin>: (file): line"));
    }

    [Test]
    public async Task StandardInputMayBeGivenOnce()
    {
        var (exit, _, stderr) = await Run("", ["render", "-", "-", "--out", Out, .. Environment]);

        Assert.That(exit, Is.EqualTo(CliApp.UsageError));
        Assert.That(stderr, Does.Contain("'-' (standard input) may be given only once"));
    }

    [Test]
    public async Task LabelRefusesStandardInputBecauseItEditsFilesInPlace()
    {
        var (exit, _, stderr) = await Run(RenderCommandTests.Cluster("capi-1"), ["label", "-"]);

        Assert.That(exit, Is.EqualTo(CliApp.UsageError));
        Assert.That(stderr, Does.Contain("label edits Cluster files in place and cannot take standard input"));
    }

    /// <summary>A Cluster as clusterctl's templates and Flux's post-build substitution leave it.</summary>
    private const string TemplatedCluster = """
        apiVersion: cluster.x-k8s.io/v1beta2
        kind: Cluster
        metadata:
          name: ${CLUSTER_NAME}
          namespace: ${NAMESPACE:=metal3}
          labels:
            cni: cilium
            addon.capi-cilium.io/cluster-name: ${CLUSTER_NAME}
        spec:
          clusterNetwork:
            pods:
              cidrBlocks: ["${POD_CIDR:-10.244.0.0/16}"]
          infrastructureRef:
            apiGroup: infrastructure.cluster.x-k8s.io
            kind: Metal3Cluster
            name: ${CLUSTER_NAME}
        ---
        apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
        kind: Metal3Cluster
        metadata:
          name: ${CLUSTER_NAME}
          namespace: ${NAMESPACE:=metal3}
        spec:
          controlPlaneEndpoint:
            host: ${CLUSTER_APIENDPOINT_HOST}
            port: ${CLUSTER_APIENDPOINT_PORT=6443}

        """;

    [Test]
    public async Task ATemplatedClusterIsRefusedOnceNamingEachVariable()
    {
        WriteFile("template.yaml", TemplatedCluster);

        var (exit, stdout, stderr) = await Run(null, ["render", Temp.Combine("clusters"), "--out", Out, .. Environment]);

        Assert.That(exit, Is.EqualTo(1));
        var errors = stderr.Split('\n').Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToList();
        Assert.That(errors, Has.Count.EqualTo(1), stderr);
        Assert.That(errors[0], Does.Contain("${CLUSTER_NAME}, ${NAMESPACE}, ${POD_CIDR}, ${CLUSTER_APIENDPOINT_HOST}, ${CLUSTER_APIENDPOINT_PORT}"));
        Assert.That(errors[0], Does.Contain("template.yaml#1").And.Contain("Metal3Cluster it references (").And.Contain("template.yaml#2"));
        Assert.That(errors[0], Does.Contain("clusterctl generate cluster, flux envsubst, or envsubst < file | capi-cilium render -"));
        Assert.That(stdout, Does.Contain("invalid: ${NAMESPACE:=metal3}/${CLUSTER_NAME}"));
        Assert.That(CommandRunner.FilesUnder(Out), Is.Empty);
        Assert.That(FakeCiliumCli.ReadInvocations(RecordDirectory).Select(i => i.Argv[0]), Is.EqualTo(new[] { "version" }), "no install was run");
    }

    [Test]
    public async Task ATemplateThatIsNotYamlUntilSubstitutedNamesItsVariables()
    {
        // `{... ${CLUSTER_NAME}}`: the variable's closing brace ends the flow mapping, so the text is not YAML yet.
        const string template = """
            apiVersion: cluster.x-k8s.io/v1beta2
            kind: Cluster
            metadata:
              name: ${CLUSTER_NAME}
              labels: {cni: cilium, addon.capi-cilium.io/cluster-name: ${CLUSTER_NAME}}
            spec:
              controlPlaneEndpoint: {host: ${VIP}, port: 6443}

            """;

        var (exit, _, stderr) = await Run(template, ["render", "-", "--out", Out, .. Environment]);

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(stderr, Does.Contain("<stdin>").And.Contain("line 5")
            .And.Contain("the file holds unsubstituted variables ${CLUSTER_NAME}, ${VIP}")
            .And.Contain("clusterctl generate cluster, flux envsubst, or envsubst < file | capi-cilium render -"));
        Assert.That(CommandRunner.FilesUnder(Out), Is.Empty);
    }

    [Test]
    public async Task ASubstitutedTemplateOnStandardInputRenders()
    {
        // What `envsubst < template.yaml | capi-cilium render -` hands over.
        var substituted = TemplatedCluster
            .Replace("${CLUSTER_NAME}", "capi-1", StringComparison.Ordinal)
            .Replace("${NAMESPACE:=metal3}", "metal3", StringComparison.Ordinal)
            .Replace("${POD_CIDR:-10.244.0.0/16}", "10.244.0.0/16", StringComparison.Ordinal)
            .Replace("${CLUSTER_APIENDPOINT_HOST}", "10.250.250.29", StringComparison.Ordinal)
            .Replace("${CLUSTER_APIENDPOINT_PORT=6443}", "6443", StringComparison.Ordinal);

        var (exit, _, stderr) = await Run(substituted, ["render", "-", "--out", Out, .. Environment]);

        Assert.That(exit, Is.EqualTo(0), stderr);
        Assert.That(CommandRunner.FilesUnder(Path.Combine(Out, "metal3", "capi-1")), Is.Not.Empty);
    }

    [Test]
    public async Task AValuesConfigMapHoldingVariablesIsRefusedOnce()
    {
        WriteFile("site.yaml", RenderCommandTests.Cluster("capi-1", extraMetadata: ValuesAnnotation), """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: cilium-values
              namespace: metal3
            data:
              values.yaml: |
                operator:
                  replicas: ${OPERATOR_REPLICAS:=2}
                k8sClientRateLimit:
                  qps: ${QPS}

            """);

        var (exit, _, stderr) = await Run(null, ["render", Temp.Combine("clusters"), "--out", Out, .. Environment]);

        Assert.That(exit, Is.EqualTo(1));
        var errors = stderr.Split('\n').Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToList();
        Assert.That(errors, Has.Count.EqualTo(1), stderr);
        Assert.That(errors[0], Does.Contain("ConfigMap metal3/cilium-values data[values.yaml] holds unsubstituted variables ${OPERATOR_REPLICAS}, ${QPS}"));
    }

    [Test]
    public async Task TheRenderedBinPathIsNotATemplateVariableOfTheInputs()
    {
        // The rendered Cilium manifest holds ${BIN_PATH}; it is output, never read as the user's input objects.
        WriteFile("site.yaml", RenderCommandTests.Cluster("capi-1"));
        var first = await Run(null, ["render", Temp.Combine("clusters"), "--out", Out, .. Environment]);
        Assert.That(first.Exit, Is.EqualTo(0), first.Stderr);
        Assert.That(Directory.GetFiles(Out, "*.yaml", SearchOption.AllDirectories).Any(f => File.ReadAllText(f).Contains("${BIN_PATH}", StringComparison.Ordinal)), Is.True);

        var again = await Run(null, ["check", Temp.Combine("clusters"), "--against", Out, .. Environment]);

        Assert.That(again.Exit, Is.EqualTo(0), again.Stdout + again.Stderr);
    }
}
