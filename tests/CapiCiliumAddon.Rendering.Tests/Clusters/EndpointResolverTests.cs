using System.Text.Json.Nodes;
using CapiCiliumAddon.Rendering.Clusters;
using CapiCiliumAddon.Rendering.Yaml;
using CapiCiliumAddon.Testing;

namespace CapiCiliumAddon.Rendering.Tests.Clusters;

/// <summary>
/// The endpoint of Clusters as people keep them in git: on the infrastructure cluster the Cluster references, or in a
/// ClusterClass topology variable, read through <see cref="ClusterFileSet"/> exactly as render, check and bump do.
/// </summary>
public class EndpointResolverTests
{
    private TempDirectory _temp = null!;

    [SetUp]
    public void SetUp() => _temp = new TempDirectory();

    [TearDown]
    public void TearDown() => _temp.Dispose();

    private ClusterFileSet LoadFiles(string variable, params (string Name, string Text)[] files)
    {
        var paths = new List<string>();
        foreach (var (name, text) in files)
        {
            var path = _temp.Combine(name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, text);
            paths.Add(path);
        }

        return ClusterFileSet.Load(paths, variable);
    }

    private ClusterFileSet Load(params string[] texts) =>
        LoadFiles(EndpointResolver.DefaultVariable, texts.Select((t, i) => ($"file-{i}.yaml", t)).ToArray());

    private static ClusterReadResult Only(ClusterFileSet set, string key = "")
    {
        Assert.That(set.Problems, Is.Empty, "every file reads");
        return key.Length == 0 ? set.Clusters.Single().Read : set.Clusters.Single(c => c.Read.Facts?.Key == key).Read;
    }

    private static string Text(IEnumerable<Problem> problems) => string.Join("\n", problems);

    [Test]
    public void AMetal3ClusterWithoutEndpointTakesItsMetal3ClustersFromTheSameFile()
    {
        var set = Load(ClusterRepositoryFiles.Metal3V1Beta2());

        var read = Only(set);
        Assert.That(read.IsValid, Text(read.Problems));
        Assert.That(read.Problems, Is.Empty);
        Assert.That(read.Facts!.Endpoint, Is.EqualTo(new ControlPlaneEndpoint("192.168.111.249", 6443)));
        Assert.That(read.Facts.EndpointSource.ToString(), Is.EqualTo("Metal3Cluster metal3/site-a spec.controlPlaneEndpoint"));
        Assert.That(read.Facts.PendingEndpointField, Is.Null);
        Assert.That(set.Clusters, Has.Count.EqualTo(1), "the Metal3Cluster and KubeadmControlPlane are not Clusters");
    }

    [Test]
    public void TheInfrastructureClusterMayBeInAnotherFile()
    {
        var all = ClusterRepositoryFiles.Metal3V1Beta2();
        var documents = all.Split("---\n");
        var set = LoadFiles(EndpointResolver.DefaultVariable, ("cluster.yaml", documents[0]), ("infrastructure/metal3cluster.yaml", documents[1]));

        Assert.That(Only(set).Facts!.Endpoint, Is.EqualTo(new ControlPlaneEndpoint("192.168.111.249", 6443)));
    }

    [TestCase("<ns>", TestName = "v1beta1 refs with a namespace")]
    [TestCase(null, TestName = "v1beta1 refs without a namespace")]
    public void V1Beta1RefsWithAndWithoutNamespaceFindTheMetal3Cluster(string? refNamespace)
    {
        var read = Only(Load(ClusterRepositoryFiles.Metal3V1Beta1(refNamespace: refNamespace)));

        Assert.That(read.IsValid, Text(read.Problems));
        Assert.That(read.Facts!.Endpoint, Is.EqualTo(new ControlPlaneEndpoint("192.168.111.250", 6443)));
        Assert.That(read.Facts.EndpointSource.ToString(), Is.EqualTo("Metal3Cluster metal3/site-b spec.controlPlaneEndpoint"));
    }

