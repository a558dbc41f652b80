using System.Text;
using System.Text.Json.Nodes;
using CapiCiliumAddon.Rendering.Yaml;
using YamlDotNet.RepresentationModel;

namespace CapiCiliumAddon.Rendering.Manifests;

/// <summary>
/// Hubble TLS in a render we ship (DESIGN.md §3). We render with <c>hubble.tls.auto.method=cronJob</c>, which is
/// byte-identical run after run and puts no private key in the output. On charts before 1.19 the one-shot Job that
/// creates the certificates is a Helm hook, which <c>cilium install --dry-run</c> omits, so only the CronJob (every
/// four months) would be shipped and a new cluster would have no Hubble certificates for months.
/// </summary>
public static class HubbleCertificates
{
    public const string CronJobName = "hubble-generate-certs";
    public const string BootstrapJobName = "hubble-generate-certs-bootstrap";

    /// <summary>
    /// When the render has the CronJob <c>hubble-generate-certs</c> but no Job <c>hubble-generate-certs</c> or
    /// <c>hubble-generate-certs-*</c>, returns a copy with a Job <c>hubble-generate-certs-bootstrap</c> right after
    /// the CronJob: same namespace, the job template's labels (the CronJob's when the template has none), and the
    /// CronJob's <c>spec.jobTemplate.spec</c> as its spec. Otherwise (no CronJob: Hubble off or helm method; or a
    /// Job already there: charts ≥ 1.19) returns <paramref name="manifest"/> itself.
    /// </summary>
    public static RenderedManifest EnsureBootstrapJob(RenderedManifest manifest, string chartVersion)
    {
        var cronJob = manifest.OfKind("CronJob").FirstOrDefault(o => o.Name == CronJobName);
        if (cronJob is null)
        {
            return manifest;
        }

        var hasJob = manifest.OfKind("Job").Any(o =>
            (o.Name == CronJobName || o.Name.StartsWith(CronJobName + "-", StringComparison.Ordinal)) && o.Namespace == cronJob.Namespace);
        if (hasJob)
        {
            return manifest;
        }

        var jobTemplate = cronJob.Root.GetPath("spec", "jobTemplate");
        var templateSpec = jobTemplate.GetMap("spec");
        if (templateSpec is null)
        {
            return manifest; // a CronJob without a job spec is the chart's problem; the API server will say so
        }

        var labels = jobTemplate.GetPath("metadata", "labels") ?? cronJob.Root.GetPath("metadata", "labels");
        var metadata = new JsonObject { ["name"] = BootstrapJobName };
        if (cronJob.Namespace is not null)
        {
            metadata["namespace"] = cronJob.Namespace;
        }

        if (labels is not null && labels.Children.Count > 0)
        {
            metadata["labels"] = YamlJson.ToJson(labels);
        }

        var job = new JsonObject
        {
            ["apiVersion"] = "batch/v1",
            ["kind"] = "Job",
            ["metadata"] = metadata,
            ["spec"] = YamlJson.ToJson(templateSpec),
        };

        var source = cronJob.Namespace is null ? cronJob.Name : $"{cronJob.Namespace}/{cronJob.Name}";
        var text =
            $"# Source: capi-cilium-addon, generated from CronJob {source} (spec = its spec.jobTemplate.spec).\n" +
            $"# Why: chart {chartVersion} renders the one-shot Hubble certificate Job as a Helm hook, which\n" +
            "# 'cilium install --dry-run' omits; without this Job the cluster has no Hubble certificates until the CronJob first fires.\n" +
            KubeYamlWriter.Write(job);

        var root = (YamlMappingNode)Load(text);
        var added = new RenderedObject("batch/v1", "Job", BootstrapJobName, cronJob.Namespace, text, root, ObjectOrigin.Generated);
        return manifest.InsertAfter(cronJob, added);
    }

    /// <summary>
    /// Secret objects in the render (the chart's default <c>helm</c> TLS method creates <c>cilium-ca</c> and
    /// <c>hubble-server-certs</c>, both with private keys, new on every render), with the data keys that hold a
    /// private key (keys named <c>*.key</c>, or values that decode to a PEM private key).
    /// </summary>
    public static IReadOnlyList<(RenderedObject Secret, IReadOnlyList<string> PrivateKeyFields)> SecretsWithPrivateKeys(RenderedManifest manifest)
    {
        var found = new List<(RenderedObject, IReadOnlyList<string>)>();
        foreach (var secret in manifest.OfKind("Secret").Where(o => o.ApiVersion == "v1"))
        {
            var fields = new List<string>();
            foreach (var section in new[] { "data", "stringData" })
            {
                var map = secret.Root.GetMap(section);
                if (map is null)
                {
                    continue;
                }

                foreach (var (k, v) in map.Children)
                {
                    var key = (k as YamlScalarNode)?.Value ?? "";
                    var value = (v as YamlScalarNode)?.Value ?? "";
                    if (key.EndsWith(".key", StringComparison.Ordinal) || key.EndsWith("-key", StringComparison.Ordinal) || ContainsPrivateKey(section, value))
                    {
                        fields.Add($"{section}[{key}]");
                    }
                }
            }

            if (fields.Count > 0)
            {
                found.Add((secret, fields));
            }
        }

        return found;
    }

    private static bool ContainsPrivateKey(string section, string value)
    {
        if (section == "stringData")
        {
            return value.Contains("PRIVATE KEY", StringComparison.Ordinal);
        }

        var buffer = new byte[value.Length];
        return Convert.TryFromBase64String(value.Trim(), buffer, out var n)
            && Encoding.ASCII.GetString(buffer, 0, n).Contains("PRIVATE KEY", StringComparison.Ordinal);
    }

    private static YamlNode Load(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents[0].RootNode;
    }
}
