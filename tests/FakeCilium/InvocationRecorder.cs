using System.Collections;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FakeCilium;

/// <summary>Appends one JSON line per invocation to DIR/invocations.jsonl, capturing values files as they were at
/// the time of the call (the product deletes them afterwards).</summary>
internal static class InvocationRecorder
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = false };

    public static void Append(string directory, IReadOnlyList<string> argv, IEnumerable<string> valuesFiles)
    {
        var environment = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            environment[(string)entry.Key] = (string?)entry.Value ?? "";
        }

        var invocation = new Invocation(
            argv.ToArray(),
            environment,
            Environment.CurrentDirectory,
            valuesFiles.Select(Capture).ToArray());
        var line = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(invocation, JsonOptions) + "\n");

        System.IO.Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "invocations.jsonl");
        // Several fakes may run at once: .NET locks FileShare.None files (flock), so retry until the file is ours.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                using var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.None);
                stream.Write(line);
                return;
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(10);
            }
        }
    }

    private static ValuesFile Capture(string path)
    {
        try
        {
            var mode = OperatingSystem.IsWindows()
                ? null
                : Convert.ToString((int)File.GetUnixFileMode(path) & 0x1FF, 8).PadLeft(3, '0');
            return new ValuesFile(path, File.ReadAllText(path), mode);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new ValuesFile(path, null, null);
        }
    }

    private sealed record Invocation(
        [property: JsonPropertyName("argv")] string[] Argv,
        [property: JsonPropertyName("environment")] SortedDictionary<string, string> Environment,
        [property: JsonPropertyName("workingDirectory")] string WorkingDirectory,
        [property: JsonPropertyName("valuesFiles")] ValuesFile[] ValuesFiles);

    private sealed record ValuesFile(
        [property: JsonPropertyName("path")] string Path,
        [property: JsonPropertyName("content")] string? Content,
        [property: JsonPropertyName("unixMode")] string? UnixMode);
}
