using System.Text;
using CapiCiliumAddon.Rendering.Manifests;
using CapiCiliumAddon.Testing;
using NUnit.Framework;

namespace CapiCiliumAddon.Rendering.Tests.Manifests;

public sealed class HelmOwnershipTests
{
    private static readonly HelmReleaseIdentity Release = HelmReleaseIdentity.Default;

    /// <summary>
    /// Every recorded chart version: each chart object's metadata block after the edit, inserted lines marked '+'.
    /// Everything else of every object stays byte for byte as the CLI printed it.
    /// </summary>
    [TestCase("baremetal-native-bgp-1.17")]
    [TestCase("baremetal-native-bgp-1.18")]
    [TestCase("baremetal-native-bgp-1.19")]
    [TestCase("baremetal-native-bgp-1.20")]
    public void EveryChartObjectGetsTheMetadataAsAPureInsertion(string recording)
    {
        var bare = HubbleCertificates.EnsureBootstrapJob(Recordings.Parse(recording), Recordings.ChartVersion(recording));

        var (owned, problems) = HelmOwnership.Apply(bare, Release);

        Assert.That(problems, Is.Empty);
        Assert.That(owned!.Objects.Select(o => o.Identity), Is.EqualTo(bare.Objects.Select(o => o.Identity)), "same objects, same order");
        Assert.That(HelmOwnership.Check(owned, Release), Is.Empty);
        var report = new StringBuilder();
        for (var i = 0; i < bare.Objects.Count; i++)
        {
            report.Append(MetadataEdit(bare.Objects[i], owned.Objects[i]));
        }

        Golden.AssertMatches(report.ToString(), $"helm-ownership-{Recordings.ChartVersion(recording)}.txt");
    }

    [TestCase("baremetal-native-bgp-1.17")]
    [TestCase("baremetal-native-bgp-1.18")]
    public void TheBootstrapJobWeAddStaysBare(string recording)
    {
        var bare = HubbleCertificates.EnsureBootstrapJob(Recordings.Parse(recording), Recordings.ChartVersion(recording));

        var owned = HelmOwnership.Apply(bare, Release).Manifest!;

        var job = owned.Find("Job", HubbleCertificates.BootstrapJobName)!;
        Assert.That(job.Origin, Is.EqualTo(ObjectOrigin.Generated));
        Assert.That(job.Text, Is.EqualTo(bare.Find("Job", HubbleCertificates.BootstrapJobName)!.Text));
        Assert.That(job.Text, Does.Not.Contain("meta.helm.sh").And.Not.Contain("managed-by"));
    }

    [Test]
    public void TheExplicitNullAnnotationsOfTheSecretsNamespaceAreFilled()
    {
        // Helm prints `annotations:` with nothing after it for Namespace cilium-secrets (an explicit YAML null).
        var owned = HelmOwnership.Apply(Recordings.Parse("baremetal-native-bgp-1.18"), Release).Manifest!;

        Assert.That(owned.Find("Namespace", "cilium-secrets")!.Text, Does.EndWith(
            "  labels:\n    app.kubernetes.io/part-of: cilium\n    app.kubernetes.io/managed-by: \"Helm\"\n" +
            "  annotations:\n    meta.helm.sh/release-name: \"cilium\"\n    meta.helm.sh/release-namespace: \"kube-system\"\n"));
    }

    [Test]
    public void TheReleaseNameAndNamespaceAreThoseGiven()
    {
        var owned = HelmOwnership.Apply(Recordings.Parse("baremetal-native-bgp-1.18"), new HelmReleaseIdentity("cni", "kube-system")).Manifest!;

        var agent = owned.Find("DaemonSet", "cilium")!.Root.GetMap("metadata");
        Assert.That(agent.GetMap("annotations").GetString(HelmOwnership.ReleaseNameAnnotation), Is.EqualTo("cni"));
        Assert.That(agent.GetMap("annotations").GetString(HelmOwnership.ReleaseNamespaceAnnotation), Is.EqualTo("kube-system"));
        Assert.That(agent.GetMap("labels").GetString(HelmOwnership.ManagedByLabel), Is.EqualTo("Helm"));
        Assert.That(agent.GetMap("labels").GetString("k8s-app"), Is.EqualTo("cilium"), "the chart's own labels are kept");
    }

