using System.CommandLine;
using CapiCiliumAddon.Controller.Status;
using CapiCiliumAddon.Kubernetes;
using CapiCiliumAddon.Rendering;
using k8s.Exceptions;

namespace CapiCiliumAddon.Cli.Commands;

/// <summary>`capi-cilium status`: every labelled Cluster of a live management cluster and what the add-on did for it.</summary>
public static class StatusCommand
{
    public static Command Create()
    {
        var kubernetes = new KubernetesOptions();
        var command = new Command("status", """
            List labelled Clusters of a management cluster and the state of their Cilium.

            List every Cluster labelled cni: cilium with its control plane endpoint, the Cilium version of its
            ClusterResourceSet, its state (waiting-for-endpoint, invalid, pending, rendered, foreign) and whether
            Cluster API has applied the CRS (from the ClusterResourceSetBinding), and the Helm release and values hash
            the day-2 owner must use to adopt Cilium without changing it (capi-cilium handoff writes its manifests).
            Under ApplyOnce, an applied CRS is never re-applied: later changes reach the cluster only through the tool
            that owns Cilium after bootstrap.
            Exit codes: 0 listed; 2 the management cluster could not be read.
            """);
        kubernetes.AddTo(command);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            try
            {
                using var client = kubernetes.CreateClient(parseResult);
                var (clusterType, crsType) = await KubernetesOptions.DiscoverAsync(client, cancellationToken).ConfigureAwait(false);
                var rows = await new ClusterStatusReport(client, clusterType, crsType)
                    .ReadAsync(parseResult.GetValue(kubernetes.Namespace), $"{AddonKeys.CniLabel}={AddonKeys.CniLabelValue}", cancellationToken).ConfigureAwait(false);
                await output.WriteAsync(Format(rows)).ConfigureAwait(false);
                return CliApp.Success;
            }
            catch (Exception e) when (e is KubernetesApiException or KubernetesConnectionException or KubeConfigException)
            {
                await parseResult.InvocationConfiguration.Error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
                return CliApp.UsageError;
            }
        });
        return command;
    }

    public static string Format(IReadOnlyList<ClusterStatus> rows)
    {
        string[] header = ["CLUSTER", "ENDPOINT", "CILIUM", "STATE", "APPLIED", "HELM RELEASE", "HELM VALUES"];
        var table = rows.Select(r => new[] { r.Key, r.Endpoint, r.CiliumVersion, r.State, r.Applied, r.HelmRelease, r.HelmValuesHash }).Prepend(header).ToList();
        var widths = Enumerable.Range(0, header.Length).Select(i => table.Max(row => row[i].Length)).ToArray();
        return string.Concat(table.Select(row =>
            string.Join("  ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))) + "\n"));
    }
}
