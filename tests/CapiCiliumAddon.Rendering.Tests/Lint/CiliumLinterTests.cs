using System.Text;
using CapiCiliumAddon.Rendering.Clusters;
using CapiCiliumAddon.Rendering.Lint;
using CapiCiliumAddon.Rendering.Settings;
using CapiCiliumAddon.Rendering.Tests.Manifests;

namespace CapiCiliumAddon.Rendering.Tests.Lint;

public class CiliumLinterTests
{
    private const string Host = "10.250.250.29";
    private const string Render118 = "baremetal-native-bgp-1.18";

    internal static IReadOnlyList<LintFinding> Lint(LintOptions? options, params (string Name, string Text)[] files) =>
        CiliumLinter.Lint(LintInputSet.Read(files.Select(f => new LintSource(f.Name, Encoding.UTF8.GetBytes(f.Text)))), options);

    private static IReadOnlyList<LintFinding> Lint(params (string Name, string Text)[] files) => Lint(null, files);

    private static string Render(string recording = Render118) => Recordings.Stdout(recording);

    private static string Replace(string text, string from, string to)
    {
        Assert.That(text, Does.Contain(from), "the edit must change the recorded render");
        return text.Replace(from, to, StringComparison.Ordinal);
    }

    internal static string Cluster(string name, string ns = "metal3", string? selector = "<name>", string pods = "10.244.0.0/16", string services = "10.96.0.0/12") =>
        $"""
        apiVersion: cluster.x-k8s.io/v1beta2
        kind: Cluster
        metadata:
          name: {name}
          namespace: {ns}
          labels:
            cni: cilium
        {(selector is null ? "" : $"    addon.capi-cilium.io/cluster-name: {selector.Replace("<name>", name, StringComparison.Ordinal)}")}
        spec:
          clusterNetwork:
            pods:
              cidrBlocks: ["{pods}"]
            services:
              cidrBlocks: ["{services}"]
          controlPlaneEndpoint:
            host: {Host}
            port: 6443

        """;

    private static string[] Rules(IEnumerable<LintFinding> findings) => findings.Select(f => $"{f.SeverityText}:{f.Rule}").ToArray();

    // ---- acceptance: clean bare-metal renders are silent ----

    [TestCase("baremetal-native-bgp-1.17")]
    [TestCase("baremetal-native-bgp-1.18")]
    [TestCase("baremetal-native-bgp-1.20")]
    public void ACleanBareMetalRenderIsSilent(string recording)
    {
        Assert.That(Lint(("render.yaml", Render(recording))), Is.Empty);
        Assert.That(Lint(("render.yaml", Render(recording)), ("cluster.yaml", Cluster("capi-1"))), Is.Empty);
    }

    // ---- api-server-endpoint ----

    [Test]
    public void KubeProxyReplacementWithoutTheHostEnvIsAnError()
    {
        var render = Replace(Render(), $"- name: KUBERNETES_SERVICE_HOST\n          value: \"{Host}\"\n        ", "");

        var findings = Lint(("render.yaml", render));

        Assert.That(Rules(findings), Is.EqualTo(new[] { "error:api-server-endpoint" }));
        Assert.That(findings[0].Object, Is.EqualTo("DaemonSet kube-system/cilium"));
        Assert.That(findings[0].Field, Is.EqualTo("spec.template.spec.containers[cilium-agent].env[KUBERNETES_SERVICE_HOST]"));
        Assert.That(findings[0].Message, Does.Contain("bootstrap deadlocks"));
    }

    [TestCase("10.96.0.1")]
    [TestCase("10.43.0.1")]
    public void AWellKnownServiceVipAsHostIsAnError(string vip)
    {
        var findings = Lint(("render.yaml", Replace(Render(), Host, vip)));

        Assert.That(Rules(findings), Is.EqualTo(new[] { "error:api-server-endpoint" }));
        Assert.That(findings[0].Message, Does.Contain("service VIP"));
    }

    [Test]
    public void AnAddressInTheClustersServiceCidrIsAnErrorOnlyWhenTheClusterIsGiven()
    {
        var render = Replace(Render(), Host, "172.20.0.1");

        Assert.That(Lint(("render.yaml", render)), Is.Empty);
        Assert.That(Rules(Lint(("render.yaml", render), ("cluster.yaml", Cluster("capi-1", services: "172.20.0.0/16")))),
            Is.EqualTo(new[] { "error:api-server-endpoint" }));
    }

