using CapiCiliumAddon.Rendering.Lint;
using CapiCiliumAddon.Rendering.Tests.Manifests;

namespace CapiCiliumAddon.Rendering.Tests.Lint;

public class ScalarLintTests
{
    private static string Pod(string volume, string env = "value: \"1\"", string labels = "app: x") => $$"""
        apiVersion: v1
        kind: Pod
        metadata:
          name: p
          namespace: default
          labels:
            {{labels}}
        spec:
          containers:
            - name: c
              image: busybox
              env:
                - name: X
                  {{env}}
          volumes:
            - name: v
              {{volume}}

        """;

    private static IReadOnlyList<LintFinding> Lint(string text) => CiliumLinterTests.Lint(null, ("objects.yaml", text));

    [Test]
    public void AnOctalDefaultModeIsAWarningWithTheValueKubernetesSees()
    {
        var finding = Lint(Pod("configMap: {name: x, defaultMode: 0400}")).Single();

        Assert.That(finding.Rule, Is.EqualTo(LintRules.FileMode));
        Assert.That(finding.Severity, Is.EqualTo(ProblemSeverity.Warning));
        Assert.That(finding.Object, Is.EqualTo("Pod default/p"));
        Assert.That(finding.Field, Is.EqualTo("spec.volumes[0].configMap.defaultMode"));
        Assert.That(finding.Message, Does.Contain("`0400` is octal to Kubernetes and Helm (YAML 1.1): the mode is 256 = 0400 (r--------)")
            .And.Contain("reads the decimal 400"));
        Assert.That(finding.Fix, Does.Contain("write the decimal value Kubernetes stores, 256"));
    }

    [TestCase("secret: {secretName: x, items: [{key: a, path: a, mode: 0o640}]}", "spec.volumes[0].secret.items[0].mode", "`0o640`", "416 = 0640 (rw-r-----)")]
    [TestCase("projected: {defaultMode: 0755, sources: []}", "spec.volumes[0].projected.defaultMode", "`0755`", "493 = 0755 (rwxr-xr-x)")]
    public void OctalModesOfItemsAndProjectionsAreFound(string volume, string field, string text, string value)
    {
        var finding = Lint(Pod(volume)).Single();

        Assert.That((finding.Rule, finding.Field), Is.EqualTo((LintRules.FileMode, field)));
        Assert.That(finding.Message, Does.Contain(text).And.Contain(value));
    }

    /// <summary>The values ConfigMap a Cluster names: Helm reads its values.yaml by the same rules.</summary>
    [Test]
    public void AValuesConfigMapsHelmValuesAreReadAsHelmReadsThem()
    {
        const string configMap = """
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
                extraEnv:
                  - name: DEBUG
                    value: on
                operator:
                  podLabels:
                    audited: yes
                  extraEnv:
                    - name: REPLICAS
                      value: "2"

            """;

        var findings = Lint(configMap);

        Assert.That(findings.Select(f => (f.Rule, f.Severity, f.Object, f.Location, f.Field)), Is.EquivalentTo(new[]
        {
            (LintRules.FileMode, ProblemSeverity.Warning, "ConfigMap metal3/cilium-values", "objects.yaml#1 data[values.yaml]", "extraVolumes[0].configMap.defaultMode"),
            (LintRules.StringValue, ProblemSeverity.Error, "ConfigMap metal3/cilium-values", "objects.yaml#1 data[values.yaml]", "extraEnv[0].value"),
            (LintRules.StringValue, ProblemSeverity.Error, "ConfigMap metal3/cilium-values", "objects.yaml#1 data[values.yaml]", "operator.podLabels.audited"),
        }));
        Assert.That(findings.Single(f => f.Field == "extraEnv[0].value").Message, Does.StartWith("`on` is the boolean true to Kubernetes").And.Contain("an env value must be a string"));
        Assert.That(findings.Single(f => f.Field == "operator.podLabels.audited").Message, Does.Contain("a label value must be a string"));
    }

