using CapiCiliumAddon.Rendering.Manifests;
using NUnit.Framework;

namespace CapiCiliumAddon.Rendering.Tests.Manifests;

public class RenderedManifestTests
{
    [TestCase("baremetal-native-bgp-1.17", 27)]
    [TestCase("baremetal-native-bgp-1.18", 27)]
    [TestCase("baremetal-native-bgp-1.19", 30)]
    [TestCase("baremetal-native-bgp-1.20", 30)]
    [TestCase("minimal-1.18", 23)]
    [TestCase("default-hubble-1.18", 25)]
    public void Parses_every_recording_into_its_objects_in_CLI_order(string recording, int count)
    {
        var manifest = Recordings.Parse(recording);

        Assert.That(manifest.Objects, Has.Count.EqualTo(count));
        Assert.That(manifest.Subject, Is.EqualTo(Recordings.Subject));
        Assert.That(manifest.Objects[0].Subject, Is.EqualTo("Namespace cilium-secrets"));
        Assert.That(manifest.Find("DaemonSet", "cilium", "kube-system"), Is.Not.Null);
        foreach (var o in manifest.Objects)
        {
            Assert.That(o.Text, Does.StartWith("# Source: cilium/templates/"), o.Subject);
            Assert.That(o.Text, Does.EndWith("\n").And.Not.EndWith("\n\n"), o.Subject);
            Assert.That(o.Text, Does.Not.Contain("\n---\n"), o.Subject);
            Assert.That(o.Origin, Is.EqualTo(ObjectOrigin.Chart));
        }
    }

    [TestCaseSource(typeof(Recordings), nameof(Recordings.BareMetal))]
    public void Keeps_the_original_text_line_for_line(string recording)
    {
        var stdout = Recordings.Stdout(recording);
        var manifest = Recordings.ParseText(stdout);

        static string[] NonBlank(string s) => s.Split('\n').Where(l => l.Trim().Length > 0).ToArray();
        Assert.That(NonBlank(manifest.ToText()), Is.EqualTo(NonBlank(stdout)));
        // Lines with trailing spaces inside block scalars survive untouched.
        Assert.That(manifest.ToText(), Does.Contain("\n                    \n"));
    }

    [Test]
    public void Normalises_CRLF_and_missing_leading_separator()
    {
        var stdout = Recordings.Stdout("baremetal-native-bgp-1.18");
        var lf = Recordings.ParseText(stdout);
        var crlf = Recordings.ParseText(stdout.Replace("\n", "\r\n", StringComparison.Ordinal));
        var noLeading = Recordings.ParseText(stdout["---\n".Length..]);

        Assert.That(crlf.ToText(), Is.EqualTo(lf.ToText()));
        Assert.That(noLeading.ToText(), Is.EqualTo(lf.ToText()));
    }

    [Test]
    public void Reads_explicit_nulls_and_unquoted_scalars_of_1_17()
    {
        var manifest = Recordings.Parse("baremetal-native-bgp-1.17");
        var config = manifest.Find("ConfigMap", "cilium-config")!;
        Assert.That(config.Root.GetMap("data").GetString("cluster-name"), Is.EqualTo("default"));
        var envoy = manifest.Find("DaemonSet", "cilium-envoy")!;
        Assert.That(envoy.Root.GetPath("spec", "template", "metadata").GetString("annotations"), Is.Null);
    }

    [TestCase("")]
    [TestCase("   \n\n")]
    public void Empty_output_is_a_problem(string stdout)
    {
        var result = RenderedManifest.Parse(stdout, Recordings.Subject);

        Assert.That(result.Succeeded, Is.False);
        Assert.That(result.Problems.Single().Message, Does.Contain("empty output"));
        Assert.That(result.Problems.Single().Subject, Is.EqualTo(Recordings.Subject));
    }

