using System.CommandLine;
using System.Text;
using System.Text.Json;
using CapiCiliumAddon.Cli.Commands;
using CapiCiliumAddon.Rendering.Lint;
using CapiCiliumAddon.Testing;

namespace CapiCiliumAddon.Cli.Tests;

public class LintCommandTests
{
    private TempDirectory _temp = null!;

    [SetUp]
    public void SetUp() => _temp = new TempDirectory();

    [TearDown]
    public void TearDown() => _temp.Dispose();

    private static string Recording(string name) =>
        File.ReadAllText(Path.Combine(RepositoryPaths.Fixtures, "cilium-cli", name, "stdout.yaml"));

    /// <summary>Runs `lint` the way CliApp runs every command (parse errors are usage errors, exit 2).</summary>
    private static async Task<(int Exit, string Stdout, string Stderr)> Lint(string? stdin, params string[] args)
    {
        var root = new RootCommand { LintCommand.Create(() => new MemoryStream(Encoding.UTF8.GetBytes(stdin ?? ""))) };
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var parseResult = root.Parse(["lint", .. args]);
        if (parseResult.Errors.Count > 0)
        {
            return (CliApp.UsageError, "", string.Join("\n", parseResult.Errors.Select(e => e.Message)));
        }

        var exit = await parseResult.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr });
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private string Write(string name, string text)
    {
        var path = _temp.Combine(name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>The bare-metal render with several traps at once: a service VIP as host, a removed key, an operator at another version, a key in a Secret, and a substituting Flux Kustomization.</summary>
    private static string MultiFindingManifest()
    {
        var text = Recording("baremetal-native-bgp-1.18")
            .Replace("10.250.250.29", "10.96.0.1", StringComparison.Ordinal)
            .Replace("  tunnel-protocol: \"vxlan\"\n", "  tunnel: \"vxlan\"\n  tunnel-protocol: \"vxlan\"\n", StringComparison.Ordinal)
            .Replace("operator-generic:v1.18.12", "operator-generic:v1.17.3", StringComparison.Ordinal);
        return text + """
            ---
            apiVersion: v1
            kind: Secret
            metadata:
              name: hubble-server-certs
              namespace: kube-system
            stringData:
              tls.key: |
                -----BEGIN RSA PRIVATE KEY-----
                MIIEowIBAAKCAQEA
                -----END RSA PRIVATE KEY-----
            ---
            apiVersion: kustomize.toolkit.fluxcd.io/v1
            kind: Kustomization
            metadata:
              name: clusters
              namespace: flux-system
            spec:
              path: ./clusters
              postBuild:
                substituteFrom:
                  - kind: ConfigMap
                    name: cluster-vars

            """;
    }

    [Test]
    public async Task AManifestWithSeveralTrapsGivesTheGoldenText()
    {
        var (exit, stdout, stderr) = await Lint(MultiFindingManifest(), "-");

        Assert.That(exit, Is.EqualTo(LintCommand.ExitErrors), stderr);
        Golden.AssertMatches(stdout, "lint-multi.txt");
    }

    [Test]
    public async Task AManifestWithSeveralTrapsGivesTheGoldenJson()
    {
        var (exit, stdout, stderr) = await Lint(MultiFindingManifest(), "-", "--format", "json");

        Assert.That(exit, Is.EqualTo(LintCommand.ExitErrors), stderr);
        Golden.AssertMatches(stdout, "lint-multi.json");
        using var document = JsonDocument.Parse(stdout);
        Assert.That(document.RootElement.EnumerateArray().Select(e => e.GetProperty("rule").GetString()).Distinct(),
            Is.EquivalentTo(new[] { "api-server-endpoint", "removed-value", "image-versions", "private-key", "envsubst-bin-path" }));
    }

    [TestCase("baremetal-native-bgp-1.18")]
    [TestCase("baremetal-native-bgp-1.20")]
    public async Task ACleanBareMetalRenderIsSilent(string recording)
    {
        var (exit, stdout, stderr) = await Lint(null, Write("render.yaml", Recording(recording)));

        Assert.That((exit, stdout, stderr), Is.EqualTo((0, "", "")));
    }

    [Test]
    public async Task JsonOfNoFindingsIsAnEmptyArray()
    {
        var (exit, stdout, _) = await Lint(Recording("baremetal-native-bgp-1.18"), "-", "--format", "json");

        Assert.That((exit, stdout), Is.EqualTo((0, "[]\n")));
    }

    [Test]
    public async Task TheOutputTreeOfRenderIsSilent()
    {
        var bin = FakeCiliumCli.CreateWrapper(_temp.Combine("bin"), "replay", _temp.Combine("record"));
        var chart = FakeChart.Create(_temp.Combine("chart"), "1.18.12");
        var cluster = Write("clusters/a.yaml", RenderCommandTests.Cluster("capi-1"));
        var render = await CliApp.RunAsync(["render", cluster, "--out", _temp.Combine("out"), "--cilium", bin, "--chart-directory", chart], new StringWriter(), new StringWriter());
        Assert.That(render, Is.EqualTo(0));

        var (exit, stdout, stderr) = await Lint(null, _temp.Combine("out"), cluster);

        Assert.That((exit, stdout, stderr), Is.EqualTo((0, "", "")));
    }

    [Test]
    public async Task AnOutputTreeUnderASubstitutingKustomizationIsAnError()
    {
        Write("out/metal3/capi-1/configmap.yaml", ReadGoldenTreeConfigMap());
        Write("flux/ks.yaml", "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: c\n  namespace: flux-system\nspec:\n  postBuild:\n    substitute:\n      A: b\n");

        var (exit, stdout, _) = await Lint(null, _temp.Path);

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(stdout, Does.Contain("error[envsubst-bin-path] DaemonSet kube-system/cilium ("));
        Assert.That(stdout, Does.Contain("> ConfigMap metal3/capi-1-cilium data["));
    }

    private static string ReadGoldenTreeConfigMap() =>
        File.ReadAllText(Path.Combine(RepositoryPaths.Root, "tests", "CapiCiliumAddon.Cli.Tests", "golden", "render-capi-1", "metal3", "capi-1", "configmap-capi-1-cilium.yaml"));

    [Test]
    public async Task WarningsAloneExitZero()
    {
        var (exit, stdout, _) = await Lint(null, Write("render.yaml", Recording("default-hubble-1.18")));

        Assert.That(exit, Is.EqualTo(0));
        Assert.That(stdout, Does.Contain("warning[private-key] Secret kube-system/cilium-ca"));
        Assert.That(stdout, Does.EndWith("0 error(s), 2 warning(s)\n"));
    }

    [Test]
    public async Task AValuesFileFollowsCiliumVersion()
    {
        var values = Write("values.yaml", "tunnel: vxlan\n");

        Assert.That((await Lint(null, values)).Exit, Is.EqualTo(1));
        Assert.That((await Lint(null, values, "--cilium-version", "1.14.0")).Exit, Is.EqualTo(0));
    }

    [Test]
    public async Task PodCidrOptionChecksCoverage()
    {
        var render = Write("render.yaml", Recording("baremetal-native-bgp-1.18"));

        var (exit, stdout, _) = await Lint(null, render, "--pod-cidr", "10.99.0.0/16");

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(stdout, Does.Contain("error[native-routing-cidr] ConfigMap kube-system/cilium-config"));
    }

    [TestCase("--cilium-version", "1.18")]
    [TestCase("--pod-cidr", "10.0.0.0/99")]
    [TestCase("--format", "xml")]
    public async Task BadOptionsAreUsageErrors(string option, string value) =>
        Assert.That((await Lint(null, Write("v.yaml", "a: 1\n"), option, value)).Exit, Is.EqualTo(2));

    [Test]
    public async Task AMissingPathIsAUsageError()
    {
        var (exit, _, stderr) = await Lint(null, _temp.Combine("nope.yaml"));

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("no such file or directory"));
    }

    [Test]
    public async Task UnreadableYamlExitsTwo()
    {
        var (exit, _, stderr) = await Lint("a: [1, 2\n", "-");

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(stderr, Does.StartWith("error: stdin: "));
    }

    [Test]
    public async Task HelpDescribesEveryRule()
    {
        var (_, stdout, _) = await Lint(null, "--help");

        foreach (var rule in LintRules.All)
        {
            Assert.That(stdout, Does.Contain(rule.Id + ":"), rule.Id);
        }
    }
}