    [Test]
    public void AChartLabelThatConflictsIsAnErrorNotAnOverwrite()
    {
        var stdout = Recordings.MutateDocument(Recordings.Stdout("baremetal-native-bgp-1.18"), "DaemonSet", "cilium",
            doc => doc.Replace("    app.kubernetes.io/part-of: cilium\n", "    app.kubernetes.io/part-of: cilium\n    app.kubernetes.io/managed-by: Tiller\n", StringComparison.Ordinal));

        var (owned, problems) = HelmOwnership.Apply(Recordings.ParseText(stdout), Release);

        Assert.That(owned, Is.Null, "nothing half-edited is returned");
        var problem = problems.Single();
        Assert.That((problem.Severity, problem.Subject, problem.Field), Is.EqualTo((ProblemSeverity.Error, "DaemonSet kube-system/cilium", "metadata.labels[app.kubernetes.io/managed-by]")));
        Assert.That(problem.Message, Does.Contain("\"Tiller\"").And.Contain("kube-system/cilium").And.Contain("does not overwrite"));
    }

    [Test]
    public void AnAnnotationNamingAnotherReleaseIsAnError()
    {
        var stdout = Recordings.MutateDocument(Recordings.Stdout("baremetal-native-bgp-1.18"), "Namespace", "cilium-secrets",
            doc => doc.Replace("  annotations:\n", "  annotations:\n    meta.helm.sh/release-name: other\n", StringComparison.Ordinal));

        var problems = HelmOwnership.Apply(Recordings.ParseText(stdout), Release).Problems;

        Assert.That(problems.Single().Field, Is.EqualTo("metadata.annotations[meta.helm.sh/release-name]"));
        Assert.That(problems.Single().Subject, Is.EqualTo("Namespace cilium-secrets"));
    }

    [Test]
    public void AValueTheChartAlreadyHasIsKeptOnceAndNotDuplicated()
    {
        var stdout = Recordings.MutateDocument(Recordings.Stdout("baremetal-native-bgp-1.18"), "ClusterRole", "cilium",
            doc => doc.Replace("    app.kubernetes.io/part-of: cilium\n", "    app.kubernetes.io/part-of: cilium\n    app.kubernetes.io/managed-by: Helm\n", StringComparison.Ordinal));

        var owned = HelmOwnership.Apply(Recordings.ParseText(stdout), Release).Manifest!;

        var text = owned.Find("ClusterRole", "cilium")!.Text;
        Assert.That(text.Split("app.kubernetes.io/managed-by").Length - 1, Is.EqualTo(1));
        Assert.That(text, Does.Contain("meta.helm.sh/release-name: \"cilium\""));
    }

    [TestCase("  annotations: {}\n", "  annotations:\n    meta.helm.sh/release-name: \"cilium\"\n")]
    [TestCase("  annotations: null\n", "  annotations:\n    meta.helm.sh/release-name: \"cilium\"\n")]
    [TestCase("  annotations:\n    note: |\n      two\n      lines\n", "  annotations:\n    note: |\n      two\n      lines\n    meta.helm.sh/release-name: \"cilium\"\n")]
    public void AnnotationsOfEveryLayoutAreFilledInPlace(string annotations, string expected)
    {
        var text = "---\n# Source: cilium/templates/x.yaml\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: x\n  namespace: kube-system\n" +
            annotations + "automountServiceAccountToken: false\n\n";

        var owned = HelmOwnership.Apply(Recordings.ParseText(text), Release).Manifest!;

        var edited = owned.Objects.Single().Text;
        Assert.That(edited, Does.Contain(expected));
        Assert.That(edited, Does.EndWith("  labels:\n    app.kubernetes.io/managed-by: \"Helm\"\nautomountServiceAccountToken: false\n"), "the missing labels block closes the metadata block");
    }

