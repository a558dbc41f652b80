using System.Runtime.CompilerServices;
using System.Text;
using CapiCiliumAddon.Rendering.Clusters;
using CapiCiliumAddon.Rendering.Labelling;
using CapiCiliumAddon.Rendering.Yaml;
using CapiCiliumAddon.Testing;

namespace CapiCiliumAddon.Rendering.Tests.Labelling;

/// <summary>
/// The selector label added in place: each file of <c>cases/</c> is labelled and compared with
/// <c>golden/&lt;case&gt;.after.yaml</c>; the files of <c>cases/unsafe/</c> are refused and stay byte for byte as they were.
/// </summary>
public class SelectorLabellerTests
{
    private static string Cases([CallerFilePath] string source = "") => Path.Combine(Path.GetDirectoryName(source)!, "cases");

    private static byte[] Case(string name) => File.ReadAllBytes(Path.Combine(Cases(), name));

    private static LabelledFile Label(string name, byte[] bytes, params string[] clusters) =>
        SelectorLabeller.Plan(name, bytes, clusters.Length == 0 ? LabelSelection.CiliumClusters : new LabelSelection(clusters.ToHashSet(StringComparer.Ordinal)));

    private static string EditedText(LabelledFile file)
    {
        Assert.That(file.Problems.Where(p => p.Severity == ProblemSeverity.Error), Is.Empty);
        Assert.That(file.Edited, Is.Not.Null, "the file gets an edit");
        return Encoding.UTF8.GetString(file.Edited!);
    }

    [TestCase("several-clusters.yaml")]
    [TestCase("comments-between-keys.yaml")]
    [TestCase("multi-line-last-label.yaml")]
    [TestCase("flow-labels.yaml")]
    [TestCase("no-final-newline.yaml")]
    public void LabelsTheCiliumClustersAsTheSmallestTextEdit(string name)
    {
        var file = Label(name, Case(name));

        Golden.AssertMatches(EditedText(file), Path.ChangeExtension(name, ".after.yaml"));
    }

    [Test]
    public void TheEditOnlyInsertsLines()
    {
        foreach (var name in new[] { "several-clusters.yaml", "comments-between-keys.yaml", "multi-line-last-label.yaml", "no-final-newline.yaml" })
        {
            var before = Encoding.UTF8.GetString(Case(name)).Split('\n');
            var after = EditedText(Label(name, Case(name))).Split('\n');

            var removed = before.Except(after).ToList();
            var added = after.Except(before).ToList();
            Assert.That(removed, Is.Empty, name);
            Assert.That(added, Has.All.Contain("addon.capi-cilium.io/cluster-name: "), name);
        }
    }

    [Test]
    public void SeveralClustersInOneFileAreEachLabelledAndTheirNeighboursLeftAlone()
    {
        var file = Label("several-clusters.yaml", Case("several-clusters.yaml"));

        Assert.That(file.Labelled, Is.EqualTo(new[] { "metal3/site-a-prod", "metal3-edge/1024" }));
        Assert.That(file.AlreadyLabelled, Is.EqualTo(new[] { "metal3/site-a-dev" }));
        Assert.That(file.Selected, Has.Count.EqualTo(3), "calico and the Metal3Cluster are not selected, even with a cni label");
    }

    [Test]
    public void CrlfFilesKeepTheirLineEndings()
    {
        foreach (var name in new[] { "several-clusters.yaml", "comments-between-keys.yaml", "multi-line-last-label.yaml", "no-final-newline.yaml" })
        {
            var crlf = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Case(name)).Replace("\n", "\r\n", StringComparison.Ordinal));
            var lf = EditedText(Label(name, Case(name)));

            var edited = EditedText(Label(name, crlf));

