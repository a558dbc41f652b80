using System.Text.Json.Nodes;
using CapiCiliumAddon.Rendering.Yaml;
using NUnit.Framework;

namespace CapiCiliumAddon.Rendering.Tests.Yaml;

/// <summary>
/// What Kubernetes and Helm make of YAML scalars. The expected values follow go-yaml v2's resolve.go (resolve,
/// resolveMap, yamlStyleFloat, Go's strconv.ParseInt/ParseUint/ParseFloat) and decode.go (decoder.scalar into
/// interface{}), and sigs.k8s.io/yaml's yaml.go (convertToJSONableObject, json.Marshal). Every row was also checked
/// against kubectl v1.32 (`kubectl create --dry-run=client -o json` of a ConfigMap holding them, which reads files
/// through sigs.k8s.io/yaml).
/// </summary>
public class YamlScalarsTests
{
    private static JsonNode? Read(string yaml) => YamlDocuments.Parse($"v: {yaml}\n", "table.yaml").Single().Content!["v"];

    private static object? Value(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        JsonValue v when v.TryGetValue<long>(out var l) => l,
        JsonValue v when v.TryGetValue<ulong>(out var u) => u,
        JsonValue v when v.TryGetValue<double>(out var d) => d,
        _ => throw new AssertionException($"unexpected {node.ToJsonString()}"),
    };

    // Integers: strconv.ParseInt(s, 0, 64) after removing underscores.
    [TestCase("0400", 256L, TestName = "0400 is octal 256")]
    [TestCase("0777", 511L)]
    [TestCase("-0400", -256L)]
    [TestCase("0", 0L)]
    [TestCase("00", 0L)]
    [TestCase("0x1F", 31L)]
    [TestCase("0X1f", 31L)]
    [TestCase("+0x1F", 31L)]
    [TestCase("0o17", 15L)]
    [TestCase("0b101", 5L)]
    [TestCase("-0b101", -5L)]
    [TestCase("0b-101", -5L, TestName = "0b-101 is -5 through go-yaml's own binary fallback")]
    [TestCase("1_000", 1000L)]
    [TestCase("1__0", 10L)]
    [TestCase("+12", 12L)]
    [TestCase("-12", -12L)]
    [TestCase("6443", 6443L)]
    [TestCase("9223372036854775807", long.MaxValue)]
    [TestCase("-9223372036854775808", long.MinValue)]
    // Past int64: ParseUint, which takes no sign.
    [TestCase("9223372036854775808", 9223372036854775808UL)]
    [TestCase("18446744073709551615", ulong.MaxValue)]
    [TestCase("0x8000000000000000", 9223372036854775808UL)]
    // Floats: yamlStyleFloat and ParseFloat.
    [TestCase("08", 8.0, TestName = "08 is not octal: the float 8")]
    [TestCase("09.5", 9.5)]
    [TestCase("1.0", 1.0)]
    [TestCase("1.", 1.0)]
    [TestCase(".5", 0.5)]
    [TestCase("-.5", -0.5)]
    [TestCase(".5_5", 0.55)]
    [TestCase("1e3", 1000.0)]
    [TestCase("1E-2", 0.01)]
    [TestCase("18446744073709551616", 18446744073709551616.0)]
    [TestCase("+18446744073709551615", 18446744073709551615.0, TestName = "a signed integer past int64 is a float")]
    [TestCase("-9223372036854775809", -9223372036854775809.0)]
    // Booleans and null: resolveMap.
    [TestCase("y", true)]
    [TestCase("Y", true)]
    [TestCase("yes", true)]
    [TestCase("Yes", true)]
    [TestCase("YES", true)]
    [TestCase("on", true)]
    [TestCase("On", true)]
    [TestCase("ON", true)]
    [TestCase("true", true)]
    [TestCase("True", true)]
    [TestCase("TRUE", true)]
    [TestCase("n", false)]
    [TestCase("N", false)]
    [TestCase("no", false)]
    [TestCase("No", false)]
    [TestCase("NO", false)]
    [TestCase("off", false)]
    [TestCase("Off", false)]
    [TestCase("OFF", false)]
    [TestCase("false", false)]
    [TestCase("False", false)]
    [TestCase("FALSE", false)]
    [TestCase("", null)]
    [TestCase("~", null)]
    [TestCase("null", null)]
    [TestCase("Null", null)]
    [TestCase("NULL", null)]
    // Strings: everything else, whatever it looks like.
    [TestCase("yEs", "yEs")]
    [TestCase("oN", "oN")]
    [TestCase("nULL", "nULL")]
    [TestCase("1e400", "1e400", TestName = "1e400 overflows ParseFloat and stays text")]
    [TestCase("0xFFFFFFFFFFFFFFFFF", "0xFFFFFFFFFFFFFFFFF")]
    [TestCase("0x", "0x")]
    [TestCase("1.2.3", "1.2.3")]
    [TestCase("_1", "_1")]
    [TestCase("._5", "._5")]
    [TestCase(".", ".")]
    [TestCase("+", "+")]
    [TestCase("inf", "inf")]
    [TestCase("+inf", "+inf")]
    [TestCase("1:20", "1:20", TestName = "base 60 is not resolved")]
    [TestCase("2001-12-14", "2001-12-14", TestName = "a date stays the string as written")]
    [TestCase("2001-12-14t21:59:43.10-05:00", "2001-12-14t21:59:43.10-05:00")]
    [TestCase("\"0400\"", "0400", TestName = "a double-quoted 0400 is a string")]
    [TestCase("'yes'", "yes", TestName = "a single-quoted yes is a string")]
    [TestCase("!!str 0400", "0400", TestName = "!!str keeps the text")]
    [TestCase("!!int \"0400\"", 256L, TestName = "!!int resolves even a quoted value")]
    [TestCase("!!float 1", 1.0, TestName = "!!float turns an int into a float")]
    [TestCase("!!bool yes", true)]
    [TestCase("!!null ~", null)]
    [TestCase("! 0400", "0400", TestName = "the non-specific tag ! keeps the text")]
    [TestCase("!custom 0400", "0400")]
    [TestCase("!!binary aGVsbG8=", "hello")]
    public void Reads_a_scalar_as_go_yaml_v2_decodes_it_into_an_interface(string yaml, object? expected)
    {
        var value = Value(Read(yaml));

        Assert.That(value, Is.EqualTo(expected));
        Assert.That(value?.GetType(), Is.EqualTo(expected?.GetType()));
    }