    [Test]
    public void AFlowMappingItCannotEditIsRefusedWithTheField()
    {
        var text = "---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: x\n  namespace: kube-system\n  labels: {a: b}\n\n";

        var (owned, problems) = HelmOwnership.Apply(Recordings.ParseText(text), Release);

        Assert.That(owned, Is.Null);
        Assert.That((problems.Single().Subject, problems.Single().Field), Is.EqualTo(("ServiceAccount kube-system/x", "metadata.labels")));
    }

    [Test]
    public void RenderChecksRequireTheMetadataOnChartObjectsAndRefuseItOnOurs()
    {
        var recording = "baremetal-native-bgp-1.18";
        var owned = HelmOwnership.Apply(HubbleCertificates.EnsureBootstrapJob(Recordings.Parse(recording), "1.18.12"), Release).Manifest!;
        var expected = Recordings.BareMetalPlan(recording) with { HelmRelease = Release };
        Assert.That(RenderChecks.Check(owned, expected), Is.Empty);

        var bare = HubbleCertificates.EnsureBootstrapJob(Recordings.Parse(recording), "1.18.12");
        var missing = RenderChecks.Check(bare, expected);
        Assert.That(missing, Has.Count.EqualTo(27 * 3), "three entries on each of the 27 chart objects");
        Assert.That(missing.Select(p => p.Subject), Does.Not.Contain("Job kube-system/hubble-generate-certs-bootstrap"));

        var job = owned.Find("Job", HubbleCertificates.BootstrapJobName)!;
        var claimed = HelmOwnership.Apply(new RenderedManifest(owned.Subject, [job with { Origin = ObjectOrigin.Chart }]), Release).Manifest!.Objects.Single() with { Origin = ObjectOrigin.Generated };
        var problems = RenderChecks.Check(new RenderedManifest(owned.Subject, owned.Objects.Select(o => o.Name == job.Name ? claimed : o).ToList()), expected);
        Assert.That(problems.Select(p => (p.Subject, p.Field)), Is.EquivalentTo(new[]
        {
            ("Job kube-system/hubble-generate-certs-bootstrap", "metadata.labels[app.kubernetes.io/managed-by]"),
            ("Job kube-system/hubble-generate-certs-bootstrap", "metadata.annotations[meta.helm.sh/release-name]"),
            ("Job kube-system/hubble-generate-certs-bootstrap", "metadata.annotations[meta.helm.sh/release-namespace]"),
        }));
        Assert.That(RenderChecks.Check(bare, Recordings.BareMetalPlan(recording)), Is.Empty, "switched off, the bare chart output passes");
    }

    /// <summary>
    /// The real `cilium install` over a render's objects without the metadata refused each of exactly these entries
    /// by name and value; over the same objects with them it adopted everything (its only complaint was the hook Job
    /// that cannot run on a server without nodes).
    /// </summary>
    [Test]
    public void TheEntriesAreExactlyWhatTheRealHelmInstallDemanded()
    {
        string Stderr(string recording) => File.ReadAllText(Path.Combine(RepositoryPaths.Fixtures, "cilium-cli", recording, "stderr.txt"));
        var refused = Stderr("install-over-crs-objects-1.18");
        var adopted = Stderr("install-over-owned-objects-1.18");

        Assert.That(refused, Does.Contain("invalid ownership metadata"));
        foreach (var (_, key, value) in HelmOwnership.Entries(HelmReleaseIdentity.Default))
        {
            Assert.That(refused, Does.Contain($"missing key \"{key}\": must be set to \"{value}\""));
        }

        Assert.That(System.Text.RegularExpressions.Regex.Matches(refused, "missing key").Count, Is.EqualTo(3), "nothing else is required");
        Assert.That(adopted, Does.Not.Contain("ownership").And.Contain("failed post-install: resource Job/kube-system/hubble-generate-certs not ready"));
    }

