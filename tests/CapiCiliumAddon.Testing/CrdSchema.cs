using System.Text.Json;
using System.Text.Json.Nodes;
using CapiCiliumAddon.Rendering.Clusters;
using CapiCiliumAddon.Rendering.Yaml;
using Json.Schema;

namespace CapiCiliumAddon.Testing;

/// <summary>
/// Validates objects against the openAPIV3Schema of a real CustomResourceDefinition, as strictly as an API server with
/// field validation Strict would, for what JSON Schema can express. The Kubernetes dialect is translated first:
/// <list type="bullet">
/// <item>an object schema with <c>properties</c> and neither <c>additionalProperties</c> nor
/// <c>x-kubernetes-preserve-unknown-fields</c> rejects unknown fields (the server would prune or, strict, reject them);</item>
/// <item><c>nullable: true</c> also admits null; <c>x-kubernetes-int-or-string</c> admits an integer or a string;</item>
/// <item>the top-level <c>metadata</c> (the CRD says only <c>type: object</c>) must have a name, and a namespace for
/// namespaced kinds.</item>
/// </list>
/// NOT checked (the API server does these): CEL rules (<c>x-kubernetes-validations</c>), list-type uniqueness
/// (<c>x-kubernetes-list-type</c>/<c>-map-keys</c>), <c>format</c> (e.g. date-time, int32 ranges), ObjectMeta beyond
/// name and namespace, and defaulting. The opt-in server-side dry-run test covers them on a real server.
/// </summary>
public sealed class CrdSchema
{
    private readonly JsonSchema _schema;

    private CrdSchema(string group, string kind, string version, bool namespaced, JsonSchema schema)
    {
        Group = group;
        Kind = kind;
        Version = version;
        Namespaced = namespaced;
        _schema = schema;
    }

    public string Group { get; }

    public string Kind { get; }

    public string Version { get; }

    public bool Namespaced { get; }

    public string ApiVersion => $"{Group}/{Version}";

    /// <summary>The CRD's served storage version (each fixture CRD serves exactly one).</summary>
    public static CrdSchema Load(string crdPath)
    {
        var crd = (JsonObject)YamlDocuments.Parse(File.ReadAllText(crdPath), crdPath).Single().Content!;
        var spec = (JsonObject)crd["spec"]!;
        var version = ((JsonArray)spec["versions"]!).OfType<JsonObject>().Single(v => v["storage"]?.GetValue<bool>() == true);
        var openApi = version["schema"]!["openAPIV3Schema"]!.DeepClone().AsObject();
        Translate(openApi);
        var group = spec["group"]!.GetValue<string>();
        var kind = spec["names"]!["kind"]!.GetValue<string>();
        var name = version["name"]!.GetValue<string>();
        var schema = JsonSchema.FromText(openApi.ToJsonString(), baseUri: new Uri($"https://schemas.capi-cilium.test/{group}/{name}/{kind}"));
        return new CrdSchema(group, kind, name, spec["scope"]?.GetValue<string>() == "Namespaced", schema);
    }

    /// <summary>Every violation as "instance location: message"; empty when the object is valid.</summary>
    public IReadOnlyList<string> Validate(JsonObject obj)
    {
        var errors = new List<string>();
        if (obj["apiVersion"]?.GetValue<string>() != ApiVersion || obj["kind"]?.GetValue<string>() != Kind)
        {
            errors.Add($"/: expected apiVersion {ApiVersion} kind {Kind}");
        }

        if (obj["metadata"] is not JsonObject metadata || metadata["name"] is not JsonValue)
        {
            errors.Add("/metadata/name: required");
        }
        else if (Namespaced && metadata["namespace"] is not JsonValue)
        {
            errors.Add($"/metadata/namespace: required for the namespaced kind {Kind}");
        }

        using var document = JsonDocument.Parse(obj.ToJsonString());
        var result = _schema.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (!result.IsValid)
        {
            foreach (var detail in (result.Details ?? []).Prepend(result).Where(d => d.Errors is { Count: > 0 }))
            {
                foreach (var (keyword, message) in detail.Errors!)
                {
                    errors.Add($"{detail.InstanceLocation}: {keyword}: {message}");
                }
            }
        }

        return errors.Distinct().ToList();
    }

    private static void Translate(JsonObject schema)
    {
        if (schema["nullable"]?.GetValue<bool>() == true && schema["type"] is JsonValue type)
        {
            schema["type"] = new JsonArray(type.GetValue<string>(), "null");
        }

        if (schema["x-kubernetes-int-or-string"]?.GetValue<bool>() == true)
        {
            schema.Remove("type");
            schema["anyOf"] = new JsonArray(new JsonObject { ["type"] = "integer" }, new JsonObject { ["type"] = "string" });
        }

        var preserve = schema["x-kubernetes-preserve-unknown-fields"]?.GetValue<bool>() == true;
        foreach (var key in schema.Select(p => p.Key).Where(k => k.StartsWith("x-kubernetes-", StringComparison.Ordinal) || k == "nullable").ToList())
        {
            schema.Remove(key);
        }

        if (schema["properties"] is JsonObject properties)
        {
            foreach (var (_, child) in properties)
            {
                Translate((JsonObject)child!);
            }

            if (!preserve && !schema.ContainsKey("additionalProperties"))
            {
                schema["additionalProperties"] = false;
            }
        }

        if (schema["additionalProperties"] is JsonObject additional)
        {
            Translate(additional);
        }

        if (schema["items"] is JsonObject items)
        {
            Translate(items);
        }

        foreach (var combinator in new[] { "allOf", "anyOf", "oneOf" })
        {
            foreach (var branch in (schema[combinator] as JsonArray ?? []).OfType<JsonObject>())
            {
                Translate(branch);
            }
        }

        if (schema["not"] is JsonObject not)
        {
            Translate(not);
        }
    }
}