    [TestCase("Error: Unable to install Cilium: boom\n", "Not valid YAML")]
    [TestCase("Unable to install Cilium\n", "not a mapping")]
    // Control characters are rejected either by the YAML parser or, when it reads them as a scalar, as "not a mapping".
    [TestCase("\u0001\u0002binary\n", "Not valid YAML|not a mapping")]
    [TestCase("---\n- a\n- b\n", "not a mapping")]
    [TestCase("---\nkey: [unclosed\n", "Not valid YAML")]
    [TestCase("---\na: b\n c: d: e\n", "Not valid YAML")]
    [TestCase("---\n# only a comment\n", "no Kubernetes objects")]
    [TestCase("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  namespace: x\n", "missing metadata.name")]
    [TestCase("---\napiVersion: v1\nmetadata:\n  name: x\n", "missing kind")]
    [TestCase("---\nkind: ConfigMap\nmetadata:\n  name: x\n", "missing apiVersion")]
    public void Garbage_is_a_problem(string stdout, string message)
    {
        var result = RenderedManifest.Parse(stdout, Recordings.Subject);

        Assert.That(result.Succeeded, Is.False);
        Assert.That(result.Problems.Select(p => p.Message), Has.Some.Match(message));
        Assert.That(result.Problems.Any(p => p.Severity == ProblemSeverity.Error));
    }

    [Test]
    public void Output_cut_mid_line_is_reported_as_truncated()
    {
        var stdout = Recordings.Stdout("baremetal-native-bgp-1.18");
        var cut = stdout[..(stdout.IndexOf("kind: DaemonSet", StringComparison.Ordinal) + 200)];

        var result = RenderedManifest.Parse(cut, Recordings.Subject);

        Assert.That(result.Succeeded, Is.False);
        Assert.That(result.Problems.Select(p => p.Message), Has.Some.Contains("truncated"));
    }

    [Test]
    public void Output_cut_inside_a_flow_collection_is_unparsable()
    {
        var result = RenderedManifest.Parse("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata: {a: \"b\n", Recordings.Subject);

        Assert.That(result.Succeeded, Is.False);
        Assert.That(result.Problems.Select(p => p.Field), Has.Some.StartsWith("document 1"));
    }

    [Test]
    public void Replacement_characters_mean_the_bytes_were_not_UTF8()
    {
        var stdout = Recordings.Stdout("baremetal-native-bgp-1.18").Replace("cilium-secrets\"", "cilium-secr\uFFFDts\"", StringComparison.Ordinal);

        var result = RenderedManifest.Parse(stdout, Recordings.Subject);

        Assert.That(result.Succeeded, Is.False);
        Assert.That(result.Problems.Select(p => p.Message), Has.Some.Contains("not valid UTF-8"));
        Assert.That(result.Problems.Select(p => p.Field), Has.Some.EqualTo("stdout line 6"));
    }

    [Test]
    public void Duplicate_objects_are_a_problem()
    {
        var stdout = Recordings.Stdout("baremetal-native-bgp-1.18");
        var firstSa = "---\n# Source: cilium/templates/cilium-agent/serviceaccount.yaml\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: \"cilium\"\n  namespace: kube-system\n";

        var result = RenderedManifest.Parse(stdout + firstSa, Recordings.Subject);

        Assert.That(result.Succeeded, Is.False);
        var problem = result.Problems.Single(p => p.Severity == ProblemSeverity.Error);
        Assert.That(problem.Subject, Is.EqualTo("ServiceAccount kube-system/cilium"));
        Assert.That(problem.Message, Does.Contain("Duplicate object: documents 2 and 28"));
    }

    [Test]
    public void Same_name_in_another_namespace_or_kind_is_not_a_duplicate()
    {
        var manifest = Recordings.Parse("baremetal-native-bgp-1.18");
        Assert.That(manifest.Objects.Count(o => o.Name == "cilium-tlsinterception-secrets"), Is.EqualTo(2));
    }

    [Test]
    public void Output_cut_at_a_line_boundary_parses_with_a_warning()
    {
        var stdout = Recordings.Stdout("baremetal-native-bgp-1.18");
        const string cronJobHead = "kind: CronJob\nmetadata:\n  name: hubble-generate-certs\n";
        var cut = stdout[..(stdout.IndexOf(cronJobHead, StringComparison.Ordinal) + cronJobHead.Length)];

        var result = RenderedManifest.Parse(cut, Recordings.Subject);

        Assert.That(result.Succeeded, Is.True);
        Assert.That(result.Problems.Single().Severity, Is.EqualTo(ProblemSeverity.Warning));
        Assert.That(result.Problems.Single().Message, Does.Contain("cut at a line boundary"));
    }
}