    [TestCase("cilium", true)]
    [TestCase("cni.v2", true)]
    [TestCase("Cilium", false)]
    [TestCase("-cilium", false)]
    [TestCase("cilium_1", false)]
    [TestCase("", false)]
    public void ReleaseNamesFollowHelmsRule(string name, bool valid) =>
        Assert.That(HelmReleaseIdentity.IsValidName(name), Is.EqualTo(valid));

    [Test]
    public void AReleaseNameLongerThanHelmAllowsIsRefused() =>
        Assert.That(HelmReleaseIdentity.IsValidName(new string('a', 54)), Is.False);

    /// <summary>The object's metadata block after the edit, inserted lines '+'; the rest of the text must be unchanged.</summary>
    private static string MetadataEdit(RenderedObject before, RenderedObject after)
    {
        var old = before.Text.Split('\n');
        var edited = after.Text.Split('\n');
        var inserted = new bool[edited.Length];
        var i = 0;
        for (var j = 0; j < edited.Length; j++)
        {
            if (i < old.Length && old[i] == edited[j])
            {
                i++;
            }
            else
            {
                inserted[j] = true;
            }
        }

        Assert.That(i, Is.EqualTo(old.Length), $"{before.Subject}: the original text is not kept line for line");
        var report = new StringBuilder($"{after.Subject} ({after.Origin})\n");
        if (!inserted.Any(x => x))
        {
            return report.Append("  (unchanged)\n").ToString();
        }

        var start = Array.IndexOf(edited, "metadata:");
        var end = Array.FindIndex(edited, start + 1, l => l.Length > 0 && l[0] != ' ');
        end = end < 0 ? edited.Length - 1 : end; // the text ends with '\n': its last element is empty
        for (var j = start; j < end; j++)
        {
            report.Append(inserted[j] ? "+ " : "  ").Append(edited[j]).Append('\n');
        }

        Assert.That(inserted.Select((x, j) => (x, j)).Where(p => p.x).All(p => p.j > start && p.j < end), Is.True, "only the metadata block grows");
        return report.ToString();
    }
}

public sealed class HelmOwnershipDiffTests
{
    [Test]
    public void DiffShowsTheOwnershipMetadataAsMetadataChangesOfEveryChartObject()
    {
        using var temp = new TempDirectory();
        var bare = HubbleCertificates.EnsureBootstrapJob(Recordings.Parse("baremetal-native-bgp-1.18"), "1.18.12");
        var owned = HelmOwnership.Apply(bare, HelmReleaseIdentity.Default).Manifest!;
        File.WriteAllText(temp.Combine("bare.yaml"), bare.ToText());
        File.WriteAllText(temp.Combine("owned.yaml"), owned.ToText());

        var diff = CapiCiliumAddon.Rendering.Review.ManifestDiffer.Compare(
            CapiCiliumAddon.Rendering.Tests.Review.ReviewFixtures.Load(temp.Combine("bare.yaml")),
            CapiCiliumAddon.Rendering.Tests.Review.ReviewFixtures.Load(temp.Combine("owned.yaml")));

        Assert.That((diff.Added.Count, diff.Removed.Count, diff.Changed.Count), Is.EqualTo((0, 0, 27)), "the bootstrap Job is unchanged");
        foreach (var change in diff.Changed)
        {
            Assert.That(change.Fields.Select(f => (f.Path, f.Kind, f.NewValue)), Is.EqualTo(new[]
            {
                ("metadata.annotations[meta.helm.sh/release-name]", CapiCiliumAddon.Rendering.Review.FieldChangeKind.Added, "cilium"),
                ("metadata.annotations[meta.helm.sh/release-namespace]", CapiCiliumAddon.Rendering.Review.FieldChangeKind.Added, "kube-system"),
                ("metadata.labels[app.kubernetes.io/managed-by]", CapiCiliumAddon.Rendering.Review.FieldChangeKind.Added, "Helm"),
            }), change.Identity.ToString());
        }
    }
}
