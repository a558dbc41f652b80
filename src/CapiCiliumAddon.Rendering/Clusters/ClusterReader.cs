using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CapiCiliumAddon.Rendering.Clusters;

/// <summary>The outcome of reading one Cluster: facts, plus problems (errors make the Cluster unrenderable).</summary>
public sealed record ClusterReadResult(ClusterFacts? Facts, IReadOnlyList<Problem> Problems)
{
    public bool IsValid => Facts is not null && Problems.All(p => p.Severity != ProblemSeverity.Error);
}

/// <summary>
/// Reads a Cluster API Cluster (v1beta2 or v1beta1; the fields used here have the same paths in both) from a JSON
/// tree. Readiness (an endpoint) is not judged here: a Cluster without one is valid, just not ready.
/// </summary>
public static partial class ClusterReader
{
    public const string Group = "cluster.x-k8s.io";
    public static readonly IReadOnlyList<string> SupportedVersions = ["v1beta2", "v1beta1"];

    public static bool IsCluster(JsonNode? document) =>
        document is JsonObject obj
        && obj["kind"]?.GetValueKind() == System.Text.Json.JsonValueKind.String
        && (string?)obj["kind"] == "Cluster"
        && obj["apiVersion"]?.GetValueKind() == System.Text.Json.JsonValueKind.String
        && ((string?)obj["apiVersion"])!.StartsWith(Group + "/", StringComparison.Ordinal);

    public static ClusterReadResult Read(JsonObject cluster, string defaultNamespace = "default")
    {
        var problems = new List<Problem>();
        var metadata = cluster["metadata"] as JsonObject;
        var name = StringAt(metadata, "name");
        var ns = StringAt(metadata, "namespace") ?? defaultNamespace;
        // Names are user input of any length: a 1 MB name must not become a 1 MB message on every line.
        var subject = $"{Truncate(ns)}/{(name is null ? "<unnamed>" : Truncate(name))}";
        var apiVersion = (string?)cluster["apiVersion"] ?? "";

        if (cluster["metadata"] is { } notAMap && notAMap is not JsonObject)
        {
            problems.Add(Problem.Error(subject, "metadata", $"must be a map, got {Truncate(notAMap.ToJsonString())}"));
        }
        else if (name is null)
        {
            problems.Add(Problem.Error(subject, "metadata.name", "is missing; a Cluster needs a name"));
        }
        else if (!DnsLabel().IsMatch(name) || name.Length > 63)
        {
            problems.Add(Problem.Error(subject, "metadata.name",
                $"'{Truncate(name)}' is not a valid Cluster name (lowercase alphanumerics and '-', at most 63 characters)"));
        }

        if (!DnsLabel().IsMatch(ns) || ns.Length > 63)
        {
            problems.Add(Problem.Error(subject, "metadata.namespace", $"'{Truncate(ns)}' is not a valid namespace name"));
        }

        var version = apiVersion[(apiVersion.IndexOf('/') + 1)..];
        if (!SupportedVersions.Contains(version))
        {
            problems.Add(Problem.Error(subject, "apiVersion",
                $"{apiVersion} is not supported; use {Group}/{string.Join(" or ", SupportedVersions)}"));
        }

        var labels = StringMap(metadata?["labels"], subject, "metadata.labels", problems);
        var annotations = StringMap(metadata?["annotations"], subject, "metadata.annotations", problems);
        var spec = MapAt(cluster, "spec", subject, "spec", problems);
        var (endpoint, pendingField) = ReadEndpoint(spec?["controlPlaneEndpoint"], subject, OwnEndpointField, problems);
        var network = MapAt(spec, "clusterNetwork", subject, "spec.clusterNetwork", problems);
        var podCidrs = ReadCidrs(MapAt(network, "pods", subject, "spec.clusterNetwork.pods", problems)?["cidrBlocks"], subject, "spec.clusterNetwork.pods.cidrBlocks", problems);
        var serviceCidrs = ReadCidrs(MapAt(network, "services", subject, "spec.clusterNetwork.services", problems)?["cidrBlocks"], subject, "spec.clusterNetwork.services.cidrBlocks", problems);
        var kubernetesVersion = StringAt(spec?["topology"] as JsonObject, "version");

        if (problems.Any(p => p.Severity == ProblemSeverity.Error) || name is null)
        {
            return new ClusterReadResult(null, problems);
        }

        var facts = new ClusterFacts(ns, name, StringAt(metadata, "uid"), apiVersion, labels, annotations, endpoint,
            podCidrs, serviceCidrs, kubernetesVersion)
        { PendingEndpointField = pendingField };
        return new ClusterReadResult(facts, problems);
    }

