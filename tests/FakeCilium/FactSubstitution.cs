using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace FakeCilium;

/// <summary>Writes per-cluster facts into a recorded render at exactly the places the chart puts them, replacing
/// whole YAML values and keeping the recording's own quoting:
/// <list type="bullet">
/// <item>k8sServiceHost / k8sServicePort: the `value:` line right after every `- name: KUBERNETES_SERVICE_HOST` /
/// `- name: KUBERNETES_SERVICE_PORT` line (five containers);</item>
/// <item>ipv4NativeRoutingCIDR: `ipv4-native-routing-cidr:` in ConfigMap cilium-config;</item>
/// <item>cluster.name: `cluster-name:` in cilium-config and the `"*.&lt;name&gt;.hubble-grpc.cilium.io"` names
/// in the certgen configuration;</item>
/// <item>ipv6.enabled=true: `enable-ipv6:`; ipv6NativeRoutingCIDR: a new `ipv6-native-routing-cidr:` line right after
/// the IPv4 one, as the chart's `{{- if .Values.ipv6NativeRoutingCIDR }}` renders it.</item>
/// <item>the one-shot certificate Job of charts 1.19+ (`hubble-generate-certs-&lt;10 hex&gt;`): its name is renamed after
/// the substitution, as the chart names it from its spec (the first 10 hex digits of the sha256 of the Job's text from
/// its `spec:` line to its last non-empty line; this reproduces the names in the 1.19 and 1.20 recordings).</item>
/// </list>
/// A fact whose anchor is not where the chart puts it fails loudly instead of printing something unrecorded.</summary>
internal static partial class FactSubstitution
{
    public static byte[] Apply(Recording recording, IReadOnlyDictionary<string, string> values)
    {
        var lines = Encoding.UTF8.GetString(recording.Stdout).Split('\n').ToList();
        var context = new Context(recording, lines);

        if (Changed(recording, values, FactKeys.ServiceHost) is { } host)
        {
            ReplaceEnvValues(context, "KUBERNETES_SERVICE_HOST", recording.SetValues[FactKeys.ServiceHost], host);
        }

        if (Changed(recording, values, FactKeys.ServicePort) is { } port)
        {
            ReplaceEnvValues(context, "KUBERNETES_SERVICE_PORT", recording.SetValues[FactKeys.ServicePort], port);
        }

        if (Changed(recording, values, FactKeys.Ipv4NativeRoutingCidr) is { } cidr)
        {
            ReplaceConfigValue(context, "ipv4-native-routing-cidr", recording.SetValues[FactKeys.Ipv4NativeRoutingCidr], cidr);
        }

        if (values.TryGetValue(FactKeys.ClusterName, out var clusterName) && clusterName != FactKeys.DefaultClusterName)
        {
            ReplaceConfigValue(context, "cluster-name", FactKeys.DefaultClusterName, clusterName);
            ReplaceHubbleServerNames(context, clusterName);
        }

        if (values.TryGetValue(FactKeys.Ipv6Enabled, out var ipv6) && ipv6 == "true")
        {
            ReplaceConfigValue(context, "enable-ipv6", "false", "true");
        }

        if (values.TryGetValue(FactKeys.Ipv6NativeRoutingCidr, out var ipv6Cidr) && ipv6Cidr.Length > 0)
        {
            var ipv4Line = FindConfigLine(context, "ipv4-native-routing-cidr");
            lines.Insert(ipv4Line + 1, $"  ipv6-native-routing-cidr: {ipv6Cidr}");
        }

        RenameContentNamedJobs(lines);
        return Encoding.UTF8.GetBytes(string.Join('\n', lines));
    }

