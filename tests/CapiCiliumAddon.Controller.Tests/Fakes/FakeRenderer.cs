using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CapiCiliumAddon.Rendering;

namespace CapiCiliumAddon.Controller.Tests.Fakes;

/// <summary>
/// Stands in for the rendering core. Plan: NotReady without an endpoint host; Invalid with annotation
/// test/invalid; Ready otherwise, with the hash of spec + annotations + values. Renders ConfigMaps
/// "&lt;name&gt;-cilium[-N]" (annotation test/parts, default 1) and the CRS "&lt;name&gt;-cilium".
/// </summary>
public sealed class FakeRenderer : IClusterAddonRenderer
{
    public const string ValuesAnnotation = "addon.capi-cilium.io/values-configmap";
    private int renders;

    public int Renders => Volatile.Read(ref renders);

    /// <summary>When set, RenderAsync waits on it (honouring cancellation) before answering.</summary>
    public TaskCompletionSource? Gate { get; set; }

    public TaskCompletionSource RenderStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource RenderCancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyList<Problem>? FailWith { get; set; }

    public IReadOnlyList<string> ReferencedConfigMaps(JsonObject cluster) =>
        cluster["metadata"]?["annotations"]?[ValuesAnnotation]?.GetValue<string>() is { } n ? [n] : [];

    public AddonPlanOutcome Plan(JsonObject cluster, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> configMaps)
    {
        var ns = cluster["metadata"]!["namespace"]!.GetValue<string>();
        var name = cluster["metadata"]!["name"]!.GetValue<string>();
        var annotations = cluster["metadata"]?["annotations"] as JsonObject;
        if (annotations?["test/invalid"] is not null)
        {
            return new AddonPlanOutcome.Invalid([Problem.Error($"{ns}/{name}", "metadata.annotations[test/invalid]", "told to be invalid")]);
        }

        var host = cluster["spec"]?["controlPlaneEndpoint"]?["host"]?.GetValue<string>();
        if (string.IsNullOrEmpty(host))
        {
            return new AddonPlanOutcome.NotReady(Problem.Warning($"{ns}/{name}", "spec.controlPlaneEndpoint.host", "is empty; the infrastructure provider has not set it yet"));
        }

        var parts = int.Parse(annotations?["test/parts"]?.GetValue<string>() ?? "1", System.Globalization.CultureInfo.InvariantCulture);
        var values = string.Join(";", configMaps.OrderBy(kv => kv.Key).SelectMany(kv => kv.Value.OrderBy(d => d.Key).Select(d => $"{kv.Key}.{d.Key}={d.Value}")));
        var input = cluster["spec"]!.ToJsonString() + (annotations?.ToJsonString() ?? "") + values;
        var hash = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(input)))[..16];
        var names = Enumerable.Range(1, parts).Select(i => new AddonObjectName("v1", "ConfigMap", PartName(name, i)))
            .Append(new AddonObjectName("addons.cluster.x-k8s.io/v1beta2", "ClusterResourceSet", $"{name}-cilium")).ToList();
        return new AddonPlanOutcome.Ready(new AddonPlan(ns, name, hash, "1.18.12", new("addon.capi-cilium.io/cluster-name", name), names, parts));
    }

    public async Task<AddonRenderOutcome> RenderAsync(AddonPlan plan, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref renders);
        RenderStarted.TrySetResult();
        if (Gate is { } gate)
        {
            try
            {
                await gate.Task.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                RenderCancelled.TrySetResult();
                throw;
            }
        }

        if (FailWith is { } problems) { return new AddonRenderOutcome.Failed(problems); }
        var parts = (int)plan.Payload;
        var objects = new List<JsonObject>();
        for (var i = 1; i <= parts; i++)
        {
            objects.Add(new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "ConfigMap",
                ["metadata"] = Meta(plan, PartName(plan.ClusterName, i)),
                ["data"] = new JsonObject { ["cilium.yaml"] = $"# part {i} of {plan.ClusterName} {plan.InputHash}\n" },
            });
        }

        objects.Add(new JsonObject
        {
            ["apiVersion"] = "addons.cluster.x-k8s.io/v1beta2",
            ["kind"] = "ClusterResourceSet",
            ["metadata"] = Meta(plan, $"{plan.ClusterName}-cilium"),
            ["spec"] = new JsonObject
            {
                ["clusterSelector"] = new JsonObject { ["matchLabels"] = new JsonObject { [plan.SelectorLabel.Key] = plan.SelectorLabel.Value } },
                ["strategy"] = "ApplyOnce",
                ["resources"] = new JsonArray(Enumerable.Range(1, parts).Select(i => (JsonNode)new JsonObject { ["name"] = PartName(plan.ClusterName, i), ["kind"] = "ConfigMap" }).ToArray()),
            },
        });
        return new AddonRenderOutcome.Rendered(objects, []);
    }

    private static string PartName(string cluster, int i) => i == 1 ? $"{cluster}-cilium" : $"{cluster}-cilium-{i}";

    private static JsonObject Meta(AddonPlan plan, string name) => new()
    {
        ["name"] = name,
        ["namespace"] = plan.Namespace,
        ["labels"] = new JsonObject { ["addon.capi-cilium.io/cluster-name"] = plan.ClusterName, ["app.kubernetes.io/managed-by"] = "capi-cilium-addon" },
        ["annotations"] = new JsonObject { ["addon.capi-cilium.io/input-hash"] = plan.InputHash },
    };
}
