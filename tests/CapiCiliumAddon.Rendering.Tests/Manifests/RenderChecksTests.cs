using System.Text.RegularExpressions;
using CapiCiliumAddon.Rendering.Manifests;
using NUnit.Framework;

namespace CapiCiliumAddon.Rendering.Tests.Manifests;

public class RenderChecksTests
{
    private static IReadOnlyList<Problem> CheckText(string recording, string stdout, ExpectedRender? plan = null) =>
        RenderChecks.Check(Recordings.ParseText(stdout), plan ?? Recordings.BareMetalPlan(recording));

    [TestCaseSource(typeof(Recordings), nameof(Recordings.BareMetal))]
    public void Recorded_bare_metal_renders_pass(string recording)
    {
        Assert.That(RenderChecks.Check(Recordings.Parse(recording), Recordings.BareMetalPlan(recording)), Is.Empty);
    }

    [TestCaseSource(typeof(Recordings), nameof(Recordings.BareMetal))]
    public void Wrong_host_in_one_container_names_that_container(string recording)
    {
        var stdout = Recordings.MutateDocument(Recordings.Stdout(recording), "Deployment", "cilium-operator",
            d => d.Replace("value: \"10.250.250.29\"", "value: \"10.250.250.30\"", StringComparison.Ordinal));

        var problem = CheckText(recording, stdout).Single();

        Assert.That(problem.Severity, Is.EqualTo(ProblemSeverity.Error));
        Assert.That(problem.Subject, Is.EqualTo("Deployment kube-system/cilium-operator"));
        Assert.That(problem.Field, Is.EqualTo("spec.template.spec.containers[cilium-operator].env[KUBERNETES_SERVICE_HOST]"));
        Assert.That(problem.Message, Is.EqualTo("Expected \"10.250.250.29\", found \"10.250.250.30\"."));
    }

    [TestCase("baremetal-native-bgp-1.18", "initContainers[clean-cilium-state]", 2)]
    [TestCase("baremetal-native-bgp-1.17", "initContainers[config]", 1)]
    [TestCase("baremetal-native-bgp-1.20", "containers[cilium-agent]", 0)]
    public void Wrong_port_in_one_agent_container_names_that_container(string recording, string container, int occurrence)
    {
        var stdout = Recordings.MutateDocument(Recordings.Stdout(recording), "DaemonSet", "cilium", d =>
        {
            var matches = Regex.Matches(d, "KUBERNETES_SERVICE_PORT\n *value: \"6443\"");
            var m = matches[occurrence];
            return d[..m.Index] + m.Value.Replace("6443", "6444", StringComparison.Ordinal) + d[(m.Index + m.Length)..];
        });

        var problem = CheckText(recording, stdout).Single();

        Assert.That(problem.Subject, Is.EqualTo("DaemonSet kube-system/cilium"));
        Assert.That(problem.Field, Is.EqualTo($"spec.template.spec.{container}.env[KUBERNETES_SERVICE_PORT]"));
        Assert.That(problem.Message, Does.Contain("Expected \"6443\", found \"6444\""));
    }

    [Test]
    public void A_port_written_as_a_plain_number_is_not_the_text_Kubernetes_needs()
    {
        const string recording = "baremetal-native-bgp-1.18";
        var stdout = Recordings.MutateDocument(Recordings.Stdout(recording), "Deployment", "cilium-operator",
            d => d.Replace("value: \"6443\"", "value: 6443", StringComparison.Ordinal));

        var problem = CheckText(recording, stdout).Single();

        Assert.That(problem.Field, Is.EqualTo("spec.template.spec.containers[cilium-operator].env[KUBERNETES_SERVICE_PORT].value"));
        Assert.That(problem.Message, Does.StartWith("`6443` is a number, not text, to Kubernetes, and an env value must be a string: the API server refuses the Deployment"));
    }

