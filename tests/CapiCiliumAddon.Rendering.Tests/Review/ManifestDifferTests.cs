using NUnit.Framework;
using System.Text.RegularExpressions;
using CapiCiliumAddon.Rendering.Review;
using YamlDotNet.RepresentationModel;

namespace CapiCiliumAddon.Rendering.Tests.Review;

[TestFixture]
public sealed class ManifestDifferTests
{
    private string _temp = "";

    [SetUp]
    public void CreateTemp() => _temp = Directory.CreateTempSubdirectory("review-tests-").FullName;

    [TearDown]
    public void DeleteTemp() => Directory.Delete(_temp, recursive: true);

    private string Write(string relative, string content)
    {
        var path = Path.Combine(_temp, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    private static ManifestDiff Diff(string oldPath, string newPath) =>
        ManifestDiffer.Compare(ReviewFixtures.Load(oldPath), ReviewFixtures.Load(newPath));

    [TestCase("baremetal-native-bgp-1.17", "baremetal-native-bgp-1.18")]
    [TestCase("baremetal-native-bgp-1.18", "baremetal-native-bgp-1.20")]
    [TestCase("baremetal-native-bgp-1.17", "baremetal-native-bgp-1.20")]
    public void Acceptance_NamesEveryChangedImageAndConfigKeyAndNoQuotingChange(string oldCase, string newCase)
    {
        var oldRender = ReviewFixtures.Recording(oldCase);
        var newRender = ReviewFixtures.Recording(newCase);

        var diff = Diff(oldRender, newRender);

        // Images, found independently by a regex over the raw text.
        var oldImages = ImageLines(oldRender);
        var newImages = ImageLines(newRender);
        var changedRepositories = oldImages.Keys.Union(newImages.Keys)
            .Where(repo => !oldImages.GetValueOrDefault(repo, []).SetEquals(newImages.GetValueOrDefault(repo, [])))
            .Order(StringComparer.Ordinal).ToList();
        Assert.That(changedRepositories, Is.Not.Empty);
        var imageHighlights = diff.Highlights.Where(h => h.Kind == HighlightKind.Image).ToList();
        Assert.That(imageHighlights.Select(h => h.Subject), Is.EqualTo(changedRepositories));
        foreach (var h in imageHighlights)
        {
            Assert.That(h.NewValue.Split(", "), Is.EquivalentTo(newImages[h.Subject].Select(i => i[(h.Subject.Length + 1)..])));
        }

        // cilium-config keys, found independently by deserialising both data maps.
        var oldConfig = CiliumConfigData(oldRender);
        var newConfig = CiliumConfigData(newRender);
        var expectedKeys = oldConfig.Keys.Union(newConfig.Keys)
            .Where(k => oldConfig.GetValueOrDefault(k) != newConfig.GetValueOrDefault(k))
            .Select(k => Regex.IsMatch(k, "^[A-Za-z_][A-Za-z0-9_-]*$") ? "data." + k : $"data[{k}]")
            .Order(StringComparer.Ordinal).ToList();
        var configChange = diff.Changed.Single(c => c.Identity.Kind == "ConfigMap" && c.Identity.Name == "cilium-config");
        Assert.That(configChange.Fields.Select(f => f.Path).Distinct().Order(StringComparer.Ordinal), Is.EqualTo(expectedKeys));
        Assert.That(configChange.Fields.Select(f => f.Path), Does.Not.Contain("data.cluster-name"), "quoting only: default vs \"default\"");

        // Nothing reported is a change of form only.
        foreach (var field in diff.Changed.SelectMany(c => c.Fields))
        {
            Assert.That(field.OldValue, Is.Not.EqualTo(field.NewValue), field.Path);
        }
    }

    private static Dictionary<string, HashSet<string>> ImageLines(string render) =>
        Regex.Matches(File.ReadAllText(render), "image: \"?([^\"\\s]+)\"?")
            .Select(m => m.Groups[1].Value)
            .GroupBy(image => image[..image.LastIndexOf(':', image.Contains('@') ? image.IndexOf('@') : image.Length - 1)])
            .ToDictionary(g => g.Key, g => g.ToHashSet());

    private static Dictionary<string, string> CiliumConfigData(string render)
    {
        var document = ReviewFixtures.Documents(render).Single(d => d.Contains("kind: ConfigMap") && d.Contains("name: cilium-config\n"));
        var stream = new YamlStream();
        stream.Load(new StringReader(document));
        var data = (YamlMappingNode)((YamlMappingNode)stream.Documents[0].RootNode)["data"];
        return data.Children.ToDictionary(e => ((YamlScalarNode)e.Key).Value!, e => ((YamlScalarNode)e.Value).Value ?? "");
    }

    [Test]
    public void Highlights_OneLinePerImageRepository_DeduplicatedAcrossContainers()
    {
        var diff = Diff(ReviewFixtures.Recording("baremetal-native-bgp-1.17"), ReviewFixtures.Recording("baremetal-native-bgp-1.18"));

        var cilium = diff.Highlights.Single(h => h.Subject == "quay.io/cilium/cilium");
        Assert.That(cilium.OldValue, Is.EqualTo("v1.17.18@sha256:2f2c611db8de2f9c4846ee80fa3371617218dcd0cce42cf0d7d40b4d06458a23"));
        Assert.That(cilium.NewValue, Is.EqualTo("v1.18.12@sha256:94149589d9b77fe3a78f900121b36fab51b1ede0c4190924e2328facc37de210"));
        var agent = diff.Changed.Single(c => c.Identity.Kind == "DaemonSet" && c.Identity.Name == "cilium");
        Assert.That(agent.Fields.Select(f => f.Path), Does.Contain("spec.template.spec.containers[name=cilium-agent].image"));
    }

    [Test]
    public void IdenticalInputs_NoDifferences()
    {
        var render = ReviewFixtures.Recording("baremetal-native-bgp-1.18");
        var diff = Diff(render, render);
        Assert.That(diff.HasDifferences, Is.False);
        Assert.That(diff.Highlights, Is.Empty);
    }

    [Test]
    public void WrappedRender_DiffsTheSameEmbeddedObjectsAsTheRawRender()
    {
        var raw17 = ReviewFixtures.Recording("baremetal-native-bgp-1.17");
        var raw18 = ReviewFixtures.Recording("baremetal-native-bgp-1.18");
        var wrapped17 = Write("old/metal3/capi-1/configmap.yaml", ReviewFixtures.WrapInConfigMap(raw17, "capi-1-cilium", "1.17.18", "sha256:aaaa"));
        var wrapped18 = Write("new/metal3/capi-1/configmap.yaml", ReviewFixtures.WrapInConfigMap(raw18, "capi-1-cilium", "1.18.12", "sha256:bbbb"));

        var rawDiff = Diff(raw17, raw18);
        var wrappedDiff = Diff(Path.Combine(_temp, "old"), Path.Combine(_temp, "new"));

        var wrapper = new ObjectIdentity("v1", "ConfigMap", "metal3", "capi-1-cilium");
        var embedded = wrappedDiff.Changed.Where(c => c.Identity != wrapper).ToList();
        Assert.That(embedded.Select(c => c.Identity.Scope).Distinct(), Is.EqualTo(new[] { "v1 ConfigMap metal3/capi-1-cilium" }));
        Assert.That(embedded.Select(c => c.Identity.Unscoped), Is.EqualTo(rawDiff.Changed.Select(c => c.Identity)));
        Assert.That(embedded.Select(c => c.Fields), Is.EqualTo(rawDiff.Changed.Select(c => c.Fields)));
        Assert.That(wrappedDiff.Added, Is.Empty);
        Assert.That(wrappedDiff.Removed, Is.Empty);

        // The wrapper itself: its annotations, not its (expanded) data keys.
        var wrapperChange = wrappedDiff.Changed.Single(c => c.Identity == wrapper);
        Assert.That(wrapperChange.Fields, Is.EqualTo(new[]
        {
            new FieldChange("metadata.annotations[addon.capi-cilium.io/chart-version]", FieldChangeKind.Modified, "1.17.18", "1.18.12"),
            new FieldChange("metadata.annotations[addon.capi-cilium.io/cilium-version]", FieldChangeKind.Modified, "1.17.18", "1.18.12"),
            new FieldChange("metadata.annotations[addon.capi-cilium.io/input-hash]", FieldChangeKind.Modified, "sha256:aaaa", "sha256:bbbb"),
        }));
        Assert.That(wrappedDiff.Highlights.Select(h => h.Subject), Does.Contain("addon.capi-cilium.io/cilium-version"));
        Assert.That(wrappedDiff.Highlights.Where(h => h.Kind == HighlightKind.Image), Is.EqualTo(rawDiff.Highlights.Where(h => h.Kind == HighlightKind.Image)));
    }

    [Test]
    public void WrappedRender_ReportsRenamedDataKeysButNotTheirContent()
    {
        var raw18 = ReviewFixtures.Recording("baremetal-native-bgp-1.18");
        var raw20 = ReviewFixtures.Recording("baremetal-native-bgp-1.20");
        var old = Write("old.yaml", ReviewFixtures.WrapInConfigMap(raw18, "capi-1-cilium", "1.18.12", "h"));
        var @new = Write("new.yaml", ReviewFixtures.WrapInConfigMap(raw20, "capi-1-cilium", "1.20.0", "h"));

        var wrapperChange = Diff(old, @new).Changed.Single(c => c.Identity.Name == "capi-1-cilium");

        var dataFields = wrapperChange.Fields.Where(f => f.Path.StartsWith("data", StringComparison.Ordinal)).ToList();
        Assert.That(dataFields, Is.Not.Empty);
        Assert.That(dataFields.Select(f => f.Kind), Is.All.AnyOf(FieldChangeKind.Added, FieldChangeKind.Removed));
        Assert.That(dataFields, Has.Some.EqualTo(new FieldChange("data[016-role-cilium-operator-ztunnel.yaml]", FieldChangeKind.Added, null, "(expanded into embedded objects)")));
        Assert.That(dataFields.Select(f => f.OldValue ?? f.NewValue), Is.All.EqualTo("(expanded into embedded objects)"));
    }

    [Test]
    public void SecretWrappedObjects_AreExpandedFromBase64_AndSecretValuesAreNotShown()
    {
        static string Secret(string key, string value) =>
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: cilium-ca\n  namespace: kube-system\ndata:\n  " + key + ": " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(value)) + "\n";
        static string Wrapper(string embedded) =>
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: capi-1-cilium-secrets\n  namespace: metal3\ntype: addons.cluster.x-k8s.io/resource-set\ndata:\n  001-secret-cilium-ca.yaml: "
            + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(embedded)) + "\n";
        var old = Write("old.yaml", Wrapper(Secret("ca.key", "PRIVATE-OLD")));
        var @new = Write("new.yaml", Wrapper(Secret("ca.key", "PRIVATE-NEW")));

        var diff = Diff(old, @new);

        var change = diff.Changed.Single();
        Assert.That(change.Identity.Display, Is.EqualTo("v1 Secret kube-system/cilium-ca"));
        Assert.That(change.Identity.Scope, Is.EqualTo("v1 Secret metal3/capi-1-cilium-secrets"));
        var field = change.Fields.Single();
        Assert.That(field.Path, Is.EqualTo("data[ca.key]"));
        Assert.That(field.OldValue, Does.StartWith("(secret, sha256:"));
        Assert.That(field.OldValue + field.NewValue, Does.Not.Contain("PRIVATE").And.Not.Contain(Convert.ToBase64String("PRIVATE-NEW"u8.ToArray())));
    }

    [Test]
    public void AddedAndRemovedObjects_AreListedSortedByIdentity()
    {
        var diff = Diff(ReviewFixtures.Recording("baremetal-native-bgp-1.18"), ReviewFixtures.Recording("baremetal-native-bgp-1.20"));

        Assert.That(diff.Added.Select(a => a.ToString()), Is.EqualTo(new[]
        {
            "batch/v1 Job kube-system/hubble-generate-certs-db903e35d6",
            "rbac.authorization.k8s.io/v1 Role kube-system/cilium-operator-ztunnel",
            "rbac.authorization.k8s.io/v1 RoleBinding kube-system/cilium-operator-ztunnel",
        }));
        var back = Diff(ReviewFixtures.Recording("baremetal-native-bgp-1.20"), ReviewFixtures.Recording("baremetal-native-bgp-1.18"));
        Assert.That(back.Removed, Is.EqualTo(diff.Added));
        Assert.That(back.Added, Is.Empty);
    }

    private const string DaemonSetTemplate = """
        apiVersion: apps/v1
        kind: DaemonSet
        metadata:
          name: cilium
          namespace: kube-system
        spec:
          template:
            spec:
              containers:
        {0}
        """;

    private const string Agent = """
                - name: cilium-agent
                  image: quay.io/cilium/cilium:v1.18.12
                  args: ["--config-dir=/tmp", "--debug"]
        """;

    private const string Envoy = """
                - name: cilium-envoy
                  image: quay.io/cilium/cilium-envoy:v1
        """;

    [Test]
    public void ListItems_AreMatchedByName_SoReorderingContainersIsNotAChange()
    {
        var old = Write("old.yaml", string.Format(DaemonSetTemplate, Agent + "\n" + Envoy));
        var @new = Write("new.yaml", string.Format(DaemonSetTemplate, Envoy + "\n" + Agent.Replace("v1.18.12", "v1.20.0")));

        var change = Diff(old, @new).Changed.Single();

        Assert.That(change.Fields, Is.EqualTo(new[]
        {
            new FieldChange("spec.template.spec.containers[name=cilium-agent].image", FieldChangeKind.Modified, "quay.io/cilium/cilium:v1.18.12", "quay.io/cilium/cilium:v1.20.0"),
        }));
    }

    [Test]
    public void ListsWithoutNames_AlignEqualItemsThenPairByPosition_AndScalarListsAsMultisets()
    {
        var old = Write("old.yaml", "apiVersion: v1\nkind: X\nmetadata: {name: x}\ntolerations:\n- operator: Exists\nresources: [a, b, c]\nargs: [x, w]\n");
        var @new = Write("new.yaml", "apiVersion: v1\nkind: X\nmetadata: {name: x}\ntolerations:\n- operator: Exists\n  key: k\n- operator: Exists\nresources: [a, c, d]\nargs: [w, x]\n");

        var change = Diff(old, @new).Changed.Single();

        Assert.That(change.Fields, Is.EqualTo(new[]
        {
            new FieldChange("args (order)", FieldChangeKind.Modified, "[x, w]", "[w, x]"),
            new FieldChange("resources", FieldChangeKind.Removed, "b", null),
            new FieldChange("resources", FieldChangeKind.Added, null, "d"),
            new FieldChange("tolerations[0].key", FieldChangeKind.Added, null, "k"),
            new FieldChange("tolerations[0].operator", FieldChangeKind.Added, null, "Exists"),
        }));
    }

    [Test]
    public void QuotingSpellingAndExplicitNulls_AreFormattingNotChanges()
    {
        var old = Write("a.yaml", "---\n# Source: x\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations:\ndata:\n  a: \"true\"\n  b: default\n  num: '1'\nspec:\n  defaultMode: 0400\n  debug: yes\n");
        var @new = Write("b.json", "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"c\"}, \"data\": {\"a\": \"true\", \"b\": \"default\", \"num\": \"1\"}, \"spec\": {\"defaultMode\": 256, \"debug\": true}}");

        Assert.That(Diff(old, @new).HasDifferences, Is.False);
    }

    [Test]
    public void AValueThatKeepsItsTextButChangesType_IsAChange()
    {
        var old = Write("a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  port: \"6443\"\n  flag: 'yes'\n");
        var @new = Write("b.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  port: 6443\n  flag: yes\n");

        Assert.That(Diff(old, @new).Changed.Single().Fields, Is.EqualTo(new[]
        {
            new FieldChange("data.flag", FieldChangeKind.Modified, "\"yes\"", "true"),
            new FieldChange("data.port", FieldChangeKind.Modified, "\"6443\"", "6443"),
        }));
    }

    [Test]
    public void LongOneLineJson_IsPrettyPrintedForALineDiff()
    {
        var json = "{\"listeners\":[{\"name\":\"a\",\"streamIdleTimeout\":\"0s\",\"padding\":\"" + new string('x', 120) + "\"}]}";
        var old = Write("old.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: envoy}\ndata:\n  bootstrap-config.json: '" + json + "'\n");
        var @new = Write("new.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: envoy}\ndata:\n  bootstrap-config.json: '" + json.Replace("0s", "300s") + "'\n");

        var field = Diff(old, @new).Changed.Single().Fields.Single();

        Assert.That(field.Path, Is.EqualTo("data[bootstrap-config.json]"));
        Assert.That(field.Kind, Is.EqualTo(FieldChangeKind.Text));
        Assert.That(field.OldValue, Does.Contain("\n      \"streamIdleTimeout\": \"0s\",\n"));
    }

    [Test]
    public void JsonThatOnlyChangedLayout_IsNotAChange()
    {
        var json = "{\"a\": 1, \"b\": [\"" + new string('x', 120) + "\"]}";
        var old = Write("old.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: envoy}\ndata:\n  config.json: '" + json + "'\n");
        var @new = Write("new.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: envoy}\ndata:\n  config.json: |\n    " + json.Replace(", ", ",\n    ") + "\n");

        Assert.That(Diff(old, @new).HasDifferences, Is.False);
    }

    [Test]
    public void ParseError_NamesTheFileAndLine()
    {
        var bad = Write("dir/sub/bad.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n");
        Write("dir/good.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n");

        var result = ManifestLoader.Load(Path.Combine(_temp, "dir"));

        Assert.That(result.HasErrors, Is.True);
        var problem = result.Problems.Single(p => p.Severity == ProblemSeverity.Error);
        Assert.That(problem.Subject, Does.StartWith(bad + ":"));
        Assert.That(problem.Subject, Does.Match(@":\d+:\d+$"));
        Assert.That(problem.Message, Does.StartWith("invalid YAML"));
    }

    [Test]
    public void MissingPath_IsAnError()
    {
        var result = ManifestLoader.Load(Path.Combine(_temp, "nope"));
        Assert.That(result.Problems.Single().ToString(), Does.Contain("nope").And.Contain("no such file or directory"));
    }

    [Test]
    public void Directory_IsReadRecursively_InOrdinalOrder_SkippingOtherFilesAndDotFolders()
    {
        Write("b/z.yml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: z}\n");
        Write("a.json", "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"a\"}}");
        Write("b/readme.md", "not yaml: [");
        Write(".git/x.yaml", "not: [valid");

        var result = ManifestLoader.Load(_temp);

        Assert.That(result.HasErrors, Is.False);
        Assert.That(result.Objects.Select(o => o.Identity.Name), Is.EqualTo(new[] { "a", "z" }));
    }

    [Test]
    public void PathWithoutObjects_IsWarnedAbout()
    {
        Write("empty/values.yaml", "foo: bar\n");

        var result = ManifestLoader.Load(Path.Combine(_temp, "empty"));

        Assert.That(result.HasErrors, Is.False);
        Assert.That(result.Problems.Select(p => p.Message), Is.EqualTo(new[]
        {
            "document 1 is not a Kubernetes object (needs apiVersion, kind and metadata.name); ignored",
            "no Kubernetes objects found",
        }));
    }

    [Test]
    public void ObjectMovedToAnotherConfigMapPart_IsPairedNotAddedAndRemoved()
    {
        const string embedded = "    apiVersion: v1\n    kind: ServiceAccount\n    metadata:\n      name: cilium\n      namespace: kube-system\n";
        var old = Write("old.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c-cilium}\ndata:\n  001-sa.yaml: |\n" + embedded);
        var @new = Write("new.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c-cilium}\ndata: {}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c-cilium-2}\ndata:\n  001-sa.yaml: |\n" + embedded);

        var diff = Diff(old, @new);

        Assert.That(diff.Removed, Is.Empty);
        Assert.That(diff.Added.Select(a => a.ToString()), Is.EqualTo(new[] { "v1 ConfigMap c-cilium-2" }));
        var moved = diff.Changed.Single(c => c.Identity.Kind == "ServiceAccount");
        Assert.That(moved.OldIdentity!.Scope, Is.EqualTo("v1 ConfigMap c-cilium"));
        Assert.That(moved.Fields, Is.Empty);
    }

    private sealed class WholeTextDiffer : ILineDiffer
    {
        public IReadOnlyList<DiffLine> Diff(string oldText, string newText) =>
            [.. oldText.Split('\n').Select(l => new DiffLine(DiffLineKind.Deleted, l)), .. newText.Split('\n').Select(l => new DiffLine(DiffLineKind.Inserted, l))];
    }

    [Test]
    public void Markdown_StaysUnderTheCommentSizeLimit_AndSaysWhatItLeftOut()
    {
        var diff = Diff(ReviewFixtures.Recording("baremetal-native-bgp-1.18"), ReviewFixtures.Recording("baremetal-native-bgp-1.20"));

        var full = MarkdownDiffRenderer.Render(diff, new WholeTextDiffer());
        var cut = MarkdownDiffRenderer.Render(diff, new WholeTextDiffer(), maxLength: 4000);

        Assert.That(full, Does.Not.Contain("not shown here"));
        Assert.That(cut.Length, Is.LessThanOrEqualTo(4000));
        Assert.That(cut, Does.Contain("| changed | `v1 Service kube-system/hubble-peer` | 1 |"), "the table still lists every object");
        Assert.That(cut, Does.Match(@"_\d+ more changed objects are not shown here"));
    }
}
