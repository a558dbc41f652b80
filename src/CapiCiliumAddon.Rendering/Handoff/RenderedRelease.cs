using System.Text.Json.Nodes;
using CapiCiliumAddon.Rendering.Lint;
using CapiCiliumAddon.Rendering.Manifests;
using CapiCiliumAddon.Rendering.Settings;

namespace CapiCiliumAddon.Rendering.Handoff;

/// <summary>
/// What one Cluster's render in a capi-cilium output tree tells a day-2 owner: the chart version rendered, the Helm
/// release its chart objects name, and the values it was rendered with. Read back from the committed files (our
/// ConfigMaps, the chart objects inside them, and the values file beside them), so it describes what the
/// ClusterResourceSet ships, not what a new render would.
/// </summary>
/// <param name="Release">The release named by the chart objects' ownership metadata; null when the render is bare.</param>
/// <param name="Values">The values file's content; null when it is missing or does not match the render's hash.</param>
/// <param name="Wrapper">Our first ConfigMap of the render: where findings about the render point.</param>
public sealed record RenderedRelease(
    string ClusterNamespace,
    string ClusterName,
    CiliumVersion? ChartVersion,
    HelmReleaseIdentity? Release,
    JsonObject? Values,
    string? ValuesHash,
    LintObject Wrapper)
{
    public string Key => $"{ClusterNamespace}/{ClusterName}";

    /// <summary>
    /// Every render in <paramref name="inputs"/>, with problems for renders a day-2 owner could not take over as they
    /// are (no ownership metadata, no or a stale values file). <paramref name="valuesFiles"/> receives the values
    /// documents that belong to a render, so callers do not treat them as free-standing values files.
    /// </summary>
    public static IReadOnlyList<RenderedRelease> Read(LintInputSet inputs, List<Problem> problems, ISet<ValuesDocument>? valuesFiles = null)
    {
        var wrappers = inputs.Objects
            .Where(o => o.Wrapper is null && o.IsCore("ConfigMap")
                && o.Label(AddonKeys.ManagedByLabel) == AddonKeys.ManagedByValue && o.Label(AddonKeys.ClusterNameLabel) is not null)
            .GroupBy(o => (Namespace: o.Namespace ?? "default", Name: o.Label(AddonKeys.ClusterNameLabel)!))
            .OrderBy(g => g.Key.Namespace, StringComparer.Ordinal).ThenBy(g => g.Key.Name, StringComparer.Ordinal);
        var releases = new List<RenderedRelease>();
        foreach (var group in wrappers)
        {
            var wrapper = group.First();
            var members = group.ToHashSet();
            var embedded = inputs.Objects.Where(o => o.Wrapper is not null && members.Contains(o.Outermost)).ToList();
            var key = $"{group.Key.Namespace}/{group.Key.Name}";
            CiliumVersion.TryParse(wrapper.Annotations.GetValueOrDefault(AddonKeys.ChartVersionAnnotation), out var chartVersion);

            var owned = embedded.Where(o => o.Annotations.ContainsKey(HelmOwnership.ReleaseNameAnnotation)).ToList();
            HelmReleaseIdentity? release = null;
            if (owned.Count == 0)
            {
                problems.Add(Problem.Error(key, $"{wrapper.Location}: {wrapper.Subject}",
                    "the render's chart objects carry no Helm ownership metadata (rendered with --no-helm-ownership?): Helm refuses to adopt them (\"invalid ownership metadata\")",
                    "render again without --no-helm-ownership, then let the ClusterResourceSet apply it to new clusters; existing clusters keep their bare objects (ApplyOnce)"));
            }
            else
            {
                var first = owned[0];
                release = new HelmReleaseIdentity(first.Annotations[HelmOwnership.ReleaseNameAnnotation],
                    first.Annotations.GetValueOrDefault(HelmOwnership.ReleaseNamespaceAnnotation) ?? HelmReleaseIdentity.DefaultNamespace);
            }

            var valuesHash = wrapper.Annotations.GetValueOrDefault(AddonKeys.HelmValuesHashAnnotation);
            var directory = Path.GetDirectoryName(wrapper.File) ?? "";
            var document = inputs.ValuesDocuments.FirstOrDefault(d =>
                Path.GetFileName(d.File) == HelmValuesFile.FileName && (Path.GetDirectoryName(d.File) ?? "") == directory);
            JsonObject? values = null;
            if (document is null)
            {
                problems.Add(Problem.Error(key, Path.Combine(directory, HelmValuesFile.FileName),
                    "the render's Helm values file is missing: without the exact values a Helm-based owner's first reconcile changes Cilium",
                    "pass the whole folder capi-cilium render wrote (it writes the values file beside the ConfigMap), or render again"));
            }
            else
            {
                valuesFiles?.Add(document);
                var hash = HelmValuesFile.From(document.Values).Hash;
                if (valuesHash is not null && hash != valuesHash)
                {
                    problems.Add(Problem.Error(key, document.Location,
                        $"the values file does not match the render: its hash is {hash}, the render's {AddonKeys.HelmValuesHashAnnotation} is {valuesHash}",
                        "do not edit generated files; render again"));
                }
                else
                {
                    values = document.Values;
                }
            }

            releases.Add(new RenderedRelease(group.Key.Namespace, group.Key.Name, chartVersion, release, values, valuesHash, wrapper));
        }

        return releases;
    }
}
