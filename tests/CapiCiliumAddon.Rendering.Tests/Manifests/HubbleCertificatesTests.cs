using System.Text.Json.Nodes;
using CapiCiliumAddon.Rendering.Manifests;
using CapiCiliumAddon.Rendering.Yaml;
using NUnit.Framework;

namespace CapiCiliumAddon.Rendering.Tests.Manifests;

public class HubbleCertificatesTests
{
    [TestCase("baremetal-native-bgp-1.17")]
    [TestCase("baremetal-native-bgp-1.18")]
    public void Adds_the_bootstrap_Job_right_after_the_CronJob_on_charts_before_1_19(string recording)
    {
        var manifest = Recordings.Parse(recording);

        var result = HubbleCertificates.EnsureBootstrapJob(manifest, Recordings.ChartVersion(recording));

        Assert.That(result.Objects, Has.Count.EqualTo(manifest.Objects.Count + 1));
        var cronJobAt = result.Objects.ToList().FindIndex(o => o.Kind == "CronJob");
        var job = result.Objects[cronJobAt + 1];
        Assert.That(job.Subject, Is.EqualTo("Job kube-system/hubble-generate-certs-bootstrap"));
        Assert.That(job.Origin, Is.EqualTo(ObjectOrigin.Generated));
        Assert.That(job.Text, Does.StartWith("# Source: capi-cilium-addon, generated from CronJob kube-system/hubble-generate-certs"));
        Assert.That(result.Objects.Except([job]), Is.EqualTo(manifest.Objects), "chart objects untouched, order kept");

        // The Job's spec is the CronJob's job template spec, value for value.
        var cronJob = result.Objects[cronJobAt];
        Assert.That(JsonNode.DeepEquals(
            YamlJson.ToJson(job.Root.GetMap("spec")!),
            YamlJson.ToJson(cronJob.Root.GetPath("spec", "jobTemplate", "spec")!)), Is.True);
        Assert.That(job.Root.GetPath("metadata", "labels").GetString("k8s-app"), Is.EqualTo("hubble-generate-certs"));

        CapiCiliumAddon.Testing.Golden.AssertMatches(job.Text, $"hubble-bootstrap-job-{Recordings.ChartVersion(recording)}.yaml");

        // The result still parses as a manifest and passes the render checks.
        var reparsed = Recordings.ParseText(result.ToText() + "\n");
        Assert.That(reparsed.Objects.Select(o => o.Text), Is.EqualTo(result.Objects.Select(o => o.Text)));
        Assert.That(RenderChecks.Check(result, Recordings.BareMetalPlan(recording)), Is.Empty);
    }

    [Test]
    public void Is_idempotent()
    {
        var once = HubbleCertificates.EnsureBootstrapJob(Recordings.Parse("baremetal-native-bgp-1.18"), "1.18.12");
        Assert.That(HubbleCertificates.EnsureBootstrapJob(once, "1.18.12"), Is.SameAs(once));
    }

    [Test]
    public void Leaves_1_20_alone_because_its_Job_is_an_ordinary_object()
    {
        var manifest = Recordings.Parse("baremetal-native-bgp-1.20");
        Assert.That(manifest.Find("Job", "hubble-generate-certs-db903e35d6"), Is.Not.Null);

        Assert.That(HubbleCertificates.EnsureBootstrapJob(manifest, "1.20.0"), Is.SameAs(manifest));
    }

    [Test]
    public void Leaves_a_render_without_the_CronJob_alone()
    {
        var manifest = Recordings.Parse("default-hubble-1.18");
        Assert.That(HubbleCertificates.EnsureBootstrapJob(manifest, "1.18.12"), Is.SameAs(manifest));
    }

    [Test]
    public void Finds_the_Secrets_with_private_keys_of_the_helm_method()
    {
        var found = HubbleCertificates.SecretsWithPrivateKeys(Recordings.Parse("default-hubble-1.18"));

        Assert.That(found.Select(f => f.Secret.Subject), Is.EqualTo(new[] { "Secret kube-system/cilium-ca", "Secret kube-system/hubble-server-certs" }));
        Assert.That(found[0].PrivateKeyFields, Is.EqualTo(new[] { "data[ca.key]" }));
        Assert.That(found[1].PrivateKeyFields, Is.EqualTo(new[] { "data[tls.key]" }));
    }

    [TestCaseSource(typeof(Recordings), nameof(Recordings.BareMetal))]
    public void Finds_no_Secrets_in_cronJob_renders(string recording)
    {
        Assert.That(HubbleCertificates.SecretsWithPrivateKeys(Recordings.Parse(recording)), Is.Empty);
    }
}
