using NUnit.Framework;
using System.Text;
using CapiCiliumAddon.Rendering.Review;
using YamlDotNet.RepresentationModel;

namespace CapiCiliumAddon.Rendering.Tests.Review;

/// <summary>Paths to the recorded renders, and a builder of our ConfigMap wrapping around them.</summary>
internal static class ReviewFixtures
{
    public static string Recording(string name) => Path.Combine(RepositoryRoot(), "tests", "fixtures", "cilium-cli", name, "stdout.yaml");

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (dir is not null && !Directory.Exists(Path.Combine(dir.FullName, "tests", "fixtures", "cilium-cli")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("tests/fixtures/cilium-cli not found above the test directory");
    }

    public static IReadOnlyList<ManifestObject> Load(string path)
    {
        var result = ManifestLoader.Load(path);
        Assert.That(result.HasErrors, Is.False, string.Join("\n", result.Problems));
        return result.Objects;
    }

    /// <summary>The raw documents of a render, each with its `# Source:` comment, in order.</summary>
    public static List<string> Documents(string render) =>
        File.ReadAllText(render).Split("---\n").Where(d => d.Trim().Length > 0).ToList();

    /// <summary>
    /// Our product's shape, built independently of the diff engine: ConfigMap `name` in namespace `metal3` whose data
    /// holds one `NNN-kind-name.yaml` key per rendered object, with our version annotations.
    /// </summary>
    public static string WrapInConfigMap(string render, string name, string ciliumVersion, string inputHash)
    {
        var sb = new StringBuilder();
        sb.Append("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ").Append(name).Append("\n  namespace: metal3\n");
        sb.Append("  labels:\n    app.kubernetes.io/managed-by: capi-cilium\n");
        sb.Append("  annotations:\n");
        sb.Append("    addon.capi-cilium.io/cilium-version: \"").Append(ciliumVersion).Append("\"\n");
        sb.Append("    addon.capi-cilium.io/chart-version: \"").Append(ciliumVersion).Append("\"\n");
        sb.Append("    addon.capi-cilium.io/tool-version: \"0.1.0\"\n");
        sb.Append("    addon.capi-cilium.io/input-hash: \"").Append(inputHash).Append("\"\n");
        sb.Append("data:\n");
        var index = 0;
        foreach (var document in Documents(render))
        {
            index++;
            var stream = new YamlStream();
            stream.Load(new StringReader(document));
            var root = (YamlMappingNode)stream.Documents[0].RootNode;
            var kind = ((YamlScalarNode)root["kind"]).Value!.ToLowerInvariant();
            var objectName = ((YamlScalarNode)((YamlMappingNode)root["metadata"])["name"]).Value;
            sb.Append($"  {index:D3}-{kind}-{objectName}.yaml: |\n");
            foreach (var line in document.TrimEnd('\n').Split('\n'))
            {
                sb.Append(line.Length == 0 ? "" : "    " + line).Append('\n');
            }
        }
        return sb.ToString();
    }
}
