using System.Text.RegularExpressions;
using CapiCiliumAddon.Rendering.Clusters;
using CapiCiliumAddon.Rendering.Settings;
using CapiCiliumAddon.Testing;

namespace CapiCiliumAddon.Rendering.Tests.Profiles;

/// <summary>
/// A profile is user input that runs inside the controller: mistakes are errors with a position, never empty values,
/// and no profile can keep a render busy.
/// </summary>
public partial class ProfileTemplateTests
{
    private const string Field = "metadata.annotations[addon.capi-cilium.io/profile]";

    private TempDirectory _templates = null!;

    [SetUp]
    public void SetUp() => _templates = new TempDirectory();

    [TearDown]
    public void TearDown() => _templates.Dispose();

    private static ClusterFacts Cluster() =>
        Tests.Clusters.ClusterReaderTests.Read(Tests.Clusters.ClusterReaderTests.ClusterYaml()).Facts!;

    private (System.Text.Json.Nodes.JsonObject? Values, Problem? Problem) Render(string template, string name = "custom")
    {
        File.WriteAllText(_templates.Combine(name + ProfileLibrary.Extension), template);
        return new ProfileLibrary(_templates.Path).Render(name, Cluster(), "1.18.12", Field);
    }

    private string Error(string template)
    {
        var (values, problem) = Render(template);
        Assert.That(values, Is.Null);
        Assert.That(problem!.Subject, Is.EqualTo("metal3/capi-1"));
        Assert.That(problem.Field, Is.EqualTo(Field));
        return problem.Message;
    }

    [Test]
    public void TheClustersFactsAreTheTemplatesVariables()
    {
        var (values, problem) = Render("""
            name: {{ yaml cluster.name }}
            namespace: {{ yaml cluster.namespace }}
            cni: {{ yaml cluster.labels.cni }}
            host: {{ yaml endpoint.host }}
            port: {{ endpoint.port }}
            pods: {{ yaml [pods.ipv4] }}
            prefix: {{ pods.ipv4PrefixLength }}
            ipv6: {{ yaml pods.ipv6 }}
            services: {{ yaml services.cidrs }}
            version: {{ yaml cilium.version }}
            kubernetes: {{ yaml cluster.kubernetesVersion }}
            """);

        Assert.That(problem, Is.Null);
        Assert.That(values!.ToJsonString(), Is.EqualTo("""{"name":"capi-1","namespace":"metal3","cni":"cilium","host":"10.250.250.29","port":6443,"pods":["10.244.0.0/16"],"prefix":16,"ipv6":"","services":["10.96.0.0/12"],"version":"1.18.12","kubernetes":""}"""));
    }

    [TestCase("plain")]
    [TestCase("a: b")]
    [TestCase("x\n- y: {z}")]
    [TestCase("\"quoted\" and 'single' # hash")]
    [TestCase("{{ not a tag }} *alias &anchor !tag")]
    [TestCase("ünïcødé\ttab\\backslash")]
    public void TheYamlFunctionKeepsAnyValueOneStringThatCannotBreakTheDocument(string hostile)
    {
        var facts = Cluster() with { Labels = new Dictionary<string, string> { ["team"] = hostile } };
        File.WriteAllText(_templates.Combine("quoting" + ProfileLibrary.Extension), "operator:\n  podLabels:\n    team: {{ yaml cluster.labels.team }}\n    after: fixed\n");

        var (values, problem) = new ProfileLibrary(_templates.Path).Render("quoting", facts, "1.18.12", Field);

        Assert.That(problem, Is.Null);
        Assert.That((string?)values!["operator"]!["podLabels"]!["team"], Is.EqualTo(hostile));
        Assert.That((string?)values["operator"]!["podLabels"]!["after"], Is.EqualTo("fixed"));
    }

    // ---- strict variables ----

    [Test]
    public void AnUnknownVariableIsAnErrorWithItsPosition()
    {
        Assert.That(Error("hubble:\n  enabled: {{ clustr.name }}\n"),
            Does.StartWith("profile 'custom' failed to render: ").And.Contain("custom.yaml.scriban(2,15) : error : The variable or function `clustr` was not found"));
    }

    [Test]
    public void AMisspeltMemberIsAnErrorNotAnEmptyValue()
    {
        Assert.That(Error("cluster:\n  name: {{ yaml cluster.nmae }}\n"), Does.Contain("custom.yaml.scriban(2,25) : error : Cannot get member with name nmae"));
    }

    [Test]
    public void ALabelTheClusterDoesNotCarryIsAnErrorUnlessTestedFirst()
    {
        Assert.That(Error("site: {{ yaml cluster.labels[\"site\"] }}\n"), Does.Contain("Cannot access target `cluster.labels` with an indexer: \"site\""));

        var (values, problem) = Render("site: {{ (object.has_key cluster.labels \"site\") ? cluster.labels[\"site\"] : \"none\" }}\n");
        Assert.That(problem, Is.Null);
        Assert.That((string?)values!["site"], Is.EqualTo("none"));
    }

