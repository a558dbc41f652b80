using System.Text.Json;
using System.Text.Json.Nodes;
using CapiCiliumAddon.Rendering.Clusters;
using CapiCiliumAddon.Rendering.Handoff;
using CapiCiliumAddon.Rendering.Settings;
using CapiCiliumAddon.Rendering.Yaml;

namespace CapiCiliumAddon.Rendering.Lint;

public static partial class CiliumLinter
{
    /// <summary>What a Flux HelmRelease or Argo CD Application would install, each with the field it comes from.</summary>
    private sealed record GitOpsRelease(
        (string? Value, string Field) ChartVersion,
        (string Value, string Field) ReleaseName,
        (string? Value, string Field) ReleaseNamespace,
        (JsonObject Values, string Field) Values,
        IReadOnlyList<string> Uncompared);

    private static void CheckHandoff(IReadOnlyList<LintObject> objects, IReadOnlyList<RenderedRelease> renders, List<LintFinding> findings)
    {
        if (renders.Count == 0)
        {
            return;
        }

        foreach (var gitOps in objects.Where(IsGitOpsCilium))
        {
            var release = gitOps.Is("HelmRelease", "helm.toolkit.fluxcd.io") ? FromHelmRelease(gitOps) : FromApplication(gitOps);
            var render = MatchRender(gitOps, release, renders);
            if (release is null || render is null)
            {
                continue;
            }

            var consequence = $"the first reconcile would change Cilium on cluster {render.Key}";
            void Add(string field, string difference, string why, string fix) =>
                findings.Add(new LintFinding(LintRules.HelmHandoff, ProblemSeverity.Error, gitOps.Subject, gitOps.Location, field,
                    $"{difference} differs from the render of {render.Key} ({render.Wrapper.Location}): {why}", fix));

            if (render.ChartVersion is { } version && release.ChartVersion.Value?.TrimStart('v') != version.ToString())
            {
                Add(release.ChartVersion.Field, $"chart version {Shown(release.ChartVersion.Value)} (render {version})",
                    $"{consequence}: Cilium is upgraded or downgraded by the takeover itself", $"pin exactly {version}; upgrade afterwards, as a change of its own");
            }

            if (render.Release is null)
            {
                findings.Add(new LintFinding(LintRules.HelmHandoff, ProblemSeverity.Error, gitOps.Subject, gitOps.Location, "",
                    $"the render of {render.Key} ({render.Wrapper.Location}) ships the bare chart output, without Helm's ownership metadata: Helm refuses to adopt its objects (\"invalid ownership metadata\"), so this takeover fails on that cluster",
                    "render without --no-helm-ownership for clusters still to be created; on existing clusters add the metadata to the live objects before the takeover"));
            }
            else if (render.Release is { } rendered)
            {
                if (release.ReleaseName.Value != rendered.Name)
                {
                    Add(release.ReleaseName.Field, $"release name '{release.ReleaseName.Value}' (render '{rendered.Name}')",
                        $"{consequence}: Helm refuses to adopt objects that name another release (\"invalid ownership metadata\"), and a tool that takes ownership by force moves them to a release nothing else expects",
                        $"set the release name to {rendered.Name}");
                }

                if (release.ReleaseNamespace.Value != rendered.Namespace)
                {
                    Add(release.ReleaseNamespace.Field, $"release namespace {Shown(release.ReleaseNamespace.Value)} (render {rendered.Namespace})",
                        $"{consequence}: Helm refuses to adopt objects of a release in another namespace (\"invalid ownership metadata\") and the chart would place Cilium's objects there",
                        $"target namespace {rendered.Namespace}");
                }
            }

            if (render.Values is { } values)
            {
                var differences = ValueDifferences(values, release.Values.Values);
                if (differences.Count > 0)
                {
                    Add(release.Values.Field, $"values ({string.Join("; ", differences)})",
                        $"{consequence}: the agents and operator are rolled with other settings" +
                            (release.Uncompared.Count > 0 ? $" ({string.Join(", ", release.Uncompared)} not compared: they are resolved at reconcile time)" : ""),
                        $"use exactly the values of {Path.Combine(Path.GetDirectoryName(render.Wrapper.File) ?? "", Settings.HelmValuesFile.FileName)} (capi-cilium handoff writes them)");
                }
            }
        }
    }

