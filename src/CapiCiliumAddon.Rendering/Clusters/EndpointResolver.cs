using System.Text.Json;
using System.Text.Json.Nodes;

namespace CapiCiliumAddon.Rendering.Clusters;

/// <summary>
/// Finds a Cluster's control plane endpoint in the files people keep in git, where Cluster API has not copied it
/// onto the Cluster yet. In order: the Cluster's own <c>spec.controlPlaneEndpoint</c>; the infrastructure cluster its
/// <c>spec.infrastructureRef</c> names, found among the input files (any provider kind with a
/// <c>spec.controlPlaneEndpoint</c>: Metal3Cluster, VSphereCluster, ProxmoxCluster, ...); for a ClusterClass Cluster,
/// the topology variable holding <c>{host, port}</c>. Every endpoint found passes the Cluster's own validation, and
/// two places that state different endpoints are an error: Cilium would be pointed at one while the control plane
/// answers at the other. The controller does not come here: it reads live Clusters after Cluster API's copy.
/// </summary>
/// <param name="defaultVariable">The topology variable to read when a Cluster does not name one by annotation.</param>
public sealed class EndpointResolver(InputObjects objects, string defaultVariable = EndpointResolver.DefaultVariable)
{
    /// <summary>What Cluster API Provider Metal3's ClusterClass calls it (a required variable of shape {host, port}).</summary>
    public const string DefaultVariable = "controlPlaneEndpoint";

    private const string InfrastructureRefField = "spec.infrastructureRef";
    private const string VariablesField = "spec.topology.variables";
    private const string VariableAnnotationField = $"metadata.annotations[{AddonKeys.EndpointVariableAnnotation}]";

    /// <summary>
    /// The Cluster read with its endpoint resolved: <see cref="ClusterFacts.Endpoint"/> and its
    /// <see cref="ClusterFacts.EndpointSource"/>, or, when no place has one yet, a <see cref="ClusterFacts.PendingEndpointReason"/>
    /// saying where it looked. Problems (invalid references or values, conflicts) are added to the read's.
    /// </summary>
    public ClusterReadResult Resolve(JsonObject cluster, ClusterReadResult read)
    {
        if (read.Facts is not { } facts)
        {
            return read;
        }

        var problems = new List<Problem>();
        var spec = cluster["spec"] as JsonObject;
        var found = new List<(ControlPlaneEndpoint Endpoint, EndpointSource Source)>();
        var lookedAt = new List<string>();
        string? waitingField = null;
        string? fix = null;

        if (facts.Endpoint is { } own)
        {
            found.Add((own, EndpointSource.ClusterItself));
        }
        else
        {
            lookedAt.Add($"the Cluster has no {facts.PendingEndpointField ?? ClusterReader.OwnEndpointField}");
        }

        var reference = ReadInfrastructureRef(spec?["infrastructureRef"], facts, problems);
        if (reference is not null)
        {
            var definitions = objects.Find(reference);
            if (definitions.Count == 0)
            {
                var elsewhere = objects.OtherNamespaces(reference);
                lookedAt.Add($"{reference}, which its {InfrastructureRefField} names, is not among the input files"
                    + (elsewhere.Count == 0 ? "" : $" (a {reference.Kind} {reference.Name} in namespace {string.Join(", ", elsewhere)} is another object)"));
                waitingField = InfrastructureRefField;
                fix = $"add the file that defines {reference} to the inputs";
            }
            else if (definitions.Count > 1)
            {
                problems.Add(Problem.Error(reference.ToString(), "metadata.name",
                    $"defined {definitions.Count} times ({string.Join(", ", definitions.Select(d => d.Location))}), so the endpoint of Cluster {facts.Key} is ambiguous",
                    "remove or rename the duplicates"));
            }
            else if (ReadObjectEndpoint(reference, definitions[0], problems) is var (endpoint, pending))
            {
                if (endpoint is not null)
                {
                    found.Add((endpoint, new EndpointSource(reference.ToString(), ClusterReader.OwnEndpointField)));
                }
                else if (pending is not null)
                {
                    lookedAt.Add($"{reference} has no {pending} (in {definitions[0].Location})");
                }
            }
        }

        var variable = VariableName(facts, problems);
        if (spec?["topology"] is JsonObject topology)
        {
            var variableField = $"{VariablesField}[{ClusterReader.Truncate(variable)}]";
            var (present, value) = FindVariable(topology["variables"], variable, facts.Key, problems);
            if (!present)
            {
                lookedAt.Add($"the topology has no variable '{ClusterReader.Truncate(variable)}'");
                waitingField ??= VariablesField;
                fix ??= $"set the topology variable '{ClusterReader.Truncate(variable)}' to {{host, port}}, or name the variable that holds them with the annotation {AddonKeys.EndpointVariableAnnotation} (or --endpoint-variable)";
            }
            else
            {
                var (endpoint, pending) = ClusterReader.ReadEndpoint(value, facts.Key, variableField + ".value", problems);
                if (endpoint is not null)
                {
                    found.Add((endpoint, new EndpointSource(null, variableField + ".value")));
                }
                else if (pending is not null)
                {
                    lookedAt.Add($"{pending} is not set");
                }
            }
        }
        else if (facts.Annotations.ContainsKey(AddonKeys.EndpointVariableAnnotation))
        {
            problems.Add(Problem.Warning(facts.Key, VariableAnnotationField,
                "has no effect: the Cluster has no spec.topology, so no topology variable is read", "remove the annotation"));
        }

        foreach (var (endpoint, source) in found.Skip(1).Where(f => f.Endpoint != found[0].Endpoint))
        {
            var (first, firstSource) = found[0];
            problems.Add(Problem.Error(facts.Key, firstSource.IsClusterItself ? firstSource.Field : InfrastructureRefField,
                $"{Describe(firstSource, facts)} is {first} but {Describe(source, facts)} is {endpoint}: Cilium would be pointed at one while the control plane answers at the other",
                "make them agree, or keep the endpoint in one place (Cluster API copies it onto the Cluster at run time)"));
        }

        var allProblems = read.Problems.Concat(problems).ToList();
        if (problems.Any(p => p.Severity == ProblemSeverity.Error))
        {
            return new ClusterReadResult(facts, allProblems);
        }

        if (found.Count > 0)
        {
            var (endpoint, source) = found[0];
            return new ClusterReadResult(facts with { Endpoint = endpoint, EndpointSource = source, PendingEndpointField = null }, allProblems);
        }

        if (reference is null && spec?["topology"] is not JsonObject)
        {
            lookedAt[^1] += $", and neither {InfrastructureRefField} nor spec.topology to read it from";
        }

        var reason = Problem.Warning(facts.Key, waitingField ?? facts.PendingEndpointField ?? ClusterReader.OwnEndpointField,
            $"the control plane endpoint is not set yet: {string.Join("; ", lookedAt)}; nothing is rendered until it has a host and a port",
            fix ?? $"set spec.controlPlaneEndpoint (host and port) on the Cluster, or on the infrastructure cluster its {InfrastructureRefField} names");
        return new ClusterReadResult(facts with { PendingEndpointReason = reason }, allProblems);
    }