    [Test]
    public void AnUnknownFunctionIsAnError()
    {
        Assert.That(Error("hubble:\n  enabled: {{ shout cluster.name }}\n"), Does.Contain("The variable or function `shout` was not found"));
    }

    [Test]
    public void ASyntaxErrorNamesTheFileAndPosition()
    {
        Assert.That(Error("{{ if cluster.name }}\nhubble:\n  enabled: true\n"),
            Does.StartWith("profile 'custom' is not a valid Scriban template: ").And.Contain("custom.yaml.scriban("));
    }

    // ---- limits ----

    [TestCase("{{ while true }}\n# again\n{{ end }}", "Exceeding number of iteration limit `1000` for loop statement", TestName = "An endless while loop stops at the loop limit")]
    [TestCase("{{ for i in 1..40 }}{{ for j in 1..40 }}#{{ end }}{{ end }}", "Exceeding number of iteration limit `1000`", TestName = "Nested loops share one loop budget")]
    [TestCase("{{ for i in 1..100000000 }}#{{ end }}", "exceeds LoopLimit `1000`", TestName = "A huge range stops at the loop limit")]
    [TestCase("{{ func again(x); ret again(x); end; again 1 }}", "Exceeding number of recursive depth limit `100`", TestName = "Endless recursion stops at the recursion limit")]
    [TestCase("{{ for i in 1..999 }}{{ \"x\" | string.pad_left 999 }}{{ end }}", "Rendered output exceeds OutputLimit `262144`", TestName = "Output stops at the output limit")]
    [TestCase("{{ \"x\" | string.pad_left 100000000 }}", "exceeds the configured LimitToString `262144`", TestName = "A huge string stops at the string limit")]
    [TestCase("{{ include \"../../etc/passwd\" }}", "No TemplateLoader registered", TestName = "Nothing can be included from disk")]
    public void AProfileCannotKeepARenderBusyOrReachOutside(string template, string error)
    {
        Assert.That(Error(template), Does.StartWith("profile 'custom' failed to render: ").And.Contain(error));
    }

    [Test]
    public void ALimitedRenderLeavesTheNextRenderUnaffected()
    {
        Error("{{ while true }}\n# again\n{{ end }}");

        var (values, problem) = Render("operator:\n  replicas: {{ for i in 1..3 }}{{ end }}2\n", "after");

        Assert.That(problem, Is.Null);
        Assert.That(values!["operator"]!["replicas"]!.ToJsonString(), Is.EqualTo("2"));
    }

    // ---- the old format ----

    [Test]
    public void AHandlebarsProfileIsRefusedWithHowToConvertIt()
    {
        File.WriteAllText(_templates.Combine("legacy.yaml.hbs"), "{{!-- old --}}\noperator:\n  replicas: 2\n");

        var (values, problem) = new ProfileLibrary(_templates.Path).Render("legacy", Cluster(), "1.18.12", Field);

        Assert.That(values, Is.Null);
        Assert.That(problem!.Message, Is.EqualTo($"profile 'legacy' is a Handlebars template ({_templates.Combine("legacy.yaml.hbs")}); profiles are Scriban templates now"));
        Assert.That(problem.Fix, Does.StartWith("rename it to legacy.yaml.scriban and convert it: {{yaml x}} becomes {{ yaml x }}").And.EndWith("see templates/README.md"));
    }

    [Test]
    public void TheConvertedFileWins()
    {
        File.WriteAllText(_templates.Combine("legacy.yaml.hbs"), "operator:\n  replicas: {{yaml 2}}\n");
        File.WriteAllText(_templates.Combine("legacy.yaml.scriban"), "operator:\n  replicas: 2\n");

        var (values, problem) = new ProfileLibrary(_templates.Path).Render("legacy", Cluster(), "1.18.12", Field);

        Assert.That(problem, Is.Null);
        Assert.That(values!["operator"]!["replicas"]!.ToJsonString(), Is.EqualTo("2"));
    }

    // ---- the documentation ----

    [Test]
    public void TheReadmeExampleRendersAsDocumented()
    {
        var readme = File.ReadAllText(Path.Combine(ProfileClusters.ShippedTemplates, "README.md"));
        var example = ExampleBlock().Match(readme);
        Assert.That(example.Success, "templates/README.md has a Syntax section with an example");
        var facts = Cluster() with
        {
            Labels = new Dictionary<string, string> { ["cni"] = "cilium", ["tier"] = "production" },
            PodCidrs = [.. Cluster().PodCidrs, new IpCidr(System.Net.IPAddress.Parse("fd00:10:244::"), 56)],
        };
        File.WriteAllText(_templates.Combine("example" + ProfileLibrary.Extension), example.Groups[1].Value);

        var (values, problem) = new ProfileLibrary(_templates.Path).Render("example", facts, "1.18.12", Field);

        Assert.That(problem, Is.Null);
        Assert.That(values!.ToJsonString(), Is.EqualTo("""{"operator":{"replicas":2,"podLabels":{"cni":"cilium","tier":"production"}},"ipv6NativeRoutingCIDR":"fd00:10:244::/56"}"""));
    }

    [GeneratedRegex(@"## Syntax in brief\s+```\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex ExampleBlock();
}
