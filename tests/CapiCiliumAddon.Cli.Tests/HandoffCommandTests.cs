using System.Text.Json.Nodes;
using CapiCiliumAddon.Rendering.Clusters;
using CapiCiliumAddon.Rendering.Yaml;
using CapiCiliumAddon.Testing;

namespace CapiCiliumAddon.Cli.Tests;

public class HandoffCommandTests : FakeCiliumTest
{
    private string _chart = null!;

    private static readonly Lazy<IReadOnlyDictionary<string, CrdSchema>> Schemas = new(() =>
        new[] { "helm.toolkit.fluxcd.io_helmreleases.yaml", "source.toolkit.fluxcd.io_helmrepositories.yaml", "application-crd.yaml" }
            .Select(f => CrdSchema.Load(Path.Combine(RepositoryPaths.Fixtures, "gitops-crds", f)))
            .ToDictionary(s => s.Kind));

    [SetUp]
    public void SetUp()
    {
        _chart = FakeChart.Create(Temp.Combine("chart"), "1.18.12");
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await CliApp.RunAsync(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private async Task<string> RenderTree(string extraMetadata = "", params string[] extra)
    {
        Directory.CreateDirectory(Temp.Combine("clusters"));
        File.WriteAllText(Temp.Combine("clusters", "a.yaml"), string.Join("---\n",
            RenderCommandTests.Cluster("capi-1", extraMetadata: extraMetadata),
            RenderCommandTests.Cluster("capi-2", "host: 10.250.250.30\n    port: 6443", pods: "[\"10.245.0.0/16\"]")));
        var (exit, _, stderr) = await Run(["render", Temp.Combine("clusters"), "--out", Temp.Combine("out"), "--cilium", Cilium, "--chart-directory", _chart, .. extra]);
        Assert.That(exit, Is.EqualTo(0), stderr);
        return Temp.Combine("out");
    }

    [Test]
    public async Task WritesFluxAndArgoCdManifestsPerClusterFromTheRenderedTree()
    {
        var tree = await RenderTree();

        var (exit, stdout, stderr) = await Run("handoff", tree, "--out", Temp.Combine("handoff"));

        Assert.That(exit, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("metal3/capi-1: release kube-system/cilium, chart 1.18.12").And.Contain("2 of 2 render(s) handed off"));
        Golden.AssertDirectoryMatches(Temp.Combine("handoff"), "handoff");
    }

    [Test]
    public async Task TheManifestsCarryTheRendersExactValuesChartAndRelease()
    {
        var tree = await RenderTree();
        await Run("handoff", tree, "--out", Temp.Combine("handoff"));

        var values = Yaml(Path.Combine(tree, "metal3", "capi-2", "cilium-values.yaml"));
        var release = Yaml(Temp.Combine("handoff", "metal3", "capi-2", "flux", "helmrelease-cilium.yaml"));
        var application = Yaml(Temp.Combine("handoff", "metal3", "capi-2", "argocd", "application-cilium.yaml"));

        Assert.That(JsonNode.DeepEquals(release["spec"]!["values"], values), Is.True);
        Assert.That(JsonNode.DeepEquals(application["spec"]!["source"]!["helm"]!["valuesObject"], values), Is.True);
        Assert.That(values["k8sServiceHost"]!.GetValue<string>(), Is.EqualTo("10.250.250.30"), "each Cluster's own values");
        Assert.That(release["spec"]!["chart"]!["spec"]!["version"]!.GetValue<string>(), Is.EqualTo("1.18.12"));
        Assert.That(release["spec"]!["releaseName"]!.GetValue<string>(), Is.EqualTo("cilium"));
        Assert.That(release["spec"]!["targetNamespace"]!.GetValue<string>(), Is.EqualTo("kube-system"));
        Assert.That(application["spec"]!["source"]!["targetRevision"]!.GetValue<string>(), Is.EqualTo("1.18.12"));
        Assert.That(application["spec"]!["destination"]!["namespace"]!.GetValue<string>(), Is.EqualTo("kube-system"));
    }

    [Test]
    public async Task EveryManifestIsValidAgainstTheRealCrdSchema()
    {
        var tree = await RenderTree(extraMetadata: "  annotations:\n    addon.capi-cilium.io/helm-release-name: cni\n");
        await Run("handoff", tree, "--out", Temp.Combine("handoff"));

        var files = Directory.GetFiles(Temp.Combine("handoff"), "*.yaml", SearchOption.AllDirectories).Where(f => !f.EndsWith("kustomization.yaml", StringComparison.Ordinal)).ToList();
        Assert.That(files, Has.Count.EqualTo(6), "per Cluster: HelmRepository, HelmRelease, Application");
        foreach (var file in files)
        {
            var obj = Yaml(file);
            var schema = Schemas.Value[obj["kind"]!.GetValue<string>()];
            Assert.That(schema.Validate(obj), Is.Empty, file);
        }

        Assert.That(Yaml(Temp.Combine("handoff", "metal3", "capi-1", "flux", "helmrelease-cni.yaml"))["spec"]!["releaseName"]!.GetValue<string>(), Is.EqualTo("cni"));
    }

    [Test]
    public void TheSchemaCheckCatchesAMisspelledFieldAWrongTypeAndAMissingRequiredField()
    {
        var release = JsonNode.Parse("""
            {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease", "metadata": {"name": "cilium", "namespace": "flux-system"},
             "spec": {"releasename": "cilium", "chart": {"spec": {"chart": "cilium", "sourceRef": {"kind": "HelmRepository", "name": "cilium"}}},
                      "install": {"crds": "Never", "remediation": {"retries": "3"}}, "values": {"anything": {"goes": true}}}}
            """)!.AsObject();

        var errors = Schemas.Value["HelmRelease"].Validate(release);

        Assert.That(errors, Has.Some.Contains("/spec").And.Contains("releasename"), string.Join("\n", errors));
        Assert.That(errors, Has.Some.Contains("/spec/install/crds"));
        Assert.That(errors, Has.Some.Contains("/spec/install/remediation/retries"));
        Assert.That(errors, Has.Some.Contains("interval"), "spec.interval is required");
        Assert.That(errors, Has.None.Contains("/spec/values"), "values preserve unknown fields");
    }

    [Test]
    public async Task ABareRenderCannotBeHandedOffAndSaysWhy()
    {
        var tree = await RenderTree(extra: "--no-helm-ownership");

        var (exit, stdout, stderr) = await Run("handoff", tree, "--out", Temp.Combine("handoff"));

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(stderr, Does.Contain("error: metal3/capi-1").And.Contain("no Helm ownership metadata").And.Contain("invalid ownership metadata"));
        Assert.That(stdout, Does.Contain("0 of 2 render(s) handed off"));
        Assert.That(Directory.Exists(Temp.Combine("handoff")), Is.False);
    }

    [Test]
    public async Task AnEditedValuesFileIsRefusedAndTheOtherClusterIsStillWritten()
    {
        var tree = await RenderTree();
        var valuesFile = Path.Combine(tree, "metal3", "capi-1", "cilium-values.yaml");
        File.WriteAllText(valuesFile, File.ReadAllText(valuesFile).Replace("replicas: 1", "replicas: 2", StringComparison.Ordinal));

        var (exit, _, stderr) = await Run("handoff", tree, "--out", Temp.Combine("handoff"));

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(stderr, Does.Contain("metal3/capi-1").And.Contain("the values file does not match the render"));
        Assert.That(File.Exists(Temp.Combine("handoff", "metal3", "capi-1", "flux", "helmrelease-cilium.yaml")), Is.False);
        Assert.That(File.Exists(Temp.Combine("handoff", "metal3", "capi-2", "flux", "helmrelease-cilium.yaml")), Is.True);
    }

    [Test]
    public async Task AFileAnEarlierHandoffWroteIsRemovedWhenTheReleaseIsRenamedButNotTheUsersOwn()
    {
        var tree = await RenderTree();
        await Run("handoff", tree, "--out", Temp.Combine("handoff"));
        var flux = Temp.Combine("handoff", "metal3", "capi-1", "flux");
        File.WriteAllText(Path.Combine(flux, "notes.yaml"), "# mine\n");

        await RenderTree(extraMetadata: "  annotations:\n    addon.capi-cilium.io/helm-release-name: cni\n");
        var (exit, _, stderr) = await Run("handoff", tree, "--out", Temp.Combine("handoff"));

        Assert.That(exit, Is.EqualTo(0), stderr);
        Assert.That(Directory.GetFiles(flux).Select(Path.GetFileName).Order(StringComparer.Ordinal),
            Is.EqualTo(new[] { "helmrelease-cni.yaml", "helmrepository-cilium.yaml", "kustomization.yaml", "notes.yaml" }));
        Assert.That(File.Exists(Temp.Combine("handoff", "metal3", "capi-1", "argocd", "application-cilium.yaml")), Is.False);
        Assert.That(File.Exists(Temp.Combine("handoff", "metal3", "capi-2", "argocd", "application-cilium.yaml")), Is.True);
    }

    [Test]
    public async Task NoRenderInTheInputsIsAUsageError()
    {
        Directory.CreateDirectory(Temp.Combine("empty"));
        File.WriteAllText(Temp.Combine("empty", "x.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n");

        var (exit, _, stderr) = await Run("handoff", Temp.Combine("empty"), "--out", Temp.Combine("handoff"));

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("no capi-cilium render found"));
    }

    private async Task<(string Tree, string Handoff)> RenderAndHandOff()
    {
        var tree = await RenderTree();
        var (exit, _, stderr) = await Run("handoff", tree, "--out", Temp.Combine("handoff"));
        Assert.That(exit, Is.EqualTo(0), stderr);
        return (tree, Temp.Combine("handoff"));
    }

    private static void Edit(string path, string from, string to)
    {
        var text = File.ReadAllText(path);
        Assert.That(text, Does.Contain(from), path);
        File.WriteAllText(path, text.Replace(from, to, StringComparison.Ordinal));
    }

    private static async Task<string[]> HandoffFindings(params string[] paths)
    {
        var (_, stdout, _) = await Run(["lint", .. paths, "--format", "text"]);
        return stdout.Split('\n').Where(l => l.Contains("[helm-handoff]", StringComparison.Ordinal)).ToArray();
    }

    [Test]
    public async Task LintAcceptsTheGeneratedHandoffNextToItsRender()
    {
        var (tree, handoff) = await RenderAndHandOff();

        var (exit, stdout, stderr) = await Run("lint", tree, handoff);

        Assert.That(stdout, Does.Not.Contain("helm-handoff"), stdout + stderr);
        Assert.That(exit, Is.EqualTo(0), stdout + stderr);
    }

    [TestCase("version: \"1.18.12\"", "version: \"1.17.18\"", "spec.chart.spec.version: chart version '1.17.18' (render 1.18.12) differs from the render of metal3/capi-1")]
    [TestCase("releaseName: cilium", "releaseName: cilium-cni", "spec.releaseName: release name 'cilium-cni' (render 'cilium') differs")]
    [TestCase("  targetNamespace: kube-system\n", "", "spec.targetNamespace: release namespace 'flux-system' (render kube-system) differs")]
    [TestCase("    operator:\n      replicas: 1\n", "    operator:\n      replicas: 2\n    debug:\n      enabled: true\n", "spec.values: values (debug.enabled: true not in the render; operator.replicas: 2, render 1) differs")]
    [TestCase("    k8sServicePort: 6443\n", "", "spec.values: values (k8sServicePort not set, render 6443) differs")]
    public async Task EachDifferenceOfAHelmReleaseIsAFindingThatSaysTheFirstReconcileChangesCilium(string from, string to, string expected)
    {
        var (tree, handoff) = await RenderAndHandOff();
        var release = Path.Combine(handoff, "metal3", "capi-1", "flux", "helmrelease-cilium.yaml");
        Edit(release, from, to);

        var findings = await HandoffFindings(tree, release);

        Assert.That(findings, Has.Length.EqualTo(1), string.Join("\n", findings));
        Assert.That(findings[0], Does.StartWith("error[helm-handoff] HelmRelease flux-system/cilium (" + release + "#1): "));
        Assert.That(findings[0], Does.Contain(expected).And.Contain("the first reconcile would change Cilium on cluster metal3/capi-1"));
    }

    [Test]
    public async Task AnApplicationIsComparedTooAndItsDefaultReleaseNameIsItsOwnName()
    {
        var (tree, handoff) = await RenderAndHandOff();
        var application = Path.Combine(handoff, "metal3", "capi-2", "argocd", "application-cilium.yaml");
        Edit(application, "      releaseName: cilium\n", "");
        Edit(application, "  name: cilium\n  namespace: argocd\n", "  name: cilium-capi-2\n  namespace: argocd\n");
        Edit(application, "targetRevision: \"1.18.12\"", "targetRevision: \"1.19.6\"");
        Edit(application, "    namespace: kube-system\n", "    namespace: cilium\n");
        Edit(application, "        routingMode: native\n", "        routingMode: tunnel\n");

        var findings = await HandoffFindings(tree, application);

        Assert.That(findings, Has.Length.EqualTo(4), string.Join("\n", findings));
        Assert.That(findings, Has.Some.Contains("spec.source.targetRevision: chart version '1.19.6' (render 1.18.12) differs from the render of metal3/capi-2"));
        Assert.That(findings, Has.Some.Contains("spec.source.helm.releaseName: release name 'cilium-capi-2' (render 'cilium')"));
        Assert.That(findings, Has.Some.Contains("spec.destination.namespace: release namespace 'cilium' (render kube-system)"));
        Assert.That(findings, Has.Some.Contains("spec.source.helm.valuesObject: values (routingMode: \"tunnel\", render \"native\")"));
    }

    [Test]
    public async Task AHelmReleaseWithoutOurLabelIsMatchedByItsClusterName()
    {
        var (tree, handoff) = await RenderAndHandOff();
        var release = Path.Combine(handoff, "metal3", "capi-2", "flux", "helmrelease-cilium.yaml");
        Edit(release, "    addon.capi-cilium.io/cluster-name: capi-2\n", "    team: network\n");
        Edit(release, "releaseName: cilium", "releaseName: other");

        var findings = await HandoffFindings(tree, release);

        Assert.That(findings.Single(), Does.Contain("differs from the render of metal3/capi-2"));
    }

    [Test]
    public async Task AHelmReleaseForABareRenderCannotAdoptIt()
    {
        var tree = await RenderTree(extra: "--no-helm-ownership");
        var release = Path.Combine(Temp.Combine("gitops"), "helmrelease.yaml");
        Directory.CreateDirectory(Path.GetDirectoryName(release)!);
        File.WriteAllText(release, "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: cilium\n  namespace: kube-system\n  labels:\n    addon.capi-cilium.io/cluster-name: capi-1\nspec:\n  interval: 1h\n  chart:\n    spec:\n      chart: cilium\n      version: 1.18.12\n      sourceRef:\n        kind: HelmRepository\n        name: cilium\n");

        var findings = await HandoffFindings(tree, release);

        Assert.That(findings, Has.Some.Contains("ships the bare chart output, without Helm's ownership metadata"));
    }

    private static JsonObject Yaml(string path) => (JsonObject)YamlDocuments.Parse(File.ReadAllText(path), path).Single().Content!;
}