    [Test]
    public void AV1Beta1RefToAnotherNamespaceIsRefusedAsClusterApiRefusesIt()
    {
        var read = Only(Load(ClusterRepositoryFiles.Metal3V1Beta1(refNamespace: "elsewhere", metal3ClusterNamespace: "elsewhere")));

        Assert.That(read.IsValid, Is.False);
        var error = read.Problems.Single(p => p.Field == "spec.infrastructureRef.namespace");
        Assert.That(error.Subject, Is.EqualTo("metal3/site-b"));
        Assert.That(error.Message, Does.Contain("'elsewhere' must match metadata.namespace ('metal3')"));
    }

    [Test]
    public void ADecoyOfTheSameNameInAnotherNamespaceIsNotTheInfrastructureCluster()
    {
        var decoy = "apiVersion: infrastructure.cluster.x-k8s.io/v1beta1\nkind: Metal3Cluster\nmetadata:\n  name: site-a\n  namespace: staging\nspec:\n  controlPlaneEndpoint:\n    host: 10.99.99.99\n    port: 6443\n";
        var real = ClusterRepositoryFiles.Metal3V1Beta2();
        var clusterOnly = real.Split("---\n")[0];

        var withDecoyOnly = Only(Load(clusterOnly + "---\n" + decoy));
        Assert.That(withDecoyOnly.Facts!.Endpoint, Is.Null, "a Metal3Cluster in namespace staging is not metal3/site-a");
        Assert.That(withDecoyOnly.Facts.PendingEndpointReason!.Message,
            Does.Contain("Metal3Cluster metal3/site-a, which its spec.infrastructureRef names, is not among the input files (a Metal3Cluster site-a in namespace staging is another object)"));

        var withBoth = Only(Load(decoy + "---\n" + real));
        Assert.That(withBoth.Facts!.Endpoint!.Host, Is.EqualTo("192.168.111.249"));
    }

    [Test]
    public void AMissingInfrastructureClusterLeavesTheClusterNotReadyNamingTheObjectToAdd()
    {
        var clusterOnly = ClusterRepositoryFiles.Metal3V1Beta2().Split("---\n")[0];

        var read = Only(Load(clusterOnly));

        Assert.That(read.IsValid, "not ready is not invalid");
        Assert.That(read.Facts!.Endpoint, Is.Null);
        var reason = read.Facts.PendingEndpointReason!;
        Assert.That(reason.Severity, Is.EqualTo(ProblemSeverity.Warning));
        Assert.That(reason.Subject, Is.EqualTo("metal3/site-a"));
        Assert.That(reason.Field, Is.EqualTo("spec.infrastructureRef"));
        Assert.That(reason.Message, Does.StartWith("the control plane endpoint is not set yet: the Cluster has no spec.controlPlaneEndpoint; Metal3Cluster metal3/site-a"));
        Assert.That(reason.Fix, Is.EqualTo("add the file that defines Metal3Cluster metal3/site-a to the inputs"));
    }

    [Test]
    public void AnObjectWithoutNamespaceIsInTheDefaultNamespaceAsForClusters()
    {
        var cluster = ClusterRepositoryFiles.Metal3V1Beta2().Replace("  namespace: metal3\n", "", StringComparison.Ordinal);

        var read = Only(Load(cluster));

        Assert.That(read.Facts!.Key, Is.EqualTo("default/site-a"));
        Assert.That(read.Facts.EndpointSource.ToString(), Is.EqualTo("Metal3Cluster default/site-a spec.controlPlaneEndpoint"));

        var onlyTheClusterNamespaced = ClusterRepositoryFiles.Metal3V1Beta2().Replace(
            "kind: Metal3Cluster\nmetadata:\n  name: site-a\n  namespace: metal3\n", "kind: Metal3Cluster\nmetadata:\n  name: site-a\n", StringComparison.Ordinal);
        Assert.That(Only(Load(onlyTheClusterNamespaced)).Facts!.Endpoint, Is.Null);
    }

    [Test]
    public void TheClustersOwnEndpointWinsWhenTheInfrastructureClusterAgrees()
    {
        var own = "  controlPlaneEndpoint:\n    host: 192.168.111.249\n    port: 6443\n";

        var read = Only(Load(ClusterRepositoryFiles.Metal3V1Beta2(clusterExtraSpec: own)));

        Assert.That(read.IsValid, Text(read.Problems));
        Assert.That(read.Facts!.EndpointSource, Is.EqualTo(EndpointSource.ClusterItself));
    }

