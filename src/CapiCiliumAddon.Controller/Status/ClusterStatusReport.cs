using System.Text.Json.Nodes;
using CapiCiliumAddon.Controller.Reconciliation;
using CapiCiliumAddon.Kubernetes;
using CapiCiliumAddon.Rendering;
using CapiCiliumAddon.Rendering.Addons;
using CapiCiliumAddon.Rendering.Clusters;
using CapiCiliumAddon.Rendering.Manifests;

namespace CapiCiliumAddon.Controller.Status;

/// <summary>One labelled Cluster as `capi-cilium status` shows it.</summary>
/// <param name="State">waiting-for-endpoint, invalid, pending (no objects yet), rendered, or foreign (an object of our name we do not manage).</param>
/// <param name="Applied">What the ClusterResourceSetBinding says: "yes", "no", or "partly (n/m)".</param>
public sealed record ClusterStatus(string Key, string Endpoint, string CiliumVersion, string State, string Applied)
{
    /// <summary>
    /// The Helm release ("namespace/name") a day-2 owner must use to adopt the bootstrapped Cilium, from our objects'
    /// annotations; "none" for a render without Helm ownership metadata, "-" when nothing is rendered.
    /// </summary>
    public string HelmRelease { get; init; } = "-";

    /// <summary>The hash of the Helm values a day-2 owner must install with (the render's values file), or "-".</summary>
    public string HelmValuesHash { get; init; } = "-";
}

/// <summary>Reads, without writing anything, what the controller has done for each labelled Cluster.</summary>
public sealed class ClusterStatusReport(IKubernetesClient client, ResourceType clusterType, ResourceType clusterResourceSetType)
{
    public async Task<IReadOnlyList<ClusterStatus>> ReadAsync(string? @namespace, string labelSelector, CancellationToken cancellationToken)
    {
        var clusters = await client.ListAllAsync(clusterType, @namespace, new ListOptions(LabelSelector: labelSelector), cancellationToken).ConfigureAwait(false);
        var rows = new List<ClusterStatus>();
        foreach (var cluster in clusters.Items)
        {
            rows.Add(await ReadOneAsync(cluster, cancellationToken).ConfigureAwait(false));
        }

        return rows.OrderBy(r => r.Key, StringComparer.Ordinal).ToList();
    }

    private async Task<ClusterStatus> ReadOneAsync(JsonObject cluster, CancellationToken cancellationToken)
    {
        var read = ClusterReader.Read(cluster);
        var ns = (string?)cluster["metadata"]?["namespace"] ?? "default";
        var name = (string?)cluster["metadata"]?["name"] ?? "";
        var key = $"{ns}/{name}";
        if (!read.IsValid)
        {
            return new ClusterStatus(key, "-", "-", "invalid", "-");
        }

        var facts = read.Facts!;
        var endpoint = facts.Endpoint is { } e ? (e.Host.Contains(':') ? $"[{e.Host}]:{e.Port}" : $"{e.Host}:{e.Port}") : "-";
        if (facts.Endpoint is null)
        {
            return new ClusterStatus(key, endpoint, "-", "waiting-for-endpoint", "-");
        }

        var crsName = AddonNames.ClusterResourceSet(name);
        JsonObject crs;
        try
        {
            crs = await client.GetAsync(clusterResourceSetType, ns, crsName, cancellationToken).ConfigureAwait(false);
        }
        catch (KubernetesNotFoundException)
        {
            return new ClusterStatus(key, endpoint, "-", "pending", "-");
        }

        if ((string?)crs["metadata"]?["labels"]?[AddonKeys.ManagedByLabel] != AddonKeys.ManagedByValue)
        {
            return new ClusterStatus(key, endpoint, "-", "foreign", "-");
        }

        var version = (string?)crs["metadata"]?["annotations"]?[AddonKeys.CiliumVersionAnnotation] ?? "-";
        var resources = (crs["spec"]?["resources"] as JsonArray)?.Count ?? 0;
        var applied = await AppliedAsync(ns, name, crsName, resources, cancellationToken).ConfigureAwait(false);
        var release = (string?)crs["metadata"]?["annotations"]?[AddonKeys.HelmReleaseNameAnnotation];
        return new ClusterStatus(key, endpoint, version, "rendered", applied)
        {
            HelmRelease = release is null ? "none" : $"{HelmReleaseIdentity.DefaultNamespace}/{release}",
            HelmValuesHash = (string?)crs["metadata"]?["annotations"]?[AddonKeys.HelmValuesHashAnnotation] ?? "-",
        };
    }

    private async Task<string> AppliedAsync(string ns, string clusterName, string crsName, int resources, CancellationToken cancellationToken)
    {
        var bindingType = clusterResourceSetType with { Plural = "clusterresourcesetbindings", Kind = "ClusterResourceSetBinding" };
        JsonObject binding;
        try
        {
            binding = await client.GetAsync(bindingType, ns, clusterName, cancellationToken).ConfigureAwait(false);
        }
        catch (KubernetesNotFoundException)
        {
            return "no";
        }

        var applied = ClusterResourceSetBindings.AppliedResources(binding, crsName).Count;
        return applied == 0 ? "no" : applied >= resources ? "yes" : $"partly ({applied}/{resources})";
    }
}