    private static string Describe(EndpointSource source, ClusterFacts facts) =>
        source.IsClusterItself ? $"Cluster {facts.Key} {source.Field}" : source.ToString();

    /// <summary>
    /// The object the reference names, in the Cluster's namespace. v1beta2 refs are <c>{apiGroup, kind, name}</c>;
    /// v1beta1 refs are <c>{apiVersion, kind, name[, namespace]}</c>, and Cluster API's webhook refuses a namespace
    /// other than the Cluster's, so such a ref is an error here too rather than a lookup elsewhere.
    /// </summary>
    private static ObjectReference? ReadInfrastructureRef(JsonNode? node, ClusterFacts facts, List<Problem> problems)
    {
        if (node is null)
        {
            return null;
        }

        if (node is not JsonObject reference)
        {
            problems.Add(Problem.Error(facts.Key, InfrastructureRefField, $"must be a map naming the infrastructure cluster, got {ClusterReader.Truncate(node.ToJsonString())}"));
            return null;
        }

        var errors = problems.Count;
        var kind = RequiredString(reference, "kind", facts, problems);
        var name = RequiredString(reference, "name", facts, problems);
        string? group;
        if (facts.ApiVersion.EndsWith("/v1beta2", StringComparison.Ordinal))
        {
            group = reference.ContainsKey("apiGroup") || !reference.ContainsKey("apiVersion")
                ? RequiredString(reference, "apiGroup", facts, problems)
                : Missing(facts, problems, "apiGroup", "v1beta2 references name the API group (apiGroup: infrastructure.cluster.x-k8s.io), not an apiVersion");
        }
        else
        {
            var apiVersion = reference.ContainsKey("apiVersion") || !reference.ContainsKey("apiGroup")
                ? RequiredString(reference, "apiVersion", facts, problems)
                : Missing(facts, problems, "apiVersion", "v1beta1 references carry apiVersion (e.g. infrastructure.cluster.x-k8s.io/v1beta1), not apiGroup");
            group = apiVersion is null ? null : InputObjects.GroupOf(apiVersion);
            if (reference.ContainsKey("namespace") && RequiredString(reference, "namespace", facts, problems) is { } ns && ns != facts.Namespace)
            {
                problems.Add(Problem.Error(facts.Key, InfrastructureRefField + ".namespace",
                    $"'{ClusterReader.Truncate(ns)}' must match metadata.namespace ('{facts.Namespace}'): Cluster API refuses a reference to another namespace"));
            }
        }

        return problems.Count > errors || kind is null || name is null || group is null ? null : new ObjectReference(group, kind, facts.Namespace, name);
    }

