using System.Text.Json.Nodes;
using CapiCiliumAddon.Kubernetes;

namespace CapiCiliumAddon.Controller.Tests.Fakes;

public static class Objects
{
    public static JsonObject Cluster(string ns, string name, string? host = "10.0.0.10", int port = 6443, bool cilium = true)
    {
        var labels = new JsonObject();
        if (cilium) { labels["cni"] = "cilium"; }
        var spec = new JsonObject { ["clusterNetwork"] = new JsonObject { ["pods"] = new JsonObject { ["cidrBlocks"] = new JsonArray("10.244.0.0/16") } } };
        if (host is not null) { spec["controlPlaneEndpoint"] = new JsonObject { ["host"] = host, ["port"] = port }; }
        return new JsonObject
        {
            ["apiVersion"] = ResourceType.Cluster.ApiVersion,
            ["kind"] = "Cluster",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["labels"] = labels },
            ["spec"] = spec,
        };
    }

    public static JsonObject ConfigMap(string ns, string name, Dictionary<string, string>? data = null, Dictionary<string, string>? labels = null)
    {
        var d = new JsonObject();
        foreach (var (k, v) in data ?? []) { d[k] = v; }
        var l = new JsonObject();
        foreach (var (k, v) in labels ?? []) { l[k] = v; }
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["labels"] = l },
            ["data"] = d,
        };
    }
}