    /// <summary>Where a Cluster keeps its own endpoint; other objects (infrastructure clusters) use the same path.</summary>
    public const string OwnEndpointField = "spec.controlPlaneEndpoint";

    /// <summary>
    /// Reads and validates a <c>{host, port}</c> endpoint found at <paramref name="field"/> of <paramref name="subject"/>:
    /// the Cluster's own, its infrastructure cluster's or a topology variable's value, all held to the same rules.
    /// An unset endpoint is normal for a new Metal3 Cluster (omitted in v1beta2, empty host and port 0 in v1beta1):
    /// it yields null, the unset field, and no problem. A present but malformed one is an error.
    /// </summary>
    public static (ControlPlaneEndpoint? Endpoint, string? PendingField) ReadEndpoint(JsonNode? node, string subject, string field, List<Problem> problems)
    {
        if (node is null)
        {
            return (null, field);
        }

        if (node is not JsonObject)
        {
            // Indexing a list or a string by "host" would throw and take every other Cluster down with it.
            problems.Add(Problem.Error(subject, field, $"must be a map with host and port, got {Truncate(node.ToJsonString())}"));
            return (null, null);
        }

        var hostField = field + ".host";
        var portField = field + ".port";
        string? rawHost = null;
        if (node["host"] is JsonNode hostNode)
        {
            if (hostNode.GetValueKind() != System.Text.Json.JsonValueKind.String)
            {
                problems.Add(Problem.Error(subject, hostField, $"must be a string, got {Truncate(hostNode.ToJsonString())}"));
                return (null, null);
            }

            rawHost = (string?)hostNode;
        }

        int? port = null;
        if (node["port"] is JsonNode portNode)
        {
            if (!TryGetInteger(portNode, out var p))
            {
                problems.Add(Problem.Error(subject, portField, $"must be an integer port, got {Truncate(portNode.ToJsonString())}"));
                return (null, null);
            }

            port = p is >= int.MinValue and <= int.MaxValue ? (int)p : -1;
        }

        if (string.IsNullOrWhiteSpace(rawHost))
        {
            return (null, port is null or 0 ? field : hostField);
        }

        var host = NormaliseHost(rawHost, subject, problems, field);
        if (host is null)
        {
            return (null, null);
        }

        if (port is null or 0)
        {
            return (null, portField);
        }

        if (port is < 1 or > 65535)
        {
            problems.Add(Problem.Error(subject, portField, $"{port} is not a TCP port (1-65535)"));
            return (null, null);
        }

        return (new ControlPlaneEndpoint(host, port.Value), null);
    }

    /// <summary>
    /// Returns the bare host, or null when the host is missing (not ready) or invalid (problem added). The host ends
    /// up in Helm values and in every Cilium agent's environment, so anything that is not an IP address or a DNS
    /// name is refused rather than passed on.
    /// </summary>
    /// <param name="endpointField">The endpoint holding the host, for messages (the host is its <c>.host</c>).</param>
    public static string? NormaliseHost(string rawHost, string subject, List<Problem> problems, string endpointField = OwnEndpointField)
    {
        var field = endpointField + ".host";
        var host = rawHost.Trim();
        if (host.Length == 0)
        {
            return null;
        }

        var schemeEnd = host.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd >= 0)
        {
            var scheme = host[..schemeEnd].ToLowerInvariant();
            if (scheme is not ("https" or "http"))
            {
                problems.Add(Problem.Error(subject, field, $"'{Truncate(rawHost)}' has an unsupported scheme '{Truncate(scheme)}'"));
                return null;
            }

            host = host[(schemeEnd + 3)..];
            problems.Add(Problem.Warning(subject, field, $"the scheme was stripped from '{Truncate(rawHost)}'; Cilium needs the bare host"));
            if (host.EndsWith('/'))
            {
                host = host[..^1];
            }
        }

        if (host.StartsWith('[') && host.EndsWith(']') && IPAddress.TryParse(host[1..^1], out var bracketed)
            && bracketed.AddressFamily == AddressFamily.InterNetworkV6)
        {
            host = host[1..^1];
        }

