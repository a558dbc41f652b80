using CapiCiliumAddon.Kubernetes;
using Microsoft.Extensions.Logging;

namespace CapiCiliumAddon.Controller.Hosting;

/// <summary>Everything `capi-cilium controller` can be told. Defaults are the production values.</summary>
public sealed record ControllerOptions
{
    /// <summary>--namespace: watch only this namespace; null watches all.</summary>
    public string? Namespace { get; init; }

    /// <summary>--selector: the Clusters we serve.</summary>
    public string LabelSelector { get; init; } = "cni=cilium";

    /// <summary>--workers: Clusters reconciled at once (a render uses ~125 MB).</summary>
    public int Workers { get; init; } = 2;

    /// <summary>Renders at once; defaults to <see cref="Workers"/>.</summary>
    public int? MaxConcurrentRenders { get; init; }

    /// <summary>The Cluster API version to watch, chosen by the caller from discovery (v1beta2, else v1beta1).</summary>
    public ResourceType ClusterType { get; init; } = ResourceType.Cluster;

    public ResourceType ClusterResourceSetType { get; init; } = ResourceType.ClusterResourceSet;

    public string FieldManager { get; init; } = "capi-cilium-addon";

    /// <summary>--leader-elect: only the Lease holder runs workers; others keep their caches warm.</summary>
    public bool LeaderElect { get; init; }

    public string LeaderElectionNamespace { get; init; } = Environment.GetEnvironmentVariable("POD_NAMESPACE") ?? "capi-cilium-system";

    public string LeaseName { get; init; } = "capi-cilium-addon";

    /// <summary>Identity in the Lease and reportingInstance of Events: the pod name.</summary>
    public string Identity { get; init; } = Environment.GetEnvironmentVariable("POD_NAME") ?? Environment.MachineName;

    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);

    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>--metrics-address host:port for /healthz, /readyz and /metrics; null serves nothing.</summary>
    public string? MetricsAddress { get; init; }

    /// <summary>--log-format: "text" (one line per entry) or "json".</summary>
    public string LogFormat { get; init; } = "text";

    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    /// <summary>Every watched Cluster is re-queued this often (catches values ConfigMap edits; cheap when current).</summary>
    public TimeSpan ResyncPeriod { get; init; } = TimeSpan.FromMinutes(10);

    public TimeSpan BackoffBase { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan BackoffMax { get; init; } = TimeSpan.FromMinutes(5);

    public TimeSpan InformerMinBackoff { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan InformerMaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan EventDeduplicationWindow { get; init; } = TimeSpan.FromMinutes(10);

    public void Validate()
    {
        if (Workers < 1) { throw new ArgumentException("--workers must be at least 1"); }
        if (LogFormat is not ("text" or "json")) { throw new ArgumentException("--log-format must be text or json"); }
        if (MetricsAddress is not null && !MetricsAddress.Contains(':', StringComparison.Ordinal)) { throw new ArgumentException("--metrics-address must be host:port"); }
    }
}