    [TestCase("|\n  0400\n", "0400\n")]
    [TestCase(">-\n  yes\n", "yes")]
    public void Block_scalars_are_strings(string yaml, string expected) =>
        Assert.That(Value(Read(yaml)), Is.EqualTo(expected));

    [TestCase(".inf")]
    [TestCase("-.Inf")]
    [TestCase("+.INF")]
    [TestCase(".nan")]
    public void Infinities_and_NaN_are_refused_as_values_as_json_Marshal_refuses_them(string yaml)
    {
        var error = Assert.Throws<InputFileException>(() => Read(yaml));

        Assert.That(error!.Message, Does.StartWith("table.yaml: line 1: ").And.Contain("JSON cannot hold"));
    }

    [TestCase("!!int 1.5", "cannot decode !!float `1.5` as a !!int")]
    [TestCase("!!bool 1", "cannot decode !!int `1` as a !!bool")]
    [TestCase("!!int yes", "cannot decode !!bool `yes` as a !!int")]
    [TestCase("!!null x", "cannot decode !!str `x` as a !!null")]
    [TestCase("!!timestamp 12", "cannot decode !!int `12` as a !!timestamp")]
    [TestCase("!!binary not=base64", "invalid base64")]
    public void A_value_that_does_not_fit_its_explicit_tag_is_refused(string yaml, string expected)
    {
        var error = Assert.Throws<InputFileException>(() => Read(yaml));

        Assert.That(error!.Message, Does.Contain(expected));
    }

    [TestCase("1.10", "1.1", TestName = "a float key is formatted with float32 precision")]
    [TestCase("1e6", "1e+06")]
    [TestCase("0.5", "0.5")]
    [TestCase("123456", "123456")]
    [TestCase("0x10", "16")]
    [TestCase("0400", "256")]
    [TestCase("yes", "true")]
    [TestCase("Off", "false")]
    [TestCase(".inf", ".inf")]
    [TestCase("\"0400\"", "0400")]
    [TestCase("2001-12-14", "2001-12-14")]
    public void Mapping_keys_become_the_json_keys_sigs_k8s_io_yaml_makes(string key, string expected)
    {
        var document = (JsonObject)YamlDocuments.Parse($"{key}: x\n", "keys.yaml").Single().Content!;

        Assert.That(document.Single().Key, Is.EqualTo(expected));
    }

    [TestCase("~: x\n", "null")]
    [TestCase("18446744073709551615: x\n", "beyond int64")]
    [TestCase("yes: a\ntrue: b\n", "duplicate key 'true'")]
    public void Keys_kubernetes_refuses_or_that_collide_are_refused(string yaml, string expected)
    {
        var error = Assert.Throws<InputFileException>(() => YamlDocuments.Parse(yaml, "keys.yaml"));

        Assert.That(error!.Message, Does.Contain(expected));
    }

    [Test]
    public void A_document_records_the_plain_scalars_whose_value_is_spelled_differently()
    {
        var document = YamlDocuments.Parse("""
            spec:
              volumes:
                - name: a
                  configMap: {name: a, defaultMode: 0400}
              port: 6443
              quoted: "0400"
              debug: yes
              ratio: 1.0
            """, "doc.yaml").Single();

        Assert.That(document.ResolvedScalars.Select(r => $"{r.Field}={r.Text}→{YamlScalars.Describe(r.Value)}@{r.Line}"), Is.EqualTo(new[]
        {
            "spec.volumes[0].configMap.defaultMode=0400→256@4",
            "spec.debug=yes→true@7",
            "spec.ratio=1.0→1@8",
        }));
    }
}
