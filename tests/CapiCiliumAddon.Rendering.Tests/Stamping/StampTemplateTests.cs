using CapiCiliumAddon.Rendering.Pipeline.Stamping;
using CapiCiliumAddon.Testing;

namespace CapiCiliumAddon.Rendering.Tests.Stamping;

/// <summary>The template checks on REAL recorded renders (tests/fixtures/cilium-cli), without the fake.</summary>
public class StampTemplateTests
{
    private static readonly Dictionary<string, string> NameOnly = new(StringComparer.Ordinal) { [StampableFacts.Name] = "name" };

    private static string Recording(string name) =>
        File.ReadAllText(Path.Combine(RepositoryPaths.Root, "tests", "fixtures", "cilium-cli", name, "stdout.yaml"));

    /// <summary>The recording as the chart would render it with the name placeholder (the name is "default" there).</summary>
    private static string WithNamePlaceholder(string recording)
    {
        var text = recording
            .Replace("cluster-name: \"default\"", $"cluster-name: \"{StampableFacts.PlaceholderName}\"", StringComparison.Ordinal)
            .Replace("cluster-name: default\n", $"cluster-name: {StampableFacts.PlaceholderName}\n", StringComparison.Ordinal)
            .Replace("\"*.default.hubble-grpc.cilium.io\"", $"\"*.{StampableFacts.PlaceholderName}.hubble-grpc.cilium.io\"", StringComparison.Ordinal);
        var job = System.Text.RegularExpressions.Regex.Match(text, "\n  name: (hubble-generate-certs-[0-9a-f]{10})\n").Groups[1].Value;
        return job.Length > 0
            ? text.Replace(job, StampTemplate.ContentHashName(text, job), StringComparison.Ordinal)
            : text;
    }

    [TestCase("baremetal-native-bgp-1.17")]
    [TestCase("baremetal-native-bgp-1.18")]
    [TestCase("baremetal-native-bgp-1.19")]
    [TestCase("baremetal-native-bgp-1.20")]
    public void StampingTheRecordedNameBackGivesTheRecordedRenderByteForByte(string recording)
    {
        var original = Recording(recording);
        var template = StampTemplate.Analyse(WithNamePlaceholder(original), NameOnly, out var whyNot);

        Assert.That(whyNot, Is.Null);
        Assert.That(template!.Stamp(new Dictionary<string, string> { [StampableFacts.Name] = "default" }), Is.EqualTo(original));
    }

    [TestCase("baremetal-native-bgp-1.19", "hubble-generate-certs-d23753c582")]
    [TestCase("baremetal-native-bgp-1.20", "hubble-generate-certs-db903e35d6")]
    public void TheJobNameIsTheSha256OfItsSpecAsTheChartComputesIt(string recording, string job) =>
        Assert.That(StampTemplate.ContentHashName(Recording(recording), job), Is.EqualTo(job));

    [Test]
    public void AHashNamedObjectWhoseHashIsNotItsSpecsIsNotStamped()
    {
        var text = WithNamePlaceholder(Recording("baremetal-native-bgp-1.20"));
        var job = text.Split('\n').Single(l => l.StartsWith("  name: hubble-generate-certs-", StringComparison.Ordinal))["  name: ".Length..];
        var template = StampTemplate.Analyse(text.Replace(job, "hubble-generate-certs-0123456789", StringComparison.Ordinal), NameOnly, out var whyNot);

        Assert.That(template, Is.Null);
        Assert.That(whyNot, Does.Contain("Job hubble-generate-certs-0123456789").And.Contain("not the sha256 of its spec"));
    }

    [Test]
    public void ANameOutsideItsPlacesIsRefused()
    {
        var text = WithNamePlaceholder(Recording("baremetal-native-bgp-1.18"))
            .Replace("  enable-policy: \"default\"", $"  enable-policy: \"{StampableFacts.PlaceholderName}\"", StringComparison.Ordinal);

        Assert.That(StampTemplate.Analyse(text, NameOnly, out var whyNot), Is.Null);
        Assert.That(whyNot, Does.StartWith("cluster.name: the placeholder is in an unexpected place").And.Contain("ConfigMap cilium-config"));
    }

    [Test]
    public void APartialNameIsRefused()
    {
        var text = WithNamePlaceholder(Recording("baremetal-native-bgp-1.18"))
            .Replace("  enable-policy: \"default\"", $"  enable-policy: \"{StampableFacts.PlaceholderName[..24]}\"", StringComparison.Ordinal);

        Assert.That(StampTemplate.Analyse(text, NameOnly, out var whyNot), Is.Null);
        Assert.That(whyNot, Does.StartWith("cluster.name: a partial or transformed placeholder"));
    }
}
