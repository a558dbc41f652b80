using System.Text.Json.Nodes;
using CapiCiliumAddon.Rendering.Yaml;

namespace FakeCilium;

/// <summary>Which chart the real CLI would render: the chart directory's own version wins (--version is then
/// ignored), else --version without its leading `v`, else the CLI's default.</summary>
internal static class ChartVersion
{
    public const string CliDefault = "1.19.5";

    public static string Resolve(InstallArguments arguments)
    {
        if (arguments.ChartDirectory is { } directory)
        {
            return ReadChartYaml(Path.Combine(directory, "Chart.yaml"));
        }

        if (arguments.Version is { } version)
        {
            return version.StartsWith('v') ? version[1..] : version;
        }

        return CliDefault;
    }

    private static string ReadChartYaml(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliFailure.Install($"fake cilium cannot read {path}: {e.Message}");
        }

        IReadOnlyList<SourceDocument> documents;
        try
        {
            documents = YamlDocuments.Parse(text, path);
        }
        catch (InputFileException e)
        {
            throw CliFailure.Install($"fake cilium cannot parse {path}: {e.Reason}");
        }

        if (documents.FirstOrDefault()?.Content?["version"] is JsonValue version
            && version.GetValueKind() == System.Text.Json.JsonValueKind.String
            && version.GetValue<string>() is { Length: > 0 } chartVersion)
        {
            return chartVersion;
        }

        throw CliFailure.Install($"fake cilium found no version in {path}");
    }
}