    /// <summary>
    /// What a values file with <c>extraEnv: [{name: DEBUG, value: on}]</c> and <c>podLabels: {audit: yes}</c> renders:
    /// Helm reads both as booleans and the chart writes them as such, which the API server refuses.
    /// </summary>
    [Test]
    public void A_boolean_where_Kubernetes_needs_text_is_refused_naming_the_field()
    {
        const string recording = "baremetal-native-bgp-1.19";
        var stdout = Recordings.MutateDocument(Recordings.Stdout(recording), "Deployment", "cilium-operator", d => Regex.Replace(d,
            "(\n( *)- name: KUBERNETES_SERVICE_HOST\n)", "\n$2- name: DEBUG\n$2  value: true$1", RegexOptions.None, TimeSpan.FromSeconds(1)));
        stdout = Recordings.MutateDocument(stdout, "ConfigMap", "cilium-config",
            d => d.Replace("  routing-mode: \"native\"", "  routing-mode: \"native\"\n  enable-audit: no", StringComparison.Ordinal));

        var problems = CheckText(recording, stdout);

        Assert.That(problems.Select(p => (p.Subject, p.Field)), Is.EquivalentTo(new[]
        {
            ("Deployment kube-system/cilium-operator", "spec.template.spec.containers[cilium-operator].env[DEBUG].value"),
            ("ConfigMap kube-system/cilium-config", "data.enable-audit"),
        }));
        Assert.That(problems.Select(p => p.Message), Has.All.Contains("is a boolean, not text, to Kubernetes"));
    }

    [TestCaseSource(typeof(Recordings), nameof(Recordings.BareMetal))]
    public void Missing_env_in_envoy_is_an_error_naming_the_container(string recording)
    {
        var stdout = Recordings.MutateDocument(Recordings.Stdout(recording), "DaemonSet", "cilium-envoy",
            d => Regex.Replace(d, "\n *- name: KUBERNETES_SERVICE_HOST\n *value: \"[^\"]*\"", ""));

        var problem = CheckText(recording, stdout).Single();

        Assert.That(problem.Subject, Is.EqualTo("DaemonSet kube-system/cilium-envoy"));
        Assert.That(problem.Field, Is.EqualTo("spec.template.spec.containers[cilium-envoy].env[KUBERNETES_SERVICE_HOST]"));
        Assert.That(problem.Message, Does.StartWith("Missing: expected KUBERNETES_SERVICE_HOST=\"10.250.250.29\""));
    }

    [Test]
    public void Missing_container_is_an_error_naming_it()
    {
        var recording = "baremetal-native-bgp-1.18";
        var stdout = Recordings.MutateDocument(Recordings.Stdout(recording), "DaemonSet", "cilium",
            d => d.Replace("- name: clean-cilium-state", "- name: renamed-state", StringComparison.Ordinal));

        var problem = CheckText(recording, stdout).Single();

        Assert.That(problem.Field, Is.EqualTo("spec.template.spec.initContainers[clean-cilium-state]"));
        Assert.That(problem.Message, Does.Contain("'clean-cilium-state' is missing"));
    }

    [TestCaseSource(typeof(Recordings), nameof(Recordings.BareMetal))]
    public void Tunnel_routing_is_reported(string recording)
    {
        var stdout = Recordings.MutateDocument(Recordings.Stdout(recording), "ConfigMap", "cilium-config",
            d => d.Replace("routing-mode: \"native\"", "routing-mode: \"tunnel\"", StringComparison.Ordinal));

        var problem = CheckText(recording, stdout).Single();

        Assert.That(problem.Subject, Is.EqualTo("ConfigMap kube-system/cilium-config"));
        Assert.That(problem.Field, Is.EqualTo("data[routing-mode]"));
        Assert.That(problem.Message, Is.EqualTo("Expected \"native\", found \"tunnel\"."));
    }

    [TestCaseSource(typeof(Recordings), nameof(Recordings.BareMetal))]
    public void Wrong_image_tag_is_reported(string recording)
    {
        var version = Recordings.ChartVersion(recording);
        var stdout = Recordings.MutateDocument(Recordings.Stdout(recording), "Deployment", "cilium-operator",
            d => d.Replace($"operator-generic:v{version}@", "operator-generic:v1.16.0@", StringComparison.Ordinal));

        var problem = CheckText(recording, stdout).Single();

        Assert.That(problem.Subject, Is.EqualTo("Deployment kube-system/cilium-operator"));
        Assert.That(problem.Field, Is.EqualTo("spec.template.spec.containers[cilium-operator].image"));
        Assert.That(problem.Message, Does.StartWith($"Expected tag \"v{version}\" (the chart version), found \"v1.16.0\""));
    }

