using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CapiCiliumAddon.Testing.KubeApi;

/// <summary>
/// One line of tests/fixtures/kube-api/INDEX.tsv: a real kube-apiserver's answer (<see cref="Body"/>, exactly as
/// received) to <see cref="Method"/> <see cref="Target"/>. A watch line's target and status carry a description
/// after them in parentheses; it is cut off here.
/// </summary>
public sealed record Recording(string Name, string Method, string Target, int Status)
{
    public string Path => Target.Split('?')[0];

    public string Query => Target.Contains('?', StringComparison.Ordinal) ? Target[Target.IndexOf('?', StringComparison.Ordinal)..] : "";

    /// <summary>watch-*.jsonl holds one event per line; every other answer is one JSON document.</summary>
    public string Body => File.ReadAllText(System.IO.Path.Combine(KubeApiRecordings.Directory, Name + (File.Exists(System.IO.Path.Combine(KubeApiRecordings.Directory, Name + ".jsonl")) ? ".jsonl" : ".json")));

    public JsonObject Json => JsonNode.Parse(Body)!.AsObject();
}

/// <summary>The recorded real kube-apiserver answers in tests/fixtures/kube-api (see its README).</summary>
public static partial class KubeApiRecordings
{
    private static readonly Lazy<IReadOnlyDictionary<string, Recording>> Index = new(Load);

    public static string Directory => System.IO.Path.Combine(RepositoryPaths.Fixtures, "kube-api");

    public static IReadOnlyCollection<Recording> All => [.. Index.Value.Values];

    public static Recording Get(string name) => Index.Value.TryGetValue(name, out var r)
        ? r
        : throw new InvalidOperationException($"{name} is not a line of {Directory}/INDEX.tsv");

    private static Dictionary<string, Recording> Load()
    {
        var result = new Dictionary<string, Recording>(StringComparer.Ordinal);
        foreach (var line in File.ReadAllLines(System.IO.Path.Combine(Directory, "INDEX.tsv")))
        {
            var fields = line.Split('\t');
            if (fields.Length == 4 && Leading().Match(fields[3]) is { Success: true } status)
            {
                result[fields[0]] = new Recording(fields[0], fields[1], Description().Replace(fields[2], ""), int.Parse(status.Value, System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return result;
    }

    [GeneratedRegex(@"^\d{3}")]
    private static partial Regex Leading();

    [GeneratedRegex(@" \(.*\)$")]
    private static partial Regex Description();
}