    private static void RenameContentNamedJobs(List<string> lines)
    {
        for (var i = 0; i < lines.Count; i++)
        {
            var match = ContentNamedJobLine().Match(lines[i]);
            if (!match.Success || i < 3 || lines[i - 1] != "metadata:" || lines[i - 2] != "kind: Job")
            {
                continue;
            }

            var end = lines.FindIndex(i, l => l == "---");
            end = end < 0 ? lines.Count : end;
            var spec = lines.FindIndex(i, end - i, l => l == "spec:");
            var last = end - 1;
            while (last > spec && lines[last].Length == 0)
            {
                last--;
            }

            var body = string.Join('\n', lines.GetRange(spec, last - spec + 1));
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body)));
            lines[i] = $"  name: {match.Groups["base"].Value}-{hash[..10]}";
        }
    }

    /// <summary>The given value of a fact the recording also set, when it differs from the recorded one.</summary>
    private static string? Changed(Recording recording, IReadOnlyDictionary<string, string> values, string key) =>
        values.TryGetValue(key, out var given) && recording.SetValues.TryGetValue(key, out var recorded) && given != recorded
            ? given
            : null;

    private static void ReplaceEnvValues(Context context, string variable, string recorded, string replacement)
    {
        var count = 0;
        for (var i = 0; i + 1 < context.Lines.Count; i++)
        {
            if (context.Lines[i].Trim() != $"- name: {variable}")
            {
                continue;
            }

            var match = EnvValueLine().Match(context.Lines[i + 1]);
            if (!match.Success || Unquote(match.Groups["value"].Value) != recorded)
            {
                throw context.Unexpected($"line {i + 2} after `- name: {variable}` is not `value: {recorded}`");
            }

            context.Lines[i + 1] = match.Groups["prefix"].Value + Requote(match.Groups["value"].Value, replacement);
            count++;
        }

        if (count == 0)
        {
            throw context.Unexpected($"no {variable} env value to substitute");
        }
    }

    private static void ReplaceConfigValue(Context context, string key, string recorded, string replacement)
    {
        var index = FindConfigLine(context, key);
        var prefix = $"  {key}: ";
        var value = context.Lines[index][prefix.Length..];
        if (Unquote(value) != recorded)
        {
            throw context.Unexpected($"`{key}` is {value}, expected {recorded}");
        }

        context.Lines[index] = prefix + Requote(value, replacement);
    }

    private static int FindConfigLine(Context context, string key)
    {
        var prefix = $"  {key}: ";
        var indexes = Enumerable.Range(0, context.Lines.Count)
            .Where(i => context.Lines[i].StartsWith(prefix, StringComparison.Ordinal))
            .ToList();
        return indexes.Count == 1
            ? indexes[0]
            : throw context.Unexpected($"expected exactly one `{key}:` line in cilium-config, found {indexes.Count}");
    }

    private static void ReplaceHubbleServerNames(Context context, string clusterName)
    {
        // Only the certgen configuration names them in clear text; the `helm` method's certificates are random anyway.
        for (var i = 0; i < context.Lines.Count; i++)
        {
            var match = HubbleServerNameLine().Match(context.Lines[i]);
            if (match.Success)
            {
                context.Lines[i] = $"{match.Groups["prefix"].Value}\"*.{clusterName}.hubble-grpc.cilium.io\"";
            }
        }
    }

    private static string Unquote(string value) =>
        value.Length >= 2 && value[0] == '"' && value[^1] == '"' ? value[1..^1] : value;

    /// <summary>The replacement in the same style as the recorded value (Helm's `quote` or a bare template value).</summary>
    private static string Requote(string recordedValue, string replacement) =>
        recordedValue.StartsWith('"')
            ? "\"" + replacement.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\""
            : replacement;

    [GeneratedRegex("^  name: (?<base>hubble-generate-certs)-[0-9a-f]{10}$")]
    private static partial Regex ContentNamedJobLine();

    [GeneratedRegex("^(?<prefix>\\s*value: )(?<value>.*)$")]
    private static partial Regex EnvValueLine();

    [GeneratedRegex("^(?<prefix>\\s*(?:commonName: |- ))\"\\*\\.default\\.hubble-grpc\\.cilium\\.io\"$")]
    private static partial Regex HubbleServerNameLine();

    private sealed record Context(Recording Recording, List<string> Lines)
    {
        public CliFailure Unexpected(string what) =>
            new(2, $"fake cilium: cannot substitute facts into recording {Recording.Name}: {what}\n");
    }
}