    [Test]
    public void Chart_version_other_than_the_plan_flags_every_agent_image()
    {
        var plan = Recordings.BareMetalPlan("baremetal-native-bgp-1.18") with { ChartVersion = "1.18.11" };

        var problems = RenderChecks.Check(Recordings.Parse("baremetal-native-bgp-1.18"), plan);

        Assert.That(problems.Select(p => p.Field), Does.Contain("spec.template.spec.containers[cilium-agent].image"));
        Assert.That(problems.Select(p => p.Field), Does.Contain("spec.template.spec.initContainers[config].image"));
        Assert.That(problems.Select(p => p.Field), Does.Contain("spec.template.spec.containers[cilium-operator].image"));
        Assert.That(problems.Select(p => p.Field), Has.None.Contains("cilium-envoy"));
    }

    [TestCaseSource(typeof(Recordings), nameof(Recordings.BareMetal))]
    public void Missing_agent_DaemonSet_is_reported(string recording)
    {
        var stdout = Recordings.MutateDocument(Recordings.Stdout(recording), "DaemonSet", "cilium",
            _ => "# Source: removed\n");

        var problem = CheckText(recording, stdout).Single();

        Assert.That(problem.Subject, Is.EqualTo("DaemonSet kube-system/cilium"));
        Assert.That(problem.Message, Does.Contain("no DaemonSet kube-system/cilium"));
    }

    [Test]
    public void Object_outside_the_allowed_namespaces_is_reported()
    {
        var recording = "baremetal-native-bgp-1.18";
        var stdout = Recordings.MutateDocument(Recordings.Stdout(recording), "Service", "hubble-peer",
            d => d.Replace("namespace: kube-system", "namespace: default", StringComparison.Ordinal));

        var problem = CheckText(recording, stdout).Single();

        Assert.That(problem.Subject, Is.EqualTo("Service default/hubble-peer"));
        Assert.That(problem.Field, Is.EqualTo("metadata.namespace"));
    }

    [Test]
    public void Minimal_render_fails_the_bare_metal_plan_on_datapath_values()
    {
        var problems = RenderChecks.Check(Recordings.Parse("minimal-1.18"), Recordings.BareMetalPlan("minimal-1.18"));

        Assert.That(problems.All(p => p.Subject == "ConfigMap kube-system/cilium-config"));
        Assert.That(problems.Select(p => p.Field), Is.SupersetOf(new[] { "data[routing-mode]", "data[ipam]", "data[kube-proxy-replacement]" }));
        Assert.That(problems.Single(p => p.Field == "data[ipam]").Message, Is.EqualTo("Expected \"kubernetes\", found \"cluster-pool\"."));
        Assert.That(problems.Single(p => p.Field == "data[kube-proxy-replacement]").Message, Is.EqualTo("Expected \"true\", found \"false\"."));
    }

    [Test]
    public void Expected_IPv6_native_routing_needs_ipv6_enabled_and_the_cidr()
    {
        var plan = Recordings.BareMetalPlan("baremetal-native-bgp-1.18") with { Ipv6NativeRoutingCidr = "fd00:10:244::/56" };

        var problems = RenderChecks.Check(Recordings.Parse("baremetal-native-bgp-1.18"), plan);

        Assert.That(problems.Select(p => p.Field), Is.EquivalentTo(new[] { "data[enable-ipv6]", "data[ipv6-native-routing-cidr]" }));
    }

    [Test]
    public void Wrong_cluster_name_and_cidr_are_reported()
    {
        var plan = Recordings.BareMetalPlan("baremetal-native-bgp-1.20") with { ClusterName = "capi-1", Ipv4NativeRoutingCidr = "10.0.0.0/8" };

        var problems = RenderChecks.Check(Recordings.Parse("baremetal-native-bgp-1.20"), plan);

        Assert.That(problems.Select(p => p.Field), Is.EquivalentTo(new[] { "data[cluster-name]", "data[ipv4-native-routing-cidr]" }));
        Assert.That(problems.Single(p => p.Field == "data[ipv4-native-routing-cidr]").Message, Is.EqualTo("Expected \"10.0.0.0/8\", found \"10.244.0.0/16\"."));
    }

    [TestCase("quay.io/cilium/cilium:v1.18.12@sha256:abc", "quay.io/cilium/cilium", "v1.18.12")]
    [TestCase("localhost:5000/cilium/cilium:v1.18.12", "localhost:5000/cilium/cilium", "v1.18.12")]
    [TestCase("localhost:5000/cilium/cilium@sha256:abc", "localhost:5000/cilium/cilium", null)]
    public void Splits_image_references(string image, string repository, string? tag)
    {
        Assert.That(RenderChecks.SplitImage(image), Is.EqualTo((repository, tag)));
    }
}
