using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text;
using CapiCiliumAddon.Rendering.Clusters;
using CapiCiliumAddon.Rendering.Manifests;
using CapiCiliumAddon.Rendering.Output;
using CapiCiliumAddon.Rendering.Settings;
using CapiCiliumAddon.Rendering.Yaml;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CapiCiliumAddon.Cli.Settings;

/// <summary>What a setting holds, and so how its text is read and checked.</summary>
public enum SettingKind
{
    /// <summary>A Cilium version (MAJOR.MINOR.PATCH).</summary>
    CiliumVersion,

    /// <summary>A path, relative to the settings file's folder.</summary>
    Path,

    /// <summary>A list of paths, each relative to the settings file's folder.</summary>
    Paths,

    /// <summary>A Helm release name.</summary>
    HelmReleaseName,

    /// <summary>A non-empty name (a topology variable).</summary>
    Name,

    /// <summary>An integer of at least 1.</summary>
    PositiveInteger,

    Boolean,
}

/// <summary>One key of the settings file, and the command-line flag it stands in for.</summary>
public sealed record SettingDefinition(string Key, SettingKind Kind, string Flag);

/// <summary>
/// The render settings a GitOps repository keeps in git (<see cref="FileName"/>): the default Cilium version, chart
/// directories, profiles folder and the other options <c>render</c>, <c>check</c> and <c>bump</c> share, so every run
/// in every checkout renders the same way without anyone remembering flags. Flags override the file. Strict: an unknown
/// key or a bad value is an error naming the file, the line and the key.
/// </summary>
public sealed class RepositorySettings
{
    public const string FileName = "capi-cilium.yaml";

    public const string CiliumVersionKey = "ciliumVersion";
    public const string ChartDirectoriesKey = "chartDirectories";
    public const string TemplatesKey = "templates";
    public const string EndpointVariableKey = "endpointVariable";
    public const string HelmReleaseNameKey = "helmReleaseName";
    public const string HelmOwnershipKey = "helmOwnership";
    public const string StampKey = "stamp";
    public const string ParallelismKey = "parallelism";
    public const string TimeoutSecondsKey = "timeoutSeconds";
    public const string InstallCiliumCliKey = "installCiliumCli";

    /// <summary>Every key the file may hold, and the flag that overrides it.</summary>
    public static readonly IReadOnlyList<SettingDefinition> Definitions =
    [
        new(CiliumVersionKey, SettingKind.CiliumVersion, "--cilium-version"),
        new(ChartDirectoriesKey, SettingKind.Paths, "--chart-directory"),
        new(TemplatesKey, SettingKind.Path, "--templates"),
        new(EndpointVariableKey, SettingKind.Name, "--endpoint-variable"),
        new(HelmReleaseNameKey, SettingKind.HelmReleaseName, "--helm-release-name"),
        new(HelmOwnershipKey, SettingKind.Boolean, "--no-helm-ownership"),
        new(StampKey, SettingKind.Boolean, "--no-stamp"),
        new(ParallelismKey, SettingKind.PositiveInteger, "--parallelism"),
        new(TimeoutSecondsKey, SettingKind.PositiveInteger, "--timeout"),
        new(InstallCiliumCliKey, SettingKind.Boolean, "--install-cilium-cli"),
    ];

    /// <summary>The input path that stands for standard input.</summary>
    private const string StandardInputPath = "-";

    private readonly IReadOnlyDictionary<string, object> _values;

    private RepositorySettings(string path, IReadOnlyDictionary<string, object> values)
    {
        Path = path;
        _values = values;
    }

    /// <summary>The file's full path.</summary>
    public string Path { get; }

    public bool Has(string key) => _values.ContainsKey(key);

    /// <summary>The value of <paramref name="key"/>: a string (versions, names, resolved full paths), an int, a bool, or a string[] of full paths.</summary>
    public T? Get<T>(string key) => _values.TryGetValue(key, out var value) ? (T)value : default;