            Assert.That(edited, Is.EqualTo(lf.Replace("\n", "\r\n", StringComparison.Ordinal)), name);
        }
    }

    [Test]
    public void AByteOrderMarkStaysInFront()
    {
        byte[] withBom = [0xEF, 0xBB, 0xBF, .. Case("comments-between-keys.yaml")];

        var file = Label("comments-between-keys.yaml", withBom);

        Assert.That(file.Edited![..3], Is.EqualTo(new byte[] { 0xEF, 0xBB, 0xBF }));
        Assert.That(file.Edited[3..], Is.EqualTo(Label("comments-between-keys.yaml", Case("comments-between-keys.yaml")).Edited));
    }

    [Test]
    public void NamedClustersWithoutALabelsMapGetOneUnderMetadataWithTheRightIndentation()
    {
        var file = Label("no-labels-map.yaml", Case("no-labels-map.yaml"), "metal3/site-f", "metal3/site-g", "metal3/site-h", "metal3/site-i");

        Assert.That(file.Labelled, Is.EqualTo(new[] { "metal3/site-f", "metal3/site-g", "metal3/site-h", "metal3/site-i" }));
        Golden.AssertMatches(EditedText(file), "no-labels-map.after.yaml");
    }

    [Test]
    public void WithoutNamesOnlyClustersLabelledCniCiliumAreTouched()
    {
        var file = Label("no-labels-map.yaml", Case("no-labels-map.yaml"));

        Assert.That(file.Selected, Is.Empty);
        Assert.That(file.Edited, Is.Null);
    }

    [Test]
    public void LabelledFilesReadBackAsTheSameClustersWithTheSelectorLabel()
    {
        foreach (var name in new[] { "several-clusters.yaml", "comments-between-keys.yaml", "multi-line-last-label.yaml", "flow-labels.yaml", "no-final-newline.yaml" })
        {
            var edited = EditedText(Label(name, Case(name)));

            foreach (var document in YamlDocuments.Parse(edited, name).Where(d => ClusterReader.IsCluster(d.Content)))
            {
                var facts = ClusterReader.Read((System.Text.Json.Nodes.JsonObject)document.Content!).Facts!;
                if (facts.Labels.GetValueOrDefault("cni") == "cilium")
                {
                    Assert.That(ClusterFileSet.CheckSelectorLabel(facts, document.Location), Is.Null, $"{name}: {facts.Key}");
                }
            }
        }
    }

    [TestCase("multi-line-flow-labels.yaml", "metal3/site-a: metadata.labels: is a flow map ({...}) over several lines, which cannot be extended without reformatting it")]
    [TestCase("anchored-labels.yaml", "metal3/site-a: metadata.labels: carries the anchor &site-labels or is an alias of it: an edit here would change every place that uses it")]
    [TestCase("aliased-labels.yaml", "metal3/site-b: metadata.labels: carries the anchor &common or is an alias of it")]
    [TestCase("cluster.json", "metal3/site-c: metadata.labels: cluster.json is JSON, which this command does not edit")]
    [TestCase("wrong-selector-value.yaml", "metal3/site-e: metadata.labels[addon.capi-cilium.io/cluster-name]: is \"site-d\", not 'site-e': that would make another Cluster's ClusterResourceSet select this one")]
    public void UnsafeShapesAreRefusedAndTheWholeFileLeftAsItWas(string name, string message)
    {
        var file = Label(name, Case(Path.Combine("unsafe", name)));

        Assert.That(file.IsRefused);
        Assert.That(file.Edited, Is.Null, "nothing to write");
        Assert.That(file.Labelled, Is.Empty, "not even the Clusters that could be labelled, in the same file");
        var error = file.Problems.Single(p => p.Severity == ProblemSeverity.Error);
        Assert.That(error.ToString(), Does.StartWith(message));
        Assert.That(error.Message, Does.Contain($"(in {name}#"), "names the file");
        Assert.That(error.Fix, Does.Contain("by hand"));
    }

    [Test]
    public void ANamedClusterOfAnotherCniIsNotMovedToCilium()
    {
        var file = Label("several-clusters.yaml", Case("several-clusters.yaml"), "metal3/site-a-legacy");

        Assert.That(file.Problems.Single().ToString(), Does.StartWith("metal3/site-a-legacy: metadata.labels[cni]: is \"calico\": this command does not move a Cluster to another CNI"));
        Assert.That(file.Edited, Is.Null);
    }

    [Test]
    public void AnUnreadableFileIsRefusedWithTheReadersReason()
    {
        var file = Label("broken.yaml", Encoding.UTF8.GetBytes("apiVersion: cluster.x-k8s.io/v1beta2\nkind: Cluster\nkind: Cluster\n"));

        Assert.That(file.Problems.Single().ToString(), Does.StartWith("broken.yaml: (file): line 3").And.Contain("duplicate key 'kind'"));
    }

    [Test]
    public void NameValuesThatYamlWouldReadAsOtherTypesAreQuoted()
    {
        Assert.That(SelectorLabeller.ScalarText("site-a"), Is.EqualTo("site-a"));
        Assert.That(SelectorLabeller.ScalarText("1024"), Is.EqualTo("\"1024\""));
        Assert.That(SelectorLabeller.ScalarText("1e3"), Is.EqualTo("\"1e3\""));
        Assert.That(SelectorLabeller.ScalarText("yes"), Is.EqualTo("\"yes\""));
        Assert.That(SelectorLabeller.ScalarText("null"), Is.EqualTo("\"null\""));
    }
}
