using System.Runtime.CompilerServices;
using System.Text;
using CapiCiliumAddon.Rendering.Manifests;
using NUnit.Framework;

namespace CapiCiliumAddon.Rendering.Tests.Manifests;

/// <summary>Recorded CLI runs and the bare-metal plan they were recorded with.</summary>
internal static class Recordings
{
    public const string Subject = "metal3/capi-1";

    public static readonly string[] BareMetal = ["baremetal-native-bgp-1.17", "baremetal-native-bgp-1.18", "baremetal-native-bgp-1.19", "baremetal-native-bgp-1.20"];

    public static string ChartVersion(string recording) => recording switch
    {
        "baremetal-native-bgp-1.17" => "1.17.18",
        "baremetal-native-bgp-1.18" or "minimal-1.18" or "default-hubble-1.18" => "1.18.12",
        "baremetal-native-bgp-1.19" => "1.19.6",
        "baremetal-native-bgp-1.20" => "1.20.0",
        _ => throw new ArgumentException(recording),
    };

    public static ExpectedRender BareMetalPlan(string recording) =>
        new("10.250.250.29", 6443, "native", "10.244.0.0/16", null, true, "kubernetes", "default", ChartVersion(recording));

    public static string Stdout(string recording) =>
        File.ReadAllText(Path.Combine(FixturesDir(), "cilium-cli", recording, "stdout.yaml"), new UTF8Encoding(false, true));

    public static RenderedManifest Parse(string recording) => ParseText(Stdout(recording));

    public static RenderedManifest ParseText(string text)
    {
        var result = RenderedManifest.Parse(text, Subject);
        Assert.That(result.Problems, Is.Empty, "parse problems");
        return result.Manifest!;
    }

    /// <summary>Applies <paramref name="change"/> to the one document holding the given object, leaving the rest byte-identical.</summary>
    public static string MutateDocument(string stdout, string kind, string name, Func<string, string> change)
    {
        var docs = stdout.Split("\n---\n");
        var hits = 0;
        for (var i = 0; i < docs.Length; i++)
        {
            if (docs[i].Contains($"\nkind: {kind}\n", StringComparison.Ordinal)
                && (docs[i].Contains($"\n  name: {name}\n", StringComparison.Ordinal) || docs[i].Contains($"\n  name: \"{name}\"\n", StringComparison.Ordinal)))
            {
                var changed = change(docs[i]);
                Assert.That(changed, Is.Not.EqualTo(docs[i]), $"mutation of {kind} {name} changed nothing");
                docs[i] = changed;
                hits++;
            }
        }

        Assert.That(hits, Is.EqualTo(1), $"{kind} {name} documents");
        return string.Join("\n---\n", docs);
    }

    private static string FixturesDir([CallerFilePath] string here = "")
    {
        for (var dir = Path.GetDirectoryName(here); dir is not null; dir = Path.GetDirectoryName(dir))
        {
            var candidate = Path.Combine(dir, "fixtures");
            if (Directory.Exists(Path.Combine(candidate, "cilium-cli")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("tests/fixtures not found above " + here);
    }
}
