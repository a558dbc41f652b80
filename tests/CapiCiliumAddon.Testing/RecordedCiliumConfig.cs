using YamlDotNet.RepresentationModel;

namespace CapiCiliumAddon.Testing;

/// <summary>One key of ConfigMap cilium-config that differs between two renders; null on the side without it.</summary>
public sealed record ConfigKeyChange(string Key, string? OldValue, string? NewValue);

/// <summary>
/// ConfigMap cilium-config of a recorded render, read straight from tests/fixtures/cilium-cli with YamlDotNet rather
/// than with the product's own reader and differ, so that tests of what bump reports compare with the recordings.
/// </summary>
public static class RecordedCiliumConfig
{
    /// <summary>The data of cilium-config in <c>tests/fixtures/cilium-cli/&lt;recording&gt;/stdout.yaml</c>.</summary>
    public static IReadOnlyDictionary<string, string> Read(string recording)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(Path.Combine(RepositoryPaths.Fixtures, "cilium-cli", recording, "stdout.yaml"))));
        foreach (var document in stream.Documents)
        {
            if (document.RootNode is YamlMappingNode root
                && Text(root, "kind") == "ConfigMap"
                && root.Children.TryGetValue(new YamlScalarNode("metadata"), out var metadata) && metadata is YamlMappingNode meta
                && Text(meta, "name") == "cilium-config"
                && root.Children.TryGetValue(new YamlScalarNode("data"), out var data) && data is YamlMappingNode entries)
            {
                return entries.Children.ToDictionary(e => ((YamlScalarNode)e.Key).Value!, e => ((YamlScalarNode)e.Value).Value ?? "", StringComparer.Ordinal);
            }
        }

        throw new InvalidOperationException($"recording {recording} has no ConfigMap cilium-config");
    }

    /// <summary>Every key added, removed or changed from <paramref name="fromRecording"/> to <paramref name="toRecording"/>, by key.</summary>
    public static IReadOnlyList<ConfigKeyChange> Changes(string fromRecording, string toRecording)
    {
        var before = Read(fromRecording);
        var after = Read(toRecording);
        return before.Keys.Union(after.Keys)
            .Order(StringComparer.Ordinal)
            .Select(key => new ConfigKeyChange(key, before.GetValueOrDefault(key), after.GetValueOrDefault(key)))
            .Where(change => change.OldValue != change.NewValue)
            .ToList();
    }

    private static string? Text(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlScalarNode scalar ? scalar.Value : null;
}
