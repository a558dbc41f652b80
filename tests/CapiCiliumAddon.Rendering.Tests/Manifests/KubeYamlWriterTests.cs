using System.Text.Json.Nodes;
using CapiCiliumAddon.Rendering.Manifests;
using CapiCiliumAddon.Rendering.Yaml;
using NUnit.Framework;
using YamlDotNet.RepresentationModel;

namespace CapiCiliumAddon.Rendering.Tests.Manifests;

public class KubeYamlWriterTests
{
    private static readonly string[] Awkward =
    [
        "plain", "", " ", "true", "False", "yes", "no", "on", "off", "y", "N", "null", "~", "0", "6443", "1.5", ".5", "1e3", "0x1F", "-1",
        "-", "- item", ":", "a: b", "#x", "x #y", "@at", "`tick", "!tag", "&anchor", "*alias", "|", ">", "%", "{a}", "[a]", "'q'", "\"dq\"",
        "10.250.250.29", "quay.io/cilium/cilium:v1.18.12@sha256:abc", " leading", "trailing ", "tab\there", "back\\slash",
        "line\n", "two\nlines", "two\nlines\n", "keep\n\n\n", "\nleading newline", "\n\n", "\n", "  indented\nfirst\n",
        "trailing spaces   \n    \nnext\n", "first\n  indented second\n", "cr\r\nlf\n", "bom\uFEFF", "ctl\u0001", "nel\u0085", "ünïcødé ✓\n",
        "---\ndocument marker inside\n", "...\n", "# comment line\nvalue\n", "\tstarts with tab\n",
    ];

    [Test]
    public void Each_awkward_string_alone_reads_back_as_key_and_value()
    {
        var failures = new List<string>();
        for (var i = 0; i < Awkward.Length; i++)
        {
            var obj = new JsonObject { ["data"] = new JsonObject { ["v"] = Awkward[i], [Awkward[i]] = "k" }, ["list"] = new JsonArray(JsonValue.Create(Awkward[i])) };
            try
            {
                KubeYamlWriter.Write(obj);
            }
            catch (Exception e) when (e is InvalidOperationException or YamlDotNet.Core.YamlException)
            {
                failures.Add($"{i} {System.Text.Json.JsonSerializer.Serialize(Awkward[i])}: {e.Message}");
            }
        }

        Assert.That(failures, Is.Empty);
    }

    [Test]
    public void Every_awkward_string_reads_back_byte_for_byte_as_key_and_value()
    {
        var data = new JsonObject();
        for (var i = 0; i < Awkward.Length; i++)
        {
            data[$"k{i:D3}"] = Awkward[i];
        }

        var nested = new JsonObject { ["list"] = new JsonArray(Awkward.Select(s => (JsonNode)JsonValue.Create(s)!).ToArray()) };
        var keys = new JsonObject();
        foreach (var s in Awkward.Distinct())
        {
            keys[s] = s;
        }

        var obj = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = new JsonObject { ["name"] = "x" }, ["data"] = data, ["spec"] = new JsonObject { ["nested"] = nested, ["keys"] = keys } };