    [Test]
    public void WithoutKubeProxyReplacementAMissingHostIsFine()
    {
        var render = Replace(Render(), "kube-proxy-replacement: \"true\"", "kube-proxy-replacement: \"false\"");
        render = Replace(render, $"- name: KUBERNETES_SERVICE_HOST\n          value: \"{Host}\"\n        ", "");

        Assert.That(Lint(("render.yaml", render)), Is.Empty);
    }

    // ---- removed-value (version-aware) ----

    [TestCase("partial")]
    [TestCase("strict")]
    [TestCase("probe")]
    [TestCase("disabled")]
    public void ARemovedKubeProxyReplacementModeIsAnError(string mode)
    {
        var findings = Lint(("render.yaml", Replace(Render(), "kube-proxy-replacement: \"true\"", $"kube-proxy-replacement: \"{mode}\""))).ToList();

        Assert.That(findings.Select(f => f.Rule), Does.Contain(LintRules.RemovedValue));
        var finding = findings.First(f => f.Rule == LintRules.RemovedValue);
        Assert.That(finding.Object, Is.EqualTo("ConfigMap kube-system/cilium-config"));
        Assert.That(finding.Field, Is.EqualTo("data[kube-proxy-replacement]"));
        Assert.That(finding.Message, Does.Contain("Cilium 1.18.12"));
    }

    [Test]
    public void ATunnelKeyIsAnErrorForTheAgentsVersionButNotForAnOldAgent()
    {
        var render = Replace(Render(), "  tunnel-protocol: \"vxlan\"\n", "  tunnel: \"vxlan\"\n  tunnel-protocol: \"vxlan\"\n");

        var findings = Lint(("render.yaml", render));
        Assert.That(Rules(findings), Is.EqualTo(new[] { "error:removed-value" }));
        Assert.That(findings[0].Field, Is.EqualTo("data[tunnel]"));

        var old = Replace(render, "quay.io/cilium/cilium:v1.18.12", "quay.io/cilium/cilium:v1.14.5");
        old = Replace(old, "quay.io/cilium/operator-generic:v1.18.12", "quay.io/cilium/operator-generic:v1.14.5");
        Assert.That(Lint(("render.yaml", old)), Is.Empty, "tunnel was valid in 1.14");
    }

    [Test]
    public void MetalLbBgpKeysAreAnError()
    {
        var render = Replace(Render(), "  enable-bgp-control-plane: \"true\"\n", "  enable-bgp-control-plane: \"true\"\n  bgp-announce-lb-ip: \"true\"\n");

        var findings = Lint(("render.yaml", render));

        Assert.That(Rules(findings), Is.EqualTo(new[] { "error:removed-value" }));
        Assert.That(findings[0].Field, Is.EqualTo("data[bgp-announce-lb-ip]"));
        Assert.That(findings[0].Fix, Does.Contain("CiliumBGPAdvertisement"));
    }

    // ---- native-routing-cidr ----

    [Test]
    public void ANativeRoutingCidrNotCoveringTheClustersPodCidrIsAnError()
    {
        var findings = Lint(("render.yaml", Render()), ("cluster.yaml", Cluster("capi-1", pods: "10.245.0.0/16")));

        Assert.That(Rules(findings), Is.EqualTo(new[] { "error:native-routing-cidr" }));
        Assert.That(findings[0].Field, Is.EqualTo("data[ipv4-native-routing-cidr]"));
        Assert.That(findings[0].Message, Does.Contain("10.245.0.0/16"));
    }

    [Test]
    public void PodCidrOptionIsUsedWithoutACluster()
    {
        Assert.That(Rules(Lint(new LintOptions { PodCidrs = [Cidr("192.168.0.0/16")] }, ("render.yaml", Render()))),
            Is.EqualTo(new[] { "error:native-routing-cidr" }));
        Assert.That(Lint(new LintOptions { PodCidrs = [Cidr("10.244.128.0/17")] }, ("render.yaml", Render())), Is.Empty);
    }

    private static IpCidr Cidr(string text) => IpCidr.TryParse(text, out var cidr) ? cidr! : throw new ArgumentException(text);

    // ---- image-versions ----

    [Test]
    public void AnOperatorAtAnotherVersionIsAnError()
    {
        var findings = Lint(("render.yaml", Replace(Render(), "operator-generic:v1.18.12", "operator-generic:v1.17.3")));

        Assert.That(Rules(findings), Is.EqualTo(new[] { "error:image-versions" }));
        Assert.That(findings[0].Object, Is.EqualTo("Deployment kube-system/cilium-operator"));
        Assert.That(findings[0].Field, Is.EqualTo("spec.template.spec.containers[cilium-operator].image"));
    }