    [Test]
    public void ADecimalThatLooksOctalIsAWarningSayingWhatItIs()
    {
        var finding = Lint(Pod("configMap: {name: x, defaultMode: 400}")).Single();

        Assert.That((finding.Rule, finding.Severity), Is.EqualTo((LintRules.FileMode, ProblemSeverity.Warning)));
        Assert.That(finding.Message, Does.Contain("`400` is the decimal 400, the file mode 0620 (rw--w----), not 0400 (r--------)"));
        Assert.That(finding.Fix, Does.Contain("write 0400 or 256"));
    }

    [Test]
    public void AModeOverOctal777IsAnError()
    {
        var finding = Lint(Pod("configMap: {name: x, defaultMode: 644}")).Single();

        Assert.That((finding.Rule, finding.Severity), Is.EqualTo((LintRules.FileMode, ProblemSeverity.Error)));
        Assert.That(finding.Message, Does.Contain("outside 0 to 0777 (511): the API server refuses the object; if you meant the octal 0644, write 0644 or 420"));
    }

    [TestCase("configMap: {name: x, defaultMode: 420}")]
    [TestCase("configMap: {name: x, defaultMode: 256}")]
    [TestCase("configMap: {name: x, defaultMode: \"0400\"}")]
    public void ModesAsKubectlShowsThemAreSilent(string volume) => Assert.That(Lint(Pod(volume)), Is.Empty);

    [Test]
    public void TheChartsOwnOctalModesInARenderAreSilent()
    {
        var render = Recordings.Stdout("extra-volume-mode-1.19");
        Assert.That(render, Does.Contain("defaultMode: 0400"), "the chart writes octal modes on purpose");

        Assert.That(Lint(render), Is.Empty);
    }

    [Test]
    public void AValuesFileWithAnOctalModeIsAWarning()
    {
        var finding = Lint("extraVolumes:\n  - name: extra-ca\n    configMap: {name: extra-ca, defaultMode: 0400}\n").Single();

        Assert.That((finding.Rule, finding.Object, finding.Location, finding.Field),
            Is.EqualTo((LintRules.FileMode, "Helm values", "objects.yaml#1", "extraVolumes[0].configMap.defaultMode")));
        Assert.That(finding.Message, Does.Contain("the mode is 256 = 0400 (r--------)"));
    }

    [TestCase("env", "value: on", "spec.containers[0].env[0].value", "`on` is the boolean true to Kubernetes (YAML 1.1 spells booleans", "an env value")]
    [TestCase("env", "value: 8080", "spec.containers[0].env[0].value", "`8080` is the number 8080 to Kubernetes, and", "an env value")]
    [TestCase("labels", "enabled: yes", "metadata.labels.enabled", "`yes` is the boolean true", "a label value")]
    [TestCase("labels", "team: N", "metadata.labels.team", "`N` is the boolean false", "a label value")]
    public void ABooleanOrNumberWhereKubernetesWantsAStringIsAnError(string where, string yaml, string field, string message, string what)
    {
        var text = where == "env" ? Pod("emptyDir: {}", env: yaml) : Pod("emptyDir: {}", labels: yaml);

        var finding = Lint(text).Single();

        Assert.That((finding.Rule, finding.Severity, finding.Field), Is.EqualTo((LintRules.StringValue, ProblemSeverity.Error, field)));
        Assert.That(finding.Message, Does.Contain(message).And.Contain($"{what} must be a string: kubectl apply, and a ClusterResourceSet, refuse the object"));
        Assert.That(finding.Fix, Does.StartWith("quote it: \""));
    }

    [Test]
    public void AConfigMapDataValueThatIsNotAStringIsAnError()
    {
        var finding = Lint("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: default}\ndata:\n  enable-ipv6: off\n").Single();

        Assert.That((finding.Rule, finding.Field), Is.EqualTo((LintRules.StringValue, "data.enable-ipv6")));
        Assert.That(finding.Message, Does.Contain("`off` is the boolean false").And.Contain("a ConfigMap data value must be a string"));
    }

    [Test]
    public void QuotedValuesAreSilent() =>
        Assert.That(Lint(Pod("emptyDir: {}", env: "value: \"on\"", labels: "enabled: 'yes'")), Is.Empty);

    [Test]
    public void TheNewRulesAreListed() =>
        Assert.That(LintRules.All.Select(r => r.Id), Does.Contain(LintRules.FileMode).And.Contain(LintRules.StringValue));
}
