namespace CapiCiliumAddon.Controller.Reconciliation;

/// <param name="Result">Metric label: applied, current, waiting, invalid, deleted, conflict, render-failed, error.</param>
/// <param name="Failed">Retry with the queue's per-key backoff.</param>
/// <param name="RequeueAfter">Look again after this even on success (or at least this late on failure, e.g. 429 Retry-After).</param>
public sealed record ReconcileResult(string Result, bool Failed, TimeSpan? RequeueAfter = null, string? Message = null)
{
    public static ReconcileResult Ok(string result, TimeSpan? requeueAfter = null) => new(result, false, requeueAfter);

    public static ReconcileResult Fail(string result, string message, TimeSpan? requeueAfter = null) => new(result, true, requeueAfter, message);
}

/// <summary>What the controller last concluded about each Cluster, for the capi_cilium_clusters gauge.</summary>
public static class ClusterStates
{
    public const string Ready = "ready";
    public const string Waiting = "waiting";
    public const string Invalid = "invalid";
    public const string Blocked = "blocked";
    public const string Failed = "failed";
}