    [Test]
    public void ARelayAtAnotherVersionIsAnError()
    {
        var relay = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: hubble-relay
              namespace: kube-system
            spec:
              template:
                spec:
                  containers:
                  - name: hubble-relay
                    image: quay.io/cilium/hubble-relay:v1.20.0

            """;

        Assert.That(Rules(Lint(("render.yaml", Render() + "---\n" + relay))), Is.EqualTo(new[] { "error:image-versions" }));
        Assert.That(Lint(("render.yaml", Render() + "---\n" + relay.Replace("v1.20.0", "v1.18.12", StringComparison.Ordinal))), Is.Empty);
    }

    // ---- private-key ----

    [Test]
    public void SecretsWithPrivateKeysInTheRenderAreWarnings()
    {
        var findings = Lint(("render.yaml", Render("default-hubble-1.18")));

        Assert.That(Rules(findings), Is.EqualTo(new[] { "warning:private-key", "warning:private-key" }));
        Assert.That(findings.Select(f => f.Object), Is.EqualTo(new[] { "Secret kube-system/cilium-ca", "Secret kube-system/hubble-server-certs" }));
        Assert.That(findings[0].Field, Is.EqualTo("data[ca.key]"));
    }

    [Test]
    public void ASecretWithAPrivateKeyEmbeddedInAConfigMapIsAnError()
    {
        var findings = Lint(("wrapped.yaml", Wrap("capi-1-cilium", Render("minimal-1.18"))));

        Assert.That(findings.Where(f => f.Rule == LintRules.PrivateKey).Select(f => f.SeverityText).Distinct(), Is.EqualTo(new[] { "error" }));
        var first = findings.First(f => f.Rule == LintRules.PrivateKey);
        Assert.That(first.Object, Is.EqualTo("Secret kube-system/cilium-ca"));
        Assert.That(first.Location, Is.EqualTo("wrapped.yaml#1 > ConfigMap metal3/capi-1-cilium data[manifest.yaml]#5"));
    }

    [Test]
    public void APemKeyDirectlyInAConfigMapIsAnError()
    {
        var configMap = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: keys\n  namespace: default\ndata:\n  tls.key: |\n    -----BEGIN EC PRIVATE KEY-----\n    MHcCAQEE\n    -----END EC PRIVATE KEY-----\n";

        Assert.That(Rules(Lint(("cm.yaml", configMap))), Is.EqualTo(new[] { "error:private-key" }));
        Assert.That(Lint(("cm.yaml", configMap.Replace("PRIVATE KEY", "CERTIFICATE", StringComparison.Ordinal))), Is.Empty);
    }

    /// <summary>Our ConfigMap shape: the manifest under a data key, labelled and annotated as <c>render</c> writes it.</summary>
    internal static string Wrap(string name, string manifest, string ns = "metal3", string cluster = "capi-1")
    {
        var body = string.Join('\n', manifest.Split('\n').Select(l => l.Length == 0 ? "" : "    " + l));
        return $"""
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: {name}
              namespace: {ns}
              labels:
                addon.capi-cilium.io/cluster-name: {cluster}
                app.kubernetes.io/managed-by: capi-cilium-addon
              annotations:
                addon.capi-cilium.io/cilium-version: "1.18.12"
            data:
              manifest.yaml: |

            """ + body + "\n";
    }

    // ---- envsubst-bin-path ----

    private const string SubstitutingKustomization = """
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: clusters
          namespace: flux-system
        spec:
          path: ./clusters
          postBuild:
            substitute:
              REGION: eu-1

        """;

    [Test]
    public void BinPathUnderASubstitutingFluxKustomizationIsAnError()
    {
        var findings = Lint(("render.yaml", Render()), ("flux.yaml", SubstitutingKustomization));

        Assert.That(Rules(findings), Is.EqualTo(new[] { "error:envsubst-bin-path" }));
        Assert.That(findings[0].Object, Is.EqualTo("DaemonSet kube-system/cilium"));
        Assert.That(findings[0].Field, Does.StartWith("spec.template.spec.initContainers[mount-cgroup].command["));
        Assert.That(findings[0].Message, Does.Contain("Kustomization flux-system/clusters"));
        Assert.That(findings[0].Fix, Does.Contain("kustomize.toolkit.fluxcd.io/substitute: disabled"));
    }

    [Test]
    public void BinPathInOurWrappedTreeUnderSubstitutionIsReportedOnTheEmbeddedObject()
    {
        var findings = Lint(("configmap.yaml", Wrap("capi-1-cilium", Render())), ("flux.yaml", SubstitutingKustomization));

        Assert.That(Rules(findings), Is.EqualTo(new[] { "error:envsubst-bin-path" }));
        Assert.That(findings[0].Location, Does.Contain("ConfigMap metal3/capi-1-cilium data[manifest.yaml]"));
    }

    [Test]
    public void SubstitutionDisabledByAnnotationIsFine()
    {
        var wrapped = Replace(Wrap("capi-1-cilium", Render()), "  annotations:\n", "  annotations:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\n");

        Assert.That(Lint(("configmap.yaml", wrapped), ("flux.yaml", SubstitutingKustomization)), Is.Empty);
    }

    [Test]
    public void BinPathInAClusterctlStyleTemplateIsAWarning()
    {
        var template = Replace(Render(), "cluster-name: \"default\"", "cluster-name: \"${CLUSTER_NAME}\"");

        var findings = Lint(("template.yaml", template)).Where(f => f.Rule == LintRules.EnvsubstBinPath).ToList();

        Assert.That(Rules(findings), Is.EqualTo(new[] { "warning:envsubst-bin-path" }));
        Assert.That(findings[0].Message, Does.Contain("clusterctl"));
    }

    // ---- cluster-selector-label ----

    [Test]
    public void ACiliumClusterWithoutTheSelectorLabelIsAnError()
    {
        var findings = Lint(("cluster.yaml", Cluster("capi-1", selector: null)));

        Assert.That(Rules(findings), Is.EqualTo(new[] { "error:cluster-selector-label" }));
        Assert.That(findings[0].Object, Is.EqualTo("Cluster metal3/capi-1"));
        Assert.That(findings[0].Fix, Is.EqualTo("add the label `addon.capi-cilium.io/cluster-name: capi-1` to the Cluster, or run `capi-cilium label <your Cluster files>` to add it in place"));
        Assert.That(Rules(Lint(("cluster.yaml", Cluster("capi-1", selector: "capi-2")))), Is.EqualTo(new[] { "error:cluster-selector-label" }));
        Assert.That(Lint(("cluster.yaml", Cluster("capi-1"))), Is.Empty);
    }

    // ---- crs-selector and crs-reconcile ----

    private static string Crs(string selector, string strategy = "ApplyOnce", string name = "capi-1-cilium") => $"""
        apiVersion: addons.cluster.x-k8s.io/v1beta2
        kind: ClusterResourceSet
        metadata:
          name: {name}
          namespace: metal3
        spec:
          strategy: {strategy}
          clusterSelector:{selector}
          resources:
            - name: capi-1-cilium
              kind: ConfigMap

        """;

    private const string OwnSelector = "\n    matchLabels:\n      addon.capi-cilium.io/cluster-name: capi-1";

    [Test]
    public void AClusterResourceSetSelectingOneClusterIsFine() =>
        Assert.That(Lint(("crs.yaml", Crs(OwnSelector)), ("clusters.yaml", Cluster("capi-1") + "---\n" + Cluster("capi-2"))), Is.Empty);

    [Test]
    public void AnEmptySelectorIsAnError()
    {
        var findings = Lint(("crs.yaml", Crs(" {}")));

        Assert.That(Rules(findings), Is.EqualTo(new[] { "error:crs-selector" }));
        Assert.That(findings[0].Message, Does.Contain("matches no Cluster"));
    }

    [Test]
    public void ASelectorMatchingSeveralClustersIsAnError()
    {
        var findings = Lint(("crs.yaml", Crs("\n    matchLabels:\n      cni: cilium")), ("clusters.yaml", Cluster("capi-1") + "---\n" + Cluster("capi-2")));

        Assert.That(Rules(findings), Is.EqualTo(new[] { "error:crs-selector" }));
        Assert.That(findings[0].Message, Does.Contain("capi-1, capi-2"));
    }

    [Test]
    public void ASelectorWithoutTheClusterNameLabelIsAWarning() =>
        Assert.That(Rules(Lint(("crs.yaml", Crs("\n    matchLabels:\n      cni: cilium")))), Is.EqualTo(new[] { "warning:crs-selector" }));

    [Test]
    public void AReconcileClusterResourceSetIsAWarningAndAnErrorNextToAFluxHelmRelease()
    {
        Assert.That(Rules(Lint(("crs.yaml", Crs(OwnSelector, "Reconcile")))), Is.EqualTo(new[] { "warning:crs-reconcile" }));

        const string release = """
            apiVersion: helm.toolkit.fluxcd.io/v2
            kind: HelmRelease
            metadata:
              name: cilium
              namespace: kube-system
            spec:
              chart:
                spec:
                  chart: cilium
                  version: 1.18.12

            """;
        var findings = Lint(("crs.yaml", Crs(OwnSelector, "Reconcile")), ("release.yaml", release));
        Assert.That(Rules(findings), Is.EqualTo(new[] { "error:crs-reconcile" }));
        Assert.That(findings[0].Message, Does.Contain("HelmRelease kube-system/cilium"));
    }

    [Test]
    public void AnArgoCdApplicationForCiliumCountsAsGitOps()
    {
        const string application = """
            apiVersion: argoproj.io/v1alpha1
            kind: Application
            metadata:
              name: cilium
              namespace: argocd
            spec:
              source:
                repoURL: https://helm.cilium.io/
                chart: cilium

            """;

        Assert.That(Rules(Lint(("crs.yaml", Crs(OwnSelector, "Reconcile")), ("app.yaml", application))), Is.EqualTo(new[] { "error:crs-reconcile" }));
    }

    [Test]
    public void AClusterResourceSetShippingSomethingElseIsNotOurs()
    {
        var other = Crs(" {}", name: "csi").Replace("capi-1-cilium", "csi-driver", StringComparison.Ordinal);

        Assert.That(Lint(("crs.yaml", other)), Is.Empty);
    }

    // ---- Helm values files ----

    [TestCase("tunnel: vxlan\n", "tunnel")]
    [TestCase("kubeProxyReplacement: strict\n", "kubeProxyReplacement")]
    [TestCase("bgp:\n  enabled: true\n", "bgp.enabled")]
    [TestCase("bgp:\n  announce:\n    loadbalancerIP: true\n", "bgp.announce.loadbalancerIP")]
    [TestCase("k8sServiceHost: auto\n", "k8sServiceHost")]
    public void RemovedHelmValuesAreErrors(string values, string field)
    {
        var findings = Lint(("values.yaml", values));

        Assert.That(Rules(findings), Is.EqualTo(new[] { "error:removed-value" }));
        Assert.That(findings[0].Object, Is.EqualTo("Helm values"));
        Assert.That(findings[0].Location, Is.EqualTo("values.yaml#1"));
        Assert.That(findings[0].Field, Is.EqualTo(field));
    }

    [Test]
    public void ValuesFilesFollowTheGivenCiliumVersion()
    {
        Assert.That(Lint(new LintOptions { CiliumVersion = CiliumVersion.Parse("1.14.0") }, ("values.yaml", "tunnel: vxlan\n")), Is.Empty);
        Assert.That(Rules(Lint(new LintOptions { CiliumVersion = CiliumVersion.Parse("1.16.0") }, ("values.yaml", "bgp:\n  enabled: true\n"))), Is.Empty);
        Assert.That(Rules(Lint(new LintOptions { CiliumVersion = CiliumVersion.Parse("1.17.0") }, ("values.yaml", "bgp:\n  enabled: true\n"))),
            Is.EqualTo(new[] { "error:removed-value" }));
    }

    [Test]
    public void ValuesWithAServiceVipOrNoHostAreErrors()
    {
        Assert.That(Rules(Lint(("values.yaml", "kubeProxyReplacement: true\nk8sServiceHost: 10.96.0.1\nk8sServicePort: 443\n"))),
            Is.EqualTo(new[] { "error:api-server-endpoint" }));
        Assert.That(Rules(Lint(("values.yaml", "kubeProxyReplacement: true\n"))), Is.EqualTo(new[] { "error:api-server-endpoint" }));
    }

    [Test]
    public void CleanBareMetalValuesAreSilent()
    {
        const string values = """
            kubeProxyReplacement: true
            k8sServiceHost: 10.250.250.29
            k8sServicePort: 6443
            routingMode: native
            ipv4NativeRoutingCIDR: 10.244.0.0/16
            autoDirectNodeRoutes: true
            bgpControlPlane:
              enabled: true
            ipam:
              mode: kubernetes

            """;

        Assert.That(Lint(("values.yaml", values), ("cluster.yaml", Cluster("capi-1"))), Is.Empty);
        Assert.That(Rules(Lint(("values.yaml", values), ("cluster.yaml", Cluster("capi-1", pods: "10.10.0.0/16")))),
            Is.EqualTo(new[] { "error:native-routing-cidr" }));
    }

    // ---- reading ----

    [Test]
    public void UnreadableInputIsAProblemNotAFinding()
    {
        var inputs = LintInputSet.Read([new LintSource("bad.yaml", Encoding.UTF8.GetBytes("a: [1, 2\n"))]);

        Assert.That(inputs.Problems, Has.Count.EqualTo(1));
        Assert.That(inputs.Problems[0].Subject, Is.EqualTo("bad.yaml"));
    }
}