    /// <summary>Flux's defaults: release name "[targetNamespace-]name", target and storage namespace the HelmRelease's own.</summary>
    private static GitOpsRelease? FromHelmRelease(LintObject o)
    {
        var spec = o.Content["spec"] as JsonObject;
        var target = LintObject.Text(spec?["targetNamespace"]);
        var name = LintObject.Text(spec?["releaseName"]) ?? (target is null ? o.Name : $"{target}-{o.Name}");
        var version = LintObject.At(spec, "chart", "spec") is JsonObject chart
            ? (LintObject.Text(chart["version"]) ?? "*", "spec.chart.spec.version")
            : ((string?)null, "spec.chartRef");
        var uncompared = spec?["valuesFrom"] is JsonArray { Count: > 0 } ? new[] { "spec.valuesFrom" } : [];
        return new GitOpsRelease(version, (name, "spec.releaseName"), (target ?? o.Namespace ?? "default", "spec.targetNamespace"),
            (spec?["values"] as JsonObject ?? [], "spec.values"), uncompared);
    }

    /// <summary>Argo CD's defaults: release name the Application's name; values from valuesObject, else the values string.</summary>
    private static GitOpsRelease? FromApplication(LintObject o)
    {
        var spec = o.Content["spec"] as JsonObject;
        var (source, path) = spec?["source"] is JsonObject single
            ? (single, "spec.source")
            : ((spec?["sources"] as JsonArray ?? []).OfType<JsonObject>().Select((s, i) => (s, $"spec.sources[{i}]"))
                .FirstOrDefault(s => LintObject.Text(s.s["chart"]) == "cilium"));
        if (source is null)
        {
            return null;
        }

        var helm = source["helm"] as JsonObject;
        var values = helm?["valuesObject"] as JsonObject;
        var valuesField = $"{path}.helm.valuesObject";
        if (values is null && LintObject.Text(helm?["values"]) is { } text)
        {
            valuesField = $"{path}.helm.values";
            try
            {
                values = YamlDocuments.Parse(text, o.Location).FirstOrDefault()?.Content as JsonObject;
            }
            catch (InputFileException)
            {
                values = null;
            }
        }

        var uncompared = new List<string>();
        if (helm?["valueFiles"] is JsonArray { Count: > 0 })
        {
            uncompared.Add($"{path}.helm.valueFiles");
        }

        if (helm?["parameters"] is JsonArray { Count: > 0 })
        {
            uncompared.Add($"{path}.helm.parameters");
        }

        return new GitOpsRelease((LintObject.Text(source["targetRevision"]), $"{path}.targetRevision"),
            (LintObject.Text(helm?["releaseName"]) ?? o.Name, $"{path}.helm.releaseName"),
            (LintObject.Text(LintObject.At(spec, "destination", "namespace")), "spec.destination.namespace"),
            (values ?? [], valuesField), uncompared);
    }

    /// <summary>By our cluster-name label, else by the values' cluster.name, else the only render among the inputs.</summary>
    private static RenderedRelease? MatchRender(LintObject gitOps, GitOpsRelease? release, IReadOnlyList<RenderedRelease> renders)
    {
        if (gitOps.Label(AddonKeys.ClusterNameLabel) is { } name)
        {
            var labelled = renders.Where(r => r.ClusterName == name).ToList();
            return labelled.Count == 1 ? labelled[0] : null;
        }

        if (LintObject.Text(LintObject.At(release?.Values.Values, "cluster", "name")) is { } clusterName)
        {
            var named = renders.Where(r => LintObject.Text(LintObject.At(r.Values, "cluster", "name")) == clusterName).ToList();
            if (named.Count == 1)
            {
                return named[0];
            }
        }

        return renders.Count == 1 ? renders[0] : null;
    }

    /// <summary>Each leaf that differs, is missing or is extra, by dotted path, in path order.</summary>
    private static List<string> ValueDifferences(JsonObject rendered, JsonObject gitOps) =>
        HelmValues.LeafDifferences(rendered, gitOps).Select(d => d switch
        {
            { InBefore: true, InAfter: true } => $"{d.Key}: {Json(d.After)}, render {Json(d.Before)}",
            { InBefore: true } => $"{d.Key} not set, render {Json(d.Before)}",
            _ => $"{d.Key}: {Json(d.After)} not in the render",
        }).ToList();

    private static string Json(JsonNode? node) => node?.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) ?? "null";

    private static string Shown(string? value) => value is null ? "(not set)" : $"'{value}'";
}