    [Test]
    public void ConflictingEndpointsAreAnErrorNamingBothObjectsAndValues()
    {
        var own = "  controlPlaneEndpoint:\n    host: 10.250.250.29\n    port: 6443\n";

        var read = Only(Load(ClusterRepositoryFiles.Metal3V1Beta2(clusterExtraSpec: own)));

        Assert.That(read.IsValid, Is.False);
        var error = read.Problems.Single(p => p.Severity == ProblemSeverity.Error);
        Assert.That(error.ToString(), Is.EqualTo(
            "metal3/site-a: spec.controlPlaneEndpoint: Cluster metal3/site-a spec.controlPlaneEndpoint is 10.250.250.29:6443 but " +
            "Metal3Cluster metal3/site-a spec.controlPlaneEndpoint is 192.168.111.249:6443: Cilium would be pointed at one while the control plane answers at the other " +
            "(make them agree, or keep the endpoint in one place (Cluster API copies it onto the Cluster at run time))"));
    }

    [TestCase("ftp://192.168.111.249", "6443", "spec.controlPlaneEndpoint.host", "has an unsupported scheme 'ftp'")]
    [TestCase("\"192.168.111.249,10.0.0.1\"", "6443", "spec.controlPlaneEndpoint.host", "is not an IP address or DNS name")]
    [TestCase("\"192.168.111.249 --set k8sServicePort=1\"", "6443", "spec.controlPlaneEndpoint.host", "is not an IP address or DNS name")]
    [TestCase("192.168.111.249", "abc", "spec.controlPlaneEndpoint.port", "must be an integer port")]
    [TestCase("192.168.111.249", "65536", "spec.controlPlaneEndpoint.port", "65536 is not a TCP port (1-65535)")]
    [TestCase("192.168.111.249", "99999999999999999999", "spec.controlPlaneEndpoint.port", "must be an integer port")]
    public void AHostileEndpointOnTheInfrastructureClusterIsRefusedWithTheClustersOwnRules(string host, string port, string field, string message)
    {
        var file = ClusterRepositoryFiles.Metal3V1Beta2(host: host).Replace("    port: 6443\n  cloudProviderEnabled", $"    port: {port}\n  cloudProviderEnabled", StringComparison.Ordinal);

        var read = Only(Load(file));

        Assert.That(read.IsValid, Is.False);
        var error = read.Problems.Single(p => p.Severity == ProblemSeverity.Error);
        Assert.That(error.Subject, Is.EqualTo("Metal3Cluster metal3/site-a"));
        Assert.That(error.Field, Is.EqualTo(field));
        Assert.That(error.Message, Does.Contain(message));
    }

    [Test]
    public void AHugeHostOnTheInfrastructureClusterIsQuotedByItsStartOnly()
    {
        var read = Only(Load(ClusterRepositoryFiles.Metal3V1Beta2(host: new string('a', 1 << 20))));

        var error = read.Problems.Single(p => p.Severity == ProblemSeverity.Error);
        Assert.That(error.Subject, Is.EqualTo("Metal3Cluster metal3/site-a"));
        Assert.That(error.ToString(), Has.Length.LessThan(400));
    }

    [Test]
    public void PortZeroOnTheInfrastructureClusterMeansNotSetYetAsOnTheCluster()
    {
        var file = ClusterRepositoryFiles.Metal3V1Beta2().Replace("    port: 6443\n  cloudProviderEnabled", "    port: 0\n  cloudProviderEnabled", StringComparison.Ordinal);

        var read = Only(Load(file));

        Assert.That(read.IsValid);
        Assert.That(read.Facts!.PendingEndpointReason!.Message, Does.Contain("Metal3Cluster metal3/site-a has no spec.controlPlaneEndpoint.port (in "));
    }

    [Test]
    public void ASchemeOnTheInfrastructureClustersHostIsStrippedWithAWarningNamingIt()
    {
        var read = Only(Load(ClusterRepositoryFiles.Metal3V1Beta2(host: "https://192.168.111.249")));

        Assert.That(read.IsValid, Text(read.Problems));
        Assert.That(read.Facts!.Endpoint!.Host, Is.EqualTo("192.168.111.249"));
        Assert.That(read.Problems.Single().ToString(), Does.StartWith("Metal3Cluster metal3/site-a: spec.controlPlaneEndpoint.host: the scheme was stripped"));
    }

