using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CapiCiliumAddon.Rendering.Manifests;

namespace CapiCiliumAddon.Rendering.Settings;

/// <summary>
/// The Helm values a day-2 owner must install Cilium with to change nothing: every value the CLI rendered with,
/// including the ones it would have added itself (<see cref="CliInjectedValues"/>). YAML with every mapping's keys
/// sorted, so the same values always give the same bytes and the same <see cref="Hash"/>.
/// </summary>
/// <param name="Text">The YAML document (no comment, no leading <c>---</c>).</param>
/// <param name="Hash"><c>sha256:</c> and the hex digest of <paramref name="Text"/> in UTF-8.</param>
public sealed record HelmValuesFile(string Text, string Hash)
{
    public const string FileName = "cilium-values.yaml";

    public static HelmValuesFile From(HelmValues values) => From(values.ToTree());

    public static HelmValuesFile From(JsonObject tree)
    {
        var text = KubeYamlWriter.WriteSorted(tree);
        return new HelmValuesFile(text, "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text))));
    }
}