    /// <summary>
    /// The settings file for <paramref name="inputs"/>: the nearest <see cref="FileName"/> walking up from each input,
    /// stopping at the repository root (the folder holding .git). Null when there is none; an error when the inputs
    /// lie under different ones (or some under one and some under none), since one run has one set of settings.
    /// Standard input (<c>-</c>, e.g. a kustomize build) has no folder of its own: it is taken to come from the
    /// current directory, where such a pipeline runs (the repository's root in CI).
    /// </summary>
    public static string? Find(IEnumerable<string> inputs)
    {
        var found = inputs.Select(FindFor).Distinct(StringComparer.Ordinal).ToList();
        return found.Count switch
        {
            0 => null,
            1 => found[0],
            _ => throw new SettingsFileException(
                string.Join(", ", found.Select(f => f ?? "none")),
                $"the inputs lie under different settings files; render them separately or name one with --config"),
        };
    }

    private static string? FindFor(string input)
    {
        var full = System.IO.Path.GetFullPath(input == StandardInputPath ? "." : input);
        for (var directory = Directory.Exists(full) ? full : System.IO.Path.GetDirectoryName(full);
             directory is not null;
             directory = System.IO.Path.GetDirectoryName(directory))
        {
            var candidate = System.IO.Path.Combine(directory, FileName);
            if (File.Exists(candidate))
            {
                return candidate;
            }

            if (Directory.Exists(System.IO.Path.Combine(directory, ".git")) || File.Exists(System.IO.Path.Combine(directory, ".git")))
            {
                return null; // The repository root: a settings file further up belongs to something else.
            }
        }

        return null;
    }

    public static RepositorySettings Load(string path)
    {
        path = System.IO.Path.GetFullPath(path);
        if (!File.Exists(path))
        {
            throw new SettingsFileException(path, "no such file");
        }

        var (mapping, json) = Root(path, ReadText(path));
        var values = new Dictionary<string, object>(StringComparer.Ordinal);
        var folder = System.IO.Path.GetDirectoryName(path)!;
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            var key = YamlScalars.KeyText((YamlScalarNode)keyNode);
            var at = $"line {keyNode.Start.Line}: {key}";
            var definition = Definitions.FirstOrDefault(d => d.Key == key)
                ?? throw new SettingsFileException(path, $"line {keyNode.Start.Line}: unknown key '{key}' (known: {string.Join(", ", Definitions.Select(d => d.Key))})");
            values[key] = Read(definition, valueNode, json[key], folder, path, at);
        }

