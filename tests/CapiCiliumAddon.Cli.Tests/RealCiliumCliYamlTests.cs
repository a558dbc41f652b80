using System.Text.Json.Nodes;
using CapiCiliumAddon.Rendering.CiliumCli;
using CapiCiliumAddon.Rendering.Yaml;
using CapiCiliumAddon.Testing;

namespace CapiCiliumAddon.Cli.Tests;

/// <summary>
/// Opt-in, with the REAL Cilium CLI (CILIUM_CLI) and chart 1.19.6 in CILIUM_CHART_DIRECTORY: a values file whose plain
/// scalars mean something else under YAML 1.1 than under YAML 1.2 renders, through a values ConfigMap and our render,
/// into the very objects `cilium install --dry-run --values` makes of the same file with the same facts.
/// </summary>
[Category("RealCiliumCli")]
public class RealCiliumCliYamlTests
{
    private const string ChartVersion = "1.19.6";

    /// <summary>Octal and hexadecimal numbers and a YAML 1.1 boolean, plain; and a quoted "on" that must stay text.</summary>
    private const string Values = """
        debug:
          enabled: yes
        healthPort: 0x2695
        extraEnv:
          - name: EXTRA_FLAG
            value: "on"
        extraVolumes:
          - name: extra-ca
            configMap: {name: extra-ca, defaultMode: 0400}

        """;

    private TempDirectory _temp = null!;
    private string _cli = null!;
    private string _chart = null!;

    [SetUp]
    public void SetUp()
    {
        var cli = Environment.GetEnvironmentVariable("CILIUM_CLI");
        if (string.IsNullOrEmpty(cli))
        {
            Assert.Ignore("skipped: set CILIUM_CLI to a real Cilium CLI and CILIUM_CHART_DIRECTORY to unpacked charts including 1.19.6");
        }

        var chart = (Environment.GetEnvironmentVariable("CILIUM_CHART_DIRECTORY") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(c => File.Exists(Path.Combine(c, "Chart.yaml")) && ChartDirectory.Load(c).Version.ToString() == ChartVersion);
        if (chart is null)
        {
            Assert.Ignore($"skipped: CILIUM_CHART_DIRECTORY holds no chart {ChartVersion}");
        }

        (_cli, _chart) = (cli, chart);
        _temp = new TempDirectory();
    }

    [TearDown]
    public void TearDown() => _temp?.Dispose();

    [Test]
    public async Task OurRenderOfYaml11ValuesIsWhatCiliumInstallRendersFromTheSameFile()
    {
        var valuesFile = _temp.Combine("values.yaml");
        File.WriteAllText(valuesFile, Values);
        Directory.CreateDirectory(_temp.Combine("clusters"));
        File.WriteAllText(_temp.Combine("clusters", "site.yaml"),
            RenderCommandTests.Cluster("capi-1", extraMetadata: "  annotations:\n    addon.capi-cilium.io/values-configmap: cilium-values")
            + "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cilium-values\n  namespace: metal3\ndata:\n  values.yaml: |\n"
            + string.Concat(Values.Split('\n').Where(l => l.Length > 0).Select(l => "    " + l + "\n")));

        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await CliApp.RunAsync(["render", _temp.Combine("clusters"), "--out", _temp.Combine("out"), "--cilium", _cli,
            "--chart-directory", _chart, "--no-helm-ownership", "--no-stamp"], stdout, stderr);
        Assert.That(exit, Is.EqualTo(0), stderr.ToString());
        var folder = _temp.Combine("out", "metal3", "capi-1");
        var ours = ObjectsOfOurRender(folder);

        // The same facts: every value our render used (cilium-values.yaml), with the user's own file read last, as
        // `cilium install --values` reads it.
        var (cliExit, cliStdout, cliStderr) = await InstallDryRun(["--values", Path.Combine(folder, "cilium-values.yaml"), "--values", valuesFile]);
        Assert.That(cliExit, Is.EqualTo(0), cliStderr);
        var theirs = YamlDocuments.Parse(cliStdout, "cilium install --dry-run").Select(d => (JsonObject)d.Content!).ToDictionary(Identity);

        Assert.That(ours.Keys.Order(StringComparer.Ordinal), Is.EqualTo(theirs.Keys.Order(StringComparer.Ordinal)));
        foreach (var (identity, expected) in theirs)
        {
            Assert.That(JsonNode.DeepEquals(ours[identity], expected), Is.True,
                $"{identity}\nours:   {ours[identity].ToJsonString()}\ntheirs: {expected.ToJsonString()}");
        }

        var agent = ours["DaemonSet kube-system/cilium"];
        var volume = ((JsonArray)agent["spec"]!["template"]!["spec"]!["volumes"]!).OfType<JsonObject>().Single(v => (string?)v["name"] == "extra-ca");
        Assert.That(volume["configMap"]!["defaultMode"]!.GetValue<long>(), Is.EqualTo(256), "0400 is octal: r--------");
        Assert.That((string?)ours["ConfigMap kube-system/cilium-config"]["data"]!["debug"], Is.EqualTo("true"), "debug.enabled: yes");
        Assert.That((string?)ours["ConfigMap kube-system/cilium-config"]["data"]!["agent-health-port"], Is.EqualTo("9877"), "0x2695");
        var env = ((JsonArray)agent["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]!).OfType<JsonObject>().Single(e => (string?)e["name"] == "EXTRA_FLAG");
        Assert.That((string?)env["value"], Is.EqualTo("on"), "a quoted on stays text through our values file");
    }

    private static string Identity(JsonObject o) =>
        $"{o["kind"]} {((string?)o["metadata"]!["namespace"] is { } ns ? ns + "/" : "")}{o["metadata"]!["name"]}";

    private static Dictionary<string, JsonObject> ObjectsOfOurRender(string folder)
    {
        var objects = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(folder, "*.yaml").Where(f => Path.GetFileName(f).StartsWith("configmap-", StringComparison.Ordinal) || Path.GetFileName(f).StartsWith("secret-", StringComparison.Ordinal)))
        {
            var wrapper = (JsonObject)YamlDocuments.Parse(File.ReadAllText(file), file).Single().Content!;
            foreach (var (key, value) in (JsonObject)(wrapper["data"] ?? wrapper["stringData"])!)
            {
                foreach (var document in YamlDocuments.Parse(value!.GetValue<string>(), $"{file} data[{key}]"))
                {
                    var obj = (JsonObject)document.Content!;
                    objects.Add(Identity(obj), obj);
                }
            }
        }

        return objects;
    }

    /// <summary>`cilium install --dry-run` as the recordings were made: argv only, a kubeconfig that reaches no server.</summary>
    private async Task<(int Exit, string Stdout, string Stderr)> InstallDryRun(string[] values)
    {
        var kubeconfig = _temp.Combine("kubeconfig");
        File.WriteAllText(kubeconfig, """
            apiVersion: v1
            kind: Config
            clusters: [{name: none, cluster: {server: "https://127.0.0.1:1"}}]
            users: [{name: none, user: {}}]
            contexts: [{name: none, context: {cluster: none, user: none}}]
            current-context: none

            """);
        return await RealCiliumCli.RunAsync(_cli, kubeconfig, _temp.Combine("home"), TimeSpan.FromMinutes(2),
            ["install", "--dry-run", "--chart-directory", _chart, .. values]);
    }
}
