using System.Security.Cryptography;
using System.Text.Json.Nodes;
using CapiCiliumAddon.Rendering.Clusters;
using CapiCiliumAddon.Rendering.Settings;
using CapiCiliumAddon.Rendering.Yaml;

namespace CapiCiliumAddon.Rendering.CiliumCli;

/// <summary>
/// An unpacked Cilium chart for offline renders. The CLI IGNORES --version when given a chart directory, so the
/// version is read from Chart.yaml and a mismatch with the requested version is reported by us, not papered over.
/// </summary>
/// <param name="Digest">sha256 of Chart.yaml and values.yaml: two different charts claiming one version hash differently.</param>
public sealed record ChartDirectory(string Path, CiliumVersion Version, string Digest, JsonObject? DefaultValues)
{
    public static ChartDirectory Load(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        var chartFile = System.IO.Path.Combine(full, "Chart.yaml");
        if (!File.Exists(chartFile))
        {
            throw new ChartDirectoryException(path, "has no Chart.yaml; pass the unpacked chart folder (the one holding Chart.yaml)");
        }

        JsonObject chart;
        try
        {
            chart = YamlDocuments.ReadFile(chartFile) is [{ Content: JsonObject c }]
                ? c
                : throw new ChartDirectoryException(path, "Chart.yaml is not a single YAML mapping");
        }
        catch (InputFileException e)
        {
            throw new ChartDirectoryException(path, $"Chart.yaml: {e.Reason}");
        }

        if ((string?)chart["name"] is not "cilium")
        {
            throw new ChartDirectoryException(path, $"Chart.yaml names chart '{chart["name"]}', not 'cilium'");
        }

        var versionText = chart["version"]?.ToString();
        if (!CiliumVersion.TryParse(versionText, out var version))
        {
            throw new ChartDirectoryException(path, $"Chart.yaml version '{versionText}' is not a Cilium version");
        }

        var valuesFile = System.IO.Path.Combine(full, "values.yaml");
        JsonObject? defaults = null;
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(File.ReadAllBytes(chartFile));
        if (File.Exists(valuesFile))
        {
            var bytes = File.ReadAllBytes(valuesFile);
            sha.AppendData(bytes);
            try
            {
                defaults = YamlDocuments.Parse(bytes, valuesFile) is [{ Content: JsonObject d }] ? d : null;
            }
            catch (InputFileException)
            {
                // Only used to spot misspelt keys; the CLI itself will report a broken chart.
            }
        }

        return new ChartDirectory(full, version!, Convert.ToHexStringLower(sha.GetHashAndReset()), defaults);
    }
}

public sealed class ChartDirectoryException(string path, string reason) : Exception($"chart directory {path}: {reason}");