        return new RepositorySettings(path, values);
    }

    /// <summary>
    /// Sets <see cref="CiliumVersionKey"/> to <paramref name="version"/> as the smallest text edit: the value's text is
    /// replaced in its own quoting style, or a line is added when the key is missing; nothing else changes. Written
    /// atomically, keeping the file's mode. Returns false when the file already says so.
    /// </summary>
    public static bool SetCiliumVersion(string path, CiliumVersion version)
    {
        var bytes = File.ReadAllBytes(path);
        var text = ReadText(path);
        var (mapping, _) = Root(path, text);
        var value = version.ToString();
        string edited;
        var entry = mapping.Children.FirstOrDefault(c => (c.Key as YamlScalarNode)?.Value == CiliumVersionKey);
        if (entry.Value is YamlScalarNode scalar)
        {
            if (scalar.Value == value)
            {
                return false;
            }

            var replacement = scalar.Style switch
            {
                ScalarStyle.DoubleQuoted => $"\"{value}\"",
                ScalarStyle.SingleQuoted => $"'{value}'",
                ScalarStyle.Plain => value,
                _ => throw new SettingsFileException(path, $"line {scalar.Start.Line}: {CiliumVersionKey} is written in a style this tool does not edit; write it as {CiliumVersionKey}: {value}"),
            };
            edited = string.Concat(text.AsSpan(0, (int)scalar.Start.Index), replacement, text.AsSpan((int)scalar.End.Index));
        }
        else if (entry.Key is null)
        {
            var newline = text.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
            var separator = text.Length == 0 || text.EndsWith('\n') ? "" : newline;
            edited = $"{text}{separator}{CiliumVersionKey}: {value}{newline}";
        }
        else
        {
            throw new SettingsFileException(path, $"line {entry.Key.Start.Line}: {CiliumVersionKey} must be a version");
        }

        var hasBom = bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble);
        var encoded = Encoding.UTF8.GetBytes(edited);
        AtomicFile.WriteAllBytes(path, hasBom ? [.. Encoding.UTF8.Preamble, .. encoded] : encoded, keepMode: true);
        return true;
    }

    private static string ReadText(string path)
    {
        var text = File.ReadAllText(path, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true));
        return text.Length > 0 && text[0] == '\uFEFF' ? text[1..] : text;
    }

    /// <summary>The file's one mapping, as written (for positions) and as read (<see cref="YamlJson"/>: values mean what they mean to Kubernetes and Helm).</summary>
    private static (YamlMappingNode Mapping, JsonObject Values) Root(string path, string text)
    {
        IReadOnlyList<PositionedDocument> documents;
        try
        {
            documents = YamlDocuments.ParseWithPositions(text, path);
        }
        catch (InputFileException e)
        {
            throw new SettingsFileException(path, e.Reason);
        }

        var nonEmpty = documents.Where(d => d.Document is not null).ToList();
        return nonEmpty switch
        {
            [] => (new YamlMappingNode(), new JsonObject()),
            [{ Yaml.RootNode: YamlMappingNode mapping, Document.Content: JsonObject values }] => (mapping, values),
            [_] => throw new SettingsFileException(path, "must be a map of settings (key: value)"),
            _ => throw new SettingsFileException(path, "must hold one YAML document"),
        };
    }

    /// <param name="node">The value as written: its text is what messages quote.</param>
    /// <param name="value">The value as read: a plain <c>yes</c> is true and <c>0x4</c> is 4, as for Kubernetes and Helm.</param>
    private static object Read(SettingDefinition definition, YamlNode node, JsonNode? value, string folder, string path, string at)
    {
        var written = node is YamlScalarNode { Value: { } text } ? text : "";
        string Text(JsonNode? v) => v is JsonValue scalar && scalar.GetValueKind() == JsonValueKind.String && scalar.GetValue<string>() is { Length: > 0 } s
            ? s
            : throw new SettingsFileException(path, v is JsonArray or JsonObject || v is null ? $"{at}: must be a single value" : $"{at}: '{written}' must be text here");
        string Scalar(JsonNode? v) => v is JsonValue scalar && scalar.GetValueKind() != JsonValueKind.String
            ? throw new SettingsFileException(path, $"{at}: '{written}' {definition.Kind switch
            {
                SettingKind.CiliumVersion => $"is not a Cilium version (e.g. {CiliumVersion.Default})",
                _ => "must be text here",
            }}")
            : Text(v);

        switch (definition.Kind)
        {
            case SettingKind.CiliumVersion:
                var version = Scalar(value);
                return CiliumVersion.TryParse(version, out _)
                    ? version
                    : throw new SettingsFileException(path, $"{at}: '{version}' is not a Cilium version (e.g. {CiliumVersion.Default})");
            case SettingKind.Path:
                return System.IO.Path.GetFullPath(Scalar(value), folder);
            case SettingKind.Paths:
                return value is JsonArray list
                    ? list.Select(item => System.IO.Path.GetFullPath(Scalar(item), folder)).ToArray()
                    : throw new SettingsFileException(path, $"{at}: must be a list of folders");
            case SettingKind.HelmReleaseName:
                var release = Scalar(value);
                return HelmReleaseIdentity.IsValidName(release)
                    ? release
                    : throw new SettingsFileException(path, $"{at}: '{release}' is not a Helm release name (at most {HelmReleaseIdentity.MaxNameLength} lowercase letters, digits, '-' and '.')");
            case SettingKind.Name:
                return Scalar(value);
            case SettingKind.PositiveInteger:
                return value is JsonValue number && number.GetValueKind() == JsonValueKind.Number && int.TryParse(number.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed) && parsed >= 1
                    ? parsed
                    : throw new SettingsFileException(path, value is JsonArray or JsonObject ? $"{at}: must be a single value" : $"{at}: '{written}' is not a whole number of at least 1");
            case SettingKind.Boolean:
                return value?.GetValueKind() switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    JsonValueKind.Array or JsonValueKind.Object => throw new SettingsFileException(path, $"{at}: must be a single value"),
                    _ => throw new SettingsFileException(path, $"{at}: '{written}' is not true or false"),
                };
            default:
                throw new ArgumentOutOfRangeException(nameof(definition), definition.Kind, null);
        }
    }
}

public sealed class SettingsFileException(string path, string reason) : Exception($"settings file {path}: {reason}")
{
    public string SettingsPath { get; } = path;
}
