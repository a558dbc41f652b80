using System.Text;
using System.Text.Json.Nodes;
using CapiCiliumAddon.Rendering;
using CapiCiliumAddon.Rendering.Clusters;
using CapiCiliumAddon.Rendering.Yaml;

namespace CapiCiliumAddon.Rendering.Tests.Clusters;

public class ClusterReaderTests
{
    internal static string ClusterYaml(string endpoint = "host: 10.250.250.29\n    port: 6443", string pods = "[\"10.244.0.0/16\"]",
        string apiVersion = "cluster.x-k8s.io/v1beta2", string name = "capi-1", string extraMetadata = "") => $"""
        apiVersion: {apiVersion}
        kind: Cluster
        metadata:
          name: {name}
          namespace: metal3
          labels:
            cni: cilium
        {extraMetadata}
        spec:
          clusterNetwork:
            pods:
              cidrBlocks: {pods}
            services:
              cidrBlocks: ["10.96.0.0/12"]
          controlPlaneEndpoint:
            {endpoint}
        """;

    internal static ClusterReadResult Read(string yaml) =>
        ClusterReader.Read((JsonObject)YamlDocuments.Parse(yaml, "test.yaml").Single().Content!);

    [Test]
    public void ReadsV1Beta2AndV1Beta1Alike()
    {
        var v2 = Read(ClusterYaml());
        var v1 = Read(ClusterYaml(apiVersion: "cluster.x-k8s.io/v1beta1"));

        Assert.That(v2.Problems.Concat(v1.Problems), Is.Empty);
        Assert.That(v2.Facts!.Endpoint, Is.EqualTo(new ControlPlaneEndpoint("10.250.250.29", 6443)));
        Assert.That(v1.Facts!.Endpoint, Is.EqualTo(v2.Facts.Endpoint));
        Assert.That(v2.Facts.Ipv4PodCidr!.ToString(), Is.EqualTo("10.244.0.0/16"));
        Assert.That(v2.Facts.Key, Is.EqualTo("metal3/capi-1"));
    }

    [Test]
    public void ReadsTheRecordedApiServerObjectsOfBothVersions()
    {
        foreach (var fixture in new[] { "get-cluster-v1beta2-200.json", "get-cluster-v1beta1-200.json" })
        {
            var path = Path.Combine(CapiCiliumAddon.Testing.RepositoryPaths.Fixtures, "kube-api", fixture);
            var result = ClusterReader.Read((JsonObject)YamlDocuments.ReadFile(path).Single().Content!);
            Assert.That(result.Facts!.Endpoint, Is.EqualTo(new ControlPlaneEndpoint("10.250.250.29", 6443)), fixture);
            Assert.That(result.Facts.Uid, Is.Not.Null, fixture);
        }
    }

    [Test]
    public void ReadsAClusterBuiltInMemoryByCode()
    {
        var cluster = (JsonObject)YamlDocuments.Parse(ClusterYaml(), "test.yaml").Single().Content!;
        cluster["spec"]!["controlPlaneEndpoint"]!["port"] = 6443;

        Assert.That(ClusterReader.Read(cluster).Facts!.Endpoint!.Port, Is.EqualTo(6443));
    }

    [Test]
    public void AnOmittedEndpointIsNotReadyNotAnError()
    {
        var path = Path.Combine(CapiCiliumAddon.Testing.RepositoryPaths.Fixtures, "kube-api", "create-cluster-no-endpoint-201.json");
        var result = ClusterReader.Read((JsonObject)YamlDocuments.ReadFile(path).Single().Content!);

        Assert.That(result.IsValid);
        Assert.That(result.Facts!.Endpoint, Is.Null);
        Assert.That(result.Facts.PendingEndpointField, Is.EqualTo("spec.controlPlaneEndpoint"));
    }

    [TestCase("host: 10.0.0.1\n    port: 0", "spec.controlPlaneEndpoint.port")]
    [TestCase("host: 10.0.0.1", "spec.controlPlaneEndpoint.port")]
    [TestCase("host: \"\"\n    port: 6443", "spec.controlPlaneEndpoint.host")]
    [TestCase("host: \"\"\n    port: 0", "spec.controlPlaneEndpoint")]
    public void AnIncompleteEndpointNamesTheMissingField(string endpoint, string field)
    {
        var result = Read(ClusterYaml(endpoint));

        Assert.That(result.IsValid);
        Assert.That(result.Facts!.Endpoint, Is.Null);
        Assert.That(result.Facts.PendingEndpointField, Is.EqualTo(field));
    }

