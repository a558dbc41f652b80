using CapiCiliumAddon.Rendering.Output;
using CapiCiliumAddon.Rendering.Release;
using CapiCiliumAddon.Rendering.Review;
using CapiCiliumAddon.Testing;

namespace CapiCiliumAddon.Rendering.Tests.Release;

public class TreeFreshnessTests
{
    private TempDirectory _temp = null!;

    [SetUp]
    public void SetUp() => _temp = new TempDirectory();

    [TearDown]
    public void TearDown() => _temp.Dispose();

    private static string ConfigMap(string name, string value) =>
        ManifestTree.Header + $"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: ns\ndata:\n  key: \"{value}\"\n";

    private void Write(string relative, string content)
    {
        var path = _temp.Combine(relative.Split('/'));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    [Test]
    public void ReportsStaleMissingAndOrphanedFilesPerCluster()
    {
        Write("ns/a/configmap-a.yaml", ConfigMap("a", "old"));
        Write("ns/a/extra.yaml", ConfigMap("x", "y"));
        Write("ns/gone/configmap-gone.yaml", ConfigMap("gone", "v"));
        Write("ns/users/readme.yaml", "# not ours\n");
        Write("ns/pending/configmap-pending.yaml", ConfigMap("pending", "v"));
        var expected = new ExpectedCluster("ns", "a", [new("configmap-a.yaml", ConfigMap("a", "new")), new("kustomization.yaml", ManifestTree.Header)]);

        var report = TreeFreshness.Check(_temp.Path, [expected], new HashSet<string> { "ns/pending" });

        var a = report.Clusters.Single();
        Assert.That(a.Findings.Select(f => (f.Kind, f.File)), Is.EqualTo(new[]
        {
            (FileFindingKind.Stale, "configmap-a.yaml"),
            (FileFindingKind.Missing, "kustomization.yaml"),
            (FileFindingKind.Orphaned, "extra.yaml"),
        }));
        Assert.That(a.Findings[0].Details, Is.EqualTo(new[] { "~ v1 ConfigMap ns/a: data.key: old → new" }));
        Assert.That(report.OrphanedFolders.Select(o => o.Key), Is.EqualTo(new[] { "ns/gone" }), "a folder without our files and a known but unrendered Cluster are not orphans");
        Assert.That(report.IsFresh, Is.False);
    }

    [Test]
    public void AFileEqualInBytesIsFresh()
    {
        Write("ns/a/configmap-a.yaml", ConfigMap("a", "v"));

        var report = TreeFreshness.Check(_temp.Path, [new ExpectedCluster("ns", "a", [new("configmap-a.yaml", ConfigMap("a", "v"))])], new HashSet<string>());

        Assert.That(report.IsFresh, Is.True);
    }

    [Test]
    public void ProvenanceNotesNameTheVersionsOnBothSides()
    {
        var notes = TreeFreshness.ProvenanceNotes(
        [
            new DiffHighlight(HighlightKind.Version, AddonKeys.CiliumCliVersionAnnotation, "v0.19.6", "v0.19.7"),
            new DiffHighlight(HighlightKind.Version, AddonKeys.ToolVersionAnnotation, "0.0.9", "0.1.0"),
        ], inputsChanged: true).ToList();

        Assert.That(notes[0], Is.EqualTo("committed files were rendered with cilium-cli v0.19.6, this run uses v0.19.7: re-render locally with the same CLI or update the files"));
        Assert.That(notes[1], Does.StartWith("committed files were rendered by capi-cilium 0.0.9, this run is 0.1.0"));
        Assert.That(notes, Has.Count.EqualTo(2), "changed inputs are only mentioned when no version explains the difference");
    }
}