    [Test]
    public void TwoDefinitionsOfTheInfrastructureClusterAreAmbiguous()
    {
        var file = ClusterRepositoryFiles.Metal3V1Beta2();
        var metal3Cluster = file.Split("---\n")[1];

        var read = Only(Load(file, metal3Cluster.Replace("192.168.111.249", "192.168.111.9", StringComparison.Ordinal)));

        Assert.That(read.IsValid, Is.False);
        Assert.That(read.Problems.Single().ToString(), Does.StartWith("Metal3Cluster metal3/site-a: metadata.name: defined 2 times (").And.Contain("so the endpoint of Cluster metal3/site-a is ambiguous"));
    }

    [TestCase("apiVersion: infrastructure.cluster.x-k8s.io/v1beta1", "spec.infrastructureRef.apiGroup", "v1beta2 references name the API group")]
    [TestCase("apiGroup: infrastructure.cluster.x-k8s.io\n    kind: 7", "spec.infrastructureRef.kind", "must be a non-empty string, got 7")]
    public void AMalformedV1Beta2RefNamesItsField(string replacement, string field, string message)
    {
        var file = ClusterRepositoryFiles.Metal3V1Beta2().Replace("apiGroup: infrastructure.cluster.x-k8s.io\n    kind: Metal3Cluster",
            replacement + (replacement.Contains("kind:", StringComparison.Ordinal) ? "" : "\n    kind: Metal3Cluster"), StringComparison.Ordinal);

        var read = Only(Load(file));

        var error = read.Problems.Single(p => p.Severity == ProblemSeverity.Error);
        Assert.That(error.Field, Is.EqualTo(field));
        Assert.That(error.Message, Does.Contain(message));
    }

    [Test]
    public void TheControllersReaderDoesNotFollowReferences()
    {
        var cluster = (JsonObject)YamlDocuments.Parse(ClusterRepositoryFiles.Metal3V1Beta2(), "site-a.yaml")[0].Content!;

        var read = ClusterReader.Read(cluster);

        Assert.That(read.Facts!.Endpoint, Is.Null, "live Clusters get their endpoint from Cluster API's copy, not from us");
        Assert.That(read.Facts.PendingEndpointField, Is.EqualTo("spec.controlPlaneEndpoint"));
        Assert.That(read.Facts.PendingEndpointReason, Is.Null);
    }

    [Test]
    public void AClusterClassClusterTakesTheTopologyVariable()
    {
        var read = Only(Load(ClusterRepositoryFiles.Metal3Topology()));

        Assert.That(read.IsValid, Text(read.Problems));
        Assert.That(read.Facts!.Endpoint, Is.EqualTo(new ControlPlaneEndpoint("192.168.111.251", 6443)));
        Assert.That(read.Facts.EndpointSource.ToString(), Is.EqualTo("Cluster spec.topology.variables[controlPlaneEndpoint].value"));
        Assert.That(read.Facts.KubernetesVersion, Is.EqualTo("v1.33.1"));
    }

    [Test]
    public void ATopologyClustersPodCidrsComeFromItsClusterNetwork()
    {
        var facts = Only(Load(ClusterRepositoryFiles.Metal3Topology(pods: "10.246.0.0/16\", \"fd00:10:246::/56"))).Facts!;

        Assert.That(facts.Ipv4PodCidr!.ToString(), Is.EqualTo("10.246.0.0/16"));
        Assert.That(facts.Ipv6PodCidr!.ToString(), Is.EqualTo("fd00:10:246::/56"));
    }