        // IPAddress.TryParse alone is too lenient ("10" parses as 0.0.0.10), so the shape decides the family first.
        // IPAddress.TryParse accepts "[fd00::1]:6443" and "fd00::1/64", dropping the port or prefix without a word.
        if (host.Contains(':') && !host.Contains('[') && !host.Contains(']') && !host.Contains('/'))
        {
            if (IPAddress.TryParse(host, out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6 && v6.ScopeId == 0)
            {
                return v6.ToString();
            }
        }
        else if (Ipv4Literal().IsMatch(host))
        {
            if (IPAddress.TryParse(host, out var v4) && v4.ToString() == host)
            {
                return host;
            }
        }
        else if (DnsName().IsMatch(host) && !host.All(c => char.IsAsciiDigit(c) || c == '.'))
        {
            return host.ToLowerInvariant();
        }

        problems.Add(Problem.Error(subject, field,
            $"'{Truncate(rawHost)}' is not an IP address or DNS name (no port, path, spaces, ',' or '=' allowed)",
            $"set the host alone, e.g. 192.0.2.10, fd00::10 or api.cluster.example; the port belongs in {endpointField}.port"));
        return null;
    }

    private static List<IpCidr> ReadCidrs(JsonNode? node, string subject, string field, List<Problem> problems)
    {
        var cidrs = new List<IpCidr>();
        if (node is null)
        {
            return cidrs;
        }

        if (node is not JsonArray array)
        {
            problems.Add(Problem.Error(subject, field, $"must be a list of CIDR strings, got {Truncate(node.ToJsonString())}"));
            return cidrs;
        }

        for (var i = 0; i < array.Count; i++)
        {
            var text = array[i]?.GetValueKind() == System.Text.Json.JsonValueKind.String ? (string?)array[i] : null;
            if (text is null || !IpCidr.TryParse(text, out var cidr))
            {
                problems.Add(Problem.Error(subject, $"{field}[{i}]", $"'{Truncate(array[i]?.ToJsonString() ?? "null")}' is not a CIDR block"));
                continue;
            }

            if (cidrs.Any(c => c.IsIpv6 == cidr!.IsIpv6))
            {
                problems.Add(Problem.Error(subject, $"{field}[{i}]",
                    $"a second {(cidr!.IsIpv6 ? "IPv6" : "IPv4")} block; Cluster API allows one per family"));
                continue;
            }

            cidrs.Add(cidr!);
        }

        return cidrs;
    }

    private static Dictionary<string, string> StringMap(JsonNode? node, string subject, string field, List<Problem> problems)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node is null)
        {
            return map;
        }

        if (node is not JsonObject obj)
        {
            problems.Add(Problem.Error(subject, field, "must be a map of strings"));
            return map;
        }

        foreach (var (key, value) in obj)
        {
            if (value?.GetValueKind() != System.Text.Json.JsonValueKind.String)
            {
                problems.Add(Problem.Error(subject, $"{field}[{key}]", $"must be a string, got {Truncate(value?.ToJsonString() ?? "null")}"));
                continue;
            }

            map[key] = (string)value!;
        }

        return map;
    }

    /// <summary>
    /// An integer whether the tree came from JSON (a JsonElement inside), our YAML reader (a long) or code (an int):
    /// JsonValue only converts between the two representations it was created with.
    /// </summary>
    private static bool TryGetInteger(JsonNode node, out long value)
    {
        value = 0;
        if (node.GetValueKind() != System.Text.Json.JsonValueKind.Number)
        {
            return false;
        }

        var json = node.AsValue();
        if (json.TryGetValue<int>(out var small))
        {
            value = small;
            return true;
        }

        return json.TryGetValue(out value)
            || (json.TryGetValue<System.Text.Json.JsonElement>(out var element) && element.TryGetInt64(out value));
    }

    /// <summary>The map at obj[key]; null when absent, and an error (not an exception) when it is not a map.</summary>
    private static JsonObject? MapAt(JsonObject? obj, string key, string subject, string field, List<Problem> problems)
    {
        var node = obj?[key];
        if (node is null or JsonObject)
        {
            return node as JsonObject;
        }

        problems.Add(Problem.Error(subject, field, $"must be a map, got {Truncate(node.ToJsonString())}"));
        return null;
    }

    private static string? StringAt(JsonObject? obj, string key) =>
        obj?[key]?.GetValueKind() == System.Text.Json.JsonValueKind.String ? (string?)obj[key] : null;

    /// <summary>Inputs can be huge; messages quote only their start.</summary>
    internal static string Truncate(string text) => text.Length <= 80 ? text : text[..77] + "...";

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex DnsLabel();

    [GeneratedRegex(@"^(?=.{1,253}$)([a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*$")]
    private static partial Regex DnsName();

    [GeneratedRegex(@"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$")]
    private static partial Regex Ipv4Literal();
}