        var text = KubeYamlWriter.Write(obj); // throws if anything fails to read back

        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        var back = (YamlMappingNode)stream.Documents[0].RootNode;
        for (var i = 0; i < Awkward.Length; i++)
        {
            Assert.That(back.GetMap("data")!.GetString($"k{i:D3}") ?? "", Is.EqualTo(Awkward[i]), $"value {i}");
        }
    }

    [Test]
    public void Writes_kubernetes_key_order_sorted_maps_and_typed_scalars()
    {
        var obj = new JsonObject
        {
            ["spec"] = new JsonObject { ["z"] = 1, ["a"] = true, ["n"] = null, ["empty"] = new JsonObject(), ["none"] = new JsonArray(), ["f"] = 1.5 },
            ["data"] = new JsonObject { ["b.yaml"] = "two\n", ["a.yaml"] = " one\n  two  \n" },
            ["metadata"] = new JsonObject
            {
                ["annotations"] = new JsonObject { ["z/last"] = "1", ["a/first"] = "x y" },
                ["labels"] = new JsonObject { ["b"] = "b", ["a"] = "a" },
                ["namespace"] = "metal3",
                ["name"] = "capi-1-cilium",
                ["ownerReferences"] = new JsonArray(new JsonObject { ["apiVersion"] = "cluster.x-k8s.io/v1beta2", ["kind"] = "Cluster", ["name"] = "capi-1", ["controller"] = true }),
            },
            ["kind"] = "ConfigMap",
            ["apiVersion"] = "v1",
        };

        CapiCiliumAddon.Testing.Golden.AssertMatches(KubeYamlWriter.Write(obj), "writer-order.yaml");
    }

    [Test]
    public void Output_is_LF_with_one_trailing_newline_and_stable()
    {
        var obj = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = new JsonObject { ["name"] = "x" }, ["data"] = new JsonObject { ["a"] = "b\n\n" } };

        var a = KubeYamlWriter.Write(obj);
        var b = KubeYamlWriter.Write(JsonNode.Parse(obj.ToJsonString())!.AsObject());

        Assert.That(a, Is.EqualTo(b));
        Assert.That(a, Does.Not.Contain("\r"));
        Assert.That(a, Does.EndWith("\n"));
        Assert.That(a, Does.Not.EndWith("\n\n\n"), "the |+ block keeps exactly the value's own newlines");
    }

    [TestCaseSource(typeof(Recordings), nameof(Recordings.BareMetal))]
    public void Every_recorded_object_text_survives_a_ConfigMap_round_trip(string recording)
    {
        var data = new JsonObject();
        var manifest = Recordings.Parse(recording);
        for (var i = 0; i < manifest.Objects.Count; i++)
        {
            data[$"{i:D3}"] = manifest.Objects[i].Text;
        }

        var text = KubeYamlWriter.Write(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = new JsonObject { ["name"] = "x" }, ["data"] = data });

        Assert.That(text, Does.Contain("\n                        \n"), "trailing-space lines written verbatim inside a literal block");
    }

    [Test]
    public void The_round_trip_guard_throws_when_the_text_does_not_read_back()
    {
        var obj = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = new JsonObject { ["name"] = "x" }, ["data"] = new JsonObject { ["a"] = "line   \n" } };
        var text = KubeYamlWriter.Write(obj);

        Assert.DoesNotThrow(() => KubeYamlWriter.VerifyRoundTrip(obj, text));
        var tampered = text.Replace("line   \n", "line\n", StringComparison.Ordinal);
        var ex = Assert.Throws<InvalidOperationException>(() => KubeYamlWriter.VerifyRoundTrip(obj, tampered));
        Assert.That(ex!.Message, Does.Contain("round trip failed at 'data.a'"));
        Assert.Throws<InvalidOperationException>(() => KubeYamlWriter.VerifyRoundTrip(obj, text.Replace("a: |", "a: |-", StringComparison.Ordinal)));
    }

    [Test]
    public void Chart_scalars_keep_their_meaning_through_conversion_and_writing()
    {
        var stream = new YamlStream();
        stream.Load(new StringReader("i: 1800\nf: 1.0\ng: .5\ne: 1e3\nq: \"6443\"\ns: '1'\nb: true\nnil:\nt: ~\nw: word\nv: 0x1F\nm: 0400\n"));
        var json = YamlJson.ToJson(stream.Documents[0].RootNode)!.AsObject();

        Assert.That(json.ToJsonString(), Is.EqualTo("{\"i\":1800,\"f\":1,\"g\":0.5,\"e\":1000,\"q\":\"6443\",\"s\":\"1\",\"b\":true,\"nil\":null,\"t\":null,\"w\":\"word\",\"v\":31,\"m\":256}"));
        var text = KubeYamlWriter.Write(new JsonObject { ["spec"] = json });
        Assert.That(text, Is.EqualTo("spec:\n  i: 1800\n  f: 1\n  g: 0.5\n  e: 1000\n  q: \"6443\"\n  s: \"1\"\n  b: true\n  nil: null\n  t: null\n  w: word\n  v: 31\n  m: 256\n"));
    }

    /// <summary>Strings a YAML 1.1 reader (Kubernetes, Helm) or a YAML 1.2 reader would take for something else.</summary>
    [TestCase("0400")]
    [TestCase("0x1F")]
    [TestCase("0o17")]
    [TestCase("0b101")]
    [TestCase("1_000")]
    [TestCase("08")]
    [TestCase(".5")]
    [TestCase("1e3")]
    [TestCase("+12")]
    [TestCase(".inf")]
    [TestCase(".nan")]
    [TestCase("yes")]
    [TestCase("Yes")]
    [TestCase("y")]
    [TestCase("N")]
    [TestCase("on")]
    [TestCase("OFF")]
    [TestCase("true")]
    [TestCase("Null")]
    [TestCase("~")]
    [TestCase("")]
    [TestCase("2001-12-14")]
    [TestCase("2001-12-14T21:59:43Z")]
    public void Strings_that_read_as_other_values_are_quoted_and_read_back_as_the_same_string(string value)
    {
        var text = KubeYamlWriter.Write(new JsonObject { ["data"] = new JsonObject { ["v"] = value, [value] = "key" } });

        Assert.That(text, Does.Contain($"v: \"{value}\"\n"));
        var back = (JsonObject)YamlDocuments.Parse(text, "written.yaml").Single().Content!["data"]!;
        Assert.That(back["v"]!.GetValue<string>(), Is.EqualTo(value));
        Assert.That(back.ContainsKey(value), Is.True, "the key reads back as itself");
    }

    [TestCase("word")]
    [TestCase("nil")]
    [TestCase("quay.io/cilium/cilium")]
    [TestCase("/var/lib/cni/bin")]
    public void Strings_every_reader_reads_as_themselves_stay_plain(string value) =>
        Assert.That(KubeYamlWriter.Write(new JsonObject { ["v"] = value }), Is.EqualTo($"v: {value}\n"));
}