    [Test]
    public void TheVariableNameComesFromTheAnnotationElseTheRunElseTheDefault()
    {
        var annotated = ClusterRepositoryFiles.Metal3Topology(name: "annotated", variable: "apiEndpoint",
            extraMetadata: "  annotations:\n    addon.capi-cilium.io/endpoint-variable: apiEndpoint\n");
        var plain = ClusterRepositoryFiles.Metal3Topology(name: "plain", variable: "clusterEndpoint", host: "192.168.111.252");

        var withDefault = LoadFiles(EndpointResolver.DefaultVariable, ("a.yaml", annotated), ("b.yaml", plain));
        var withFlag = LoadFiles("clusterEndpoint", ("a.yaml", annotated), ("b.yaml", plain));

        Assert.That(Only(withDefault, "metal3/annotated").Facts!.EndpointSource.Field, Is.EqualTo("spec.topology.variables[apiEndpoint].value"));
        Assert.That(Only(withDefault, "metal3/plain").Facts!.Endpoint, Is.Null);
        Assert.That(Only(withDefault, "metal3/plain").Facts!.PendingEndpointReason!.ToString(),
            Does.Contain("metal3/plain: spec.topology.variables: the control plane endpoint is not set yet: the Cluster has no spec.controlPlaneEndpoint; the topology has no variable 'controlPlaneEndpoint'"));
        Assert.That(Only(withFlag, "metal3/annotated").Facts!.EndpointSource.Field, Is.EqualTo("spec.topology.variables[apiEndpoint].value"), "the Cluster's annotation beats the run's flag");
        Assert.That(Only(withFlag, "metal3/plain").Facts!.Endpoint, Is.EqualTo(new ControlPlaneEndpoint("192.168.111.252", 6443)));
    }

    [TestCase("value: 192.168.111.251:6443", "spec.topology.variables[controlPlaneEndpoint].value", "must be a map with host and port")]
    [TestCase("value:\n        host: \"https://a.example,b.example\"\n        port: 6443", "spec.topology.variables[controlPlaneEndpoint].value.host", "is not an IP address or DNS name")]
    [TestCase("value:\n        host: 192.168.111.251\n        port: \"6443\"", "spec.topology.variables[controlPlaneEndpoint].value.port", "must be an integer port")]
    public void ABadVariableValueIsRefusedNamingTheVariable(string value, string field, string message)
    {
        var file = ClusterRepositoryFiles.Metal3Topology().Replace("value:\n        host: 192.168.111.251\n        port: 6443", value, StringComparison.Ordinal);

        var read = Only(Load(file));

        var error = read.Problems.Single(p => p.Severity == ProblemSeverity.Error);
        Assert.That((error.Subject, error.Field), Is.EqualTo(("metal3/site-c", field)));
        Assert.That(error.Message, Does.Contain(message));
    }

    [Test]
    public void TheEndpointVariableAnnotationMustNameAVariableAndOnlyAppliesToTopologies()
    {
        var empty = Only(Load(ClusterRepositoryFiles.Metal3Topology(extraMetadata: "  annotations:\n    addon.capi-cilium.io/endpoint-variable: \" \"\n")));
        var withoutTopology = Only(Load(ClusterRepositoryFiles.Metal3V1Beta1().Replace("  labels:", "  annotations:\n    addon.capi-cilium.io/endpoint-variable: x\n  labels:", StringComparison.Ordinal)));

        Assert.That(empty.Problems.Single().ToString(), Does.StartWith("metal3/site-c: metadata.annotations[addon.capi-cilium.io/endpoint-variable]: is empty"));
        Assert.That(withoutTopology.IsValid);
        Assert.That(withoutTopology.Problems.Single().ToString(), Does.Contain("has no effect: the Cluster has no spec.topology"));
    }

    [Test]
    public void AClusterWithNothingToFollowSaysWhereItLooked()
    {
        var bare = "apiVersion: cluster.x-k8s.io/v1beta2\nkind: Cluster\nmetadata:\n  name: bare\n  namespace: metal3\n  labels:\n    cni: cilium\nspec:\n  clusterNetwork:\n    pods:\n      cidrBlocks: [10.244.0.0/16]\n";

        var reason = Only(Load(bare)).Facts!.PendingEndpointReason!;

        Assert.That(reason.ToString(), Is.EqualTo(
            "metal3/bare: spec.controlPlaneEndpoint: the control plane endpoint is not set yet: the Cluster has no spec.controlPlaneEndpoint, " +
            "and neither spec.infrastructureRef nor spec.topology to read it from; nothing is rendered until it has a host and a port " +
            "(set spec.controlPlaneEndpoint (host and port) on the Cluster, or on the infrastructure cluster its spec.infrastructureRef names)"));
    }
}