    private static string? Missing(ClusterFacts facts, List<Problem> problems, string key, string message)
    {
        problems.Add(Problem.Error(facts.Key, $"{InfrastructureRefField}.{key}", $"is missing: {message}"));
        return null;
    }

    private static string? RequiredString(JsonObject reference, string key, ClusterFacts facts, List<Problem> problems)
    {
        var field = $"{InfrastructureRefField}.{key}";
        switch (reference[key])
        {
            case null:
                problems.Add(Problem.Error(facts.Key, field, "is missing"));
                return null;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String && ((string)value!).Length > 0:
                return (string)value!;
            case var other:
                problems.Add(Problem.Error(facts.Key, field, $"must be a non-empty string, got {ClusterReader.Truncate(other.ToJsonString())}"));
                return null;
        }
    }

    /// <summary>The infrastructure cluster's spec.controlPlaneEndpoint, named after that object in any problem.</summary>
    private static (ControlPlaneEndpoint? Endpoint, string? PendingField) ReadObjectEndpoint(ObjectReference reference, InputObject definition, List<Problem> problems)
    {
        var subject = reference.ToString();
        switch (definition.Content["spec"])
        {
            case null:
                return (null, ClusterReader.OwnEndpointField);
            case JsonObject spec:
                return ClusterReader.ReadEndpoint(spec["controlPlaneEndpoint"], subject, ClusterReader.OwnEndpointField, problems);
            case var other:
                problems.Add(Problem.Error(subject, "spec", $"must be a map, got {ClusterReader.Truncate(other.ToJsonString())} (in {definition.Location})"));
                return (null, null);
        }
    }

    /// <summary>The Cluster's annotation, else the run's default.</summary>
    private string VariableName(ClusterFacts facts, List<Problem> problems)
    {
        if (!facts.Annotations.TryGetValue(AddonKeys.EndpointVariableAnnotation, out var named))
        {
            return defaultVariable;
        }

        if (string.IsNullOrWhiteSpace(named))
        {
            problems.Add(Problem.Error(facts.Key, VariableAnnotationField, "is empty", "name the topology variable that holds {host, port}, or remove the annotation"));
            return defaultVariable;
        }

        return named.Trim();
    }

    /// <summary>spec.topology.variables[] of {name, value}, in v1beta2 and v1beta1 alike; (false, null) when absent.</summary>
    private static (bool Present, JsonNode? Value) FindVariable(JsonNode? variables, string name, string subject, List<Problem> problems)
    {
        if (variables is null)
        {
            return (false, null);
        }

        if (variables is not JsonArray list)
        {
            problems.Add(Problem.Error(subject, VariablesField, $"must be a list of {{name, value}}, got {ClusterReader.Truncate(variables.ToJsonString())}"));
            return (false, null);
        }

        var matches = new List<JsonNode?>();
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is not JsonObject variable || variable["name"] is not JsonValue variableName || variableName.GetValueKind() != JsonValueKind.String)
            {
                problems.Add(Problem.Error(subject, $"{VariablesField}[{i}]", $"must be a map with a name and a value, got {ClusterReader.Truncate(list[i]?.ToJsonString() ?? "null")}"));
                continue;
            }

            if ((string)variableName! == name)
            {
                matches.Add(variable["value"]);
            }
        }

        if (matches.Count > 1)
        {
            problems.Add(Problem.Error(subject, $"{VariablesField}[{ClusterReader.Truncate(name)}]", $"is set {matches.Count} times; Cluster API allows each variable once"));
            return (false, null);
        }

        return matches.Count == 1 ? (true, matches[0]) : (false, null);
    }
}