    [TestCase("https://10.0.0.1", "10.0.0.1")]
    [TestCase("https://api.example.com/", "api.example.com")]
    [TestCase("fd00::1", "fd00::1")]
    [TestCase("https://[fd00::1]", "fd00::1")]
    [TestCase("API.Example.COM", "api.example.com")]
    public void AcceptsAndNormalisesHosts(string host, string expected)
    {
        var result = Read(ClusterYaml($"host: \"{host}\"\n    port: 6443"));

        Assert.That(result.IsValid, () => string.Join("\n", result.Problems));
        Assert.That(result.Facts!.Endpoint!.Host, Is.EqualTo(expected));
    }

    [TestCase("10.0.0.1,10.0.0.2")]
    [TestCase("k8sServicePort=1")]
    [TestCase("api example.com")]
    [TestCase("10.0.0.1:6443")]
    [TestCase("https://10.0.0.1/path")]
    [TestCase("10.0.0.300")]
    [TestCase("ftp://10.0.0.1")]
    [TestCase("fe80::1%eth0")]
    public void RejectsHostsThatWouldCorruptTheRender(string host)
    {
        var result = Read(ClusterYaml($"host: \"{host}\"\n    port: 6443"));

        Assert.That(result.IsValid, Is.False);
        var problem = result.Problems.Single(p => p.Severity == ProblemSeverity.Error);
        Assert.That(problem.Subject, Is.EqualTo("metal3/capi-1"));
        Assert.That(problem.Field, Is.EqualTo("spec.controlPlaneEndpoint.host"));
    }

    [TestCase("65536")]
    [TestCase("-1")]
    [TestCase("\"abc\"")]
    [TestCase("\"6443\"")]
    public void RejectsPortsThatAreNotTcpPorts(string port)
    {
        var result = Read(ClusterYaml($"host: 10.0.0.1\n    port: {port}"));

        Assert.That(result.IsValid, Is.False);
        Assert.That(result.Problems.Single().Field, Is.EqualTo("spec.controlPlaneEndpoint.port"));
    }

    [Test]
    public void ReadsDualStackPodCidrs()
    {
        var facts = Read(ClusterYaml(pods: "[\"10.244.0.0/16\", \"fd00:10:244::/56\"]")).Facts!;

        Assert.That(facts.Ipv4PodCidr!.ToString(), Is.EqualTo("10.244.0.0/16"));
        Assert.That(facts.Ipv6PodCidr!.ToString(), Is.EqualTo("fd00:10:244::/56"));
    }

    [TestCase("[\"10.244.0.0/33\"]", "spec.clusterNetwork.pods.cidrBlocks[0]")]
    [TestCase("[\"10.244.0.0/16\", \"10.245.0.0/16\"]", "spec.clusterNetwork.pods.cidrBlocks[1]")]
    [TestCase("\"10.244.0.0/16\"", "spec.clusterNetwork.pods.cidrBlocks")]
    public void RejectsBadPodCidrs(string pods, string field)
    {
        var result = Read(ClusterYaml(pods: pods));

        Assert.That(result.IsValid, Is.False);
        Assert.That(result.Problems.Single().Field, Is.EqualTo(field));
    }

    [Test]
    public void RejectsDuplicateKeysInsteadOfPickingOne()
    {
        var yaml = "apiVersion: cluster.x-k8s.io/v1beta2\nkind: Cluster\nkind: Cluster\nmetadata:\n  name: a\n";

        var error = Assert.Throws<InputFileException>(() => YamlDocuments.Parse(yaml, "dup.yaml"));
        Assert.That(error!.Message, Does.Contain("dup.yaml").And.Contain("duplicate key"));
    }

    [Test]
    public void RejectsAliasBombs()
    {
        var yaml = new StringBuilder("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        var previous = "a";
        for (var level = 0; level < 8; level++)
        {
            var next = $"l{level}";
            yaml.Append($"{next}: &{next} [*{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}]\n");
            previous = next;
        }

        var error = Assert.Throws<InputFileException>(() => YamlDocuments.Parse(yaml.ToString(), "bomb.yaml"));
        Assert.That(error!.Message, Does.Contain("YAML bomb"));
    }

    [Test]
    public void RejectsInvalidUtf8()
    {
        var error = Assert.Throws<InputFileException>(() => YamlDocuments.Parse([0x6b, 0x3a, 0x20, 0xff, 0xfe], "bin.yaml"));
        Assert.That(error!.Message, Is.EqualTo("bin.yaml: file is not valid UTF-8"));
    }
}
