using CapiCiliumAddon.Kubernetes;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CapiCiliumAddon.Controller.Hosting;

/// <summary>
/// Ready once the Cluster cache has listed: before that, the controller would treat every Cluster as absent, so a
/// replica must not receive traffic or be counted as available by a rolling update.
/// </summary>
internal sealed class ClusterCacheHealthCheck(Informer informer) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(informer.HasSynced ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("cluster cache not synced"));
}
