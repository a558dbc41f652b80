using System.Text.Json.Nodes;
using CapiCiliumAddon.Rendering.Clusters;
using CapiCiliumAddon.Rendering.Planning;
using CapiCiliumAddon.Rendering.Settings;

namespace CapiCiliumAddon.Benchmarks;

/// <summary>Where the repository is, and the inputs every measurement shares.</summary>
internal static class BenchInputs
{
    /// <summary>The recorded real bare-metal render (chart 1.18.12) the post-processing runs on.</summary>
    public const string Recording = "baremetal-native-bgp-1.18";

    public static string RepositoryRoot { get; } = FindRoot();

    public static string RecordedOutput() =>
        File.ReadAllText(Path.Combine(RepositoryRoot, "tests", "fixtures", "cilium-cli", Recording, "stdout.yaml"));

    public static PlanContext PlanContext(string cliVersion = "v0.19.7-12-ge694be34c") =>
        new(new ProfileLibrary(Path.Combine(RepositoryRoot, "templates")), [], null, cliVersion, "0.1.0");

    /// <summary>The Cluster the recording was made for: endpoint 10.250.250.29:6443, pods 10.244.0.0/16, and the name
    /// `default` (the recording sets no cluster.name, so the chart's `default` is what the checks must find).</summary>
    public static JsonObject RecordedCluster() => Cluster("metal3", "default", "10.250.250.29", "10.244.0.0/16");

    public static JsonObject Cluster(string ns, string name, string host, string podCidr) => new()
    {
        ["apiVersion"] = "cluster.x-k8s.io/v1beta2",
        ["kind"] = "Cluster",
        ["metadata"] = new JsonObject
        {
            ["name"] = name,
            ["namespace"] = ns,
            ["labels"] = new JsonObject { ["cni"] = "cilium", ["addon.capi-cilium.io/cluster-name"] = name },
        },
        ["spec"] = new JsonObject
        {
            ["clusterNetwork"] = new JsonObject { ["pods"] = new JsonObject { ["cidrBlocks"] = new JsonArray(podCidr) } },
            ["controlPlaneEndpoint"] = new JsonObject { ["host"] = host, ["port"] = 6443 },
        },
    };

    public static ClusterFacts Facts(JsonObject cluster) =>
        ClusterReader.Read(cluster).Facts ?? throw new InvalidOperationException("the benchmark Cluster does not read");

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "CapiCiliumAddon.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No CapiCiliumAddon.sln in {AppContext.BaseDirectory} or above; run from the repository.");
    }
}
