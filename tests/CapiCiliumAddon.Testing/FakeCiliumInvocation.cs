using System.Text.Json.Serialization;

namespace CapiCiliumAddon.Testing;

/// <summary>One call of the fake cilium, as it recorded it (one line of invocations.jsonl).</summary>
public sealed record FakeCiliumInvocation(
    [property: JsonPropertyName("argv")] IReadOnlyList<string> Argv,
    [property: JsonPropertyName("environment")] IReadOnlyDictionary<string, string> Environment,
    [property: JsonPropertyName("workingDirectory")] string WorkingDirectory,
    [property: JsonPropertyName("valuesFiles")] IReadOnlyList<FakeCiliumValuesFile> ValuesFiles);

/// <summary>A values file as it was when the fake was called. <see cref="Content"/> and <see cref="UnixMode"/>
/// (octal, e.g. "600") are null when the file could not be read.</summary>
public sealed record FakeCiliumValuesFile(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("content")] string? Content,
    [property: JsonPropertyName("unixMode")] string? UnixMode);
