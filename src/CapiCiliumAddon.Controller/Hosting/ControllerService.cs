using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using CapiCiliumAddon.Controller.Metrics;
using CapiCiliumAddon.Controller.Queue;
using CapiCiliumAddon.Controller.Reconciliation;
using CapiCiliumAddon.Kubernetes;
using CapiCiliumAddon.Kubernetes.LeaderElection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CapiCiliumAddon.Controller.Hosting;

/// <summary>
/// The controller process: an informer on Clusters feeding a work queue, workers running the reconciler, leader
/// election when enabled (only the leader runs workers; followers keep their caches), and shutdown that cancels
/// in-flight renders.
/// </summary>
public sealed class ControllerService : BackgroundService
{
    private readonly ControllerOptions options;
    private readonly LeaderElector? elector;
    private readonly ILogger logger;
    private readonly ConcurrentDictionary<string, string> signatures = new(StringComparer.Ordinal);

    public ControllerService(
        ControllerOptions options,
        Informer informer,
        WorkQueue queue,
        ClusterReconciler reconciler,
        ControllerMetrics metrics,
        LeaderElector? elector,
        ILogger<ControllerService> logger)
    {
        this.options = options;
        Informer = informer;
        Queue = queue;
        Reconciler = reconciler;
        Metrics = metrics;
        this.elector = elector;
        this.logger = logger;
        metrics.QueueDepth = () => queue.Depth;
        informer.AddHandler(OnClusterEvent);
    }

    public Informer Informer { get; }

    public WorkQueue Queue { get; }

    public ClusterReconciler Reconciler { get; }

    public ControllerMetrics Metrics { get; }

    /// <summary>True when this replica runs workers (always, without leader election).</summary>
    public bool IsLeading => elector?.IsLeader ?? Volatile.Read(ref workersRunning) > 0;

    private int workersRunning;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var informerTask = Informer.RunAsync(stoppingToken);
        try
        {
            await Informer.WaitForSyncAsync(stoppingToken).ConfigureAwait(false);
            logger.LogInformation("Cluster cache synced: {Count} Clusters match {Selector}", Informer.Keys().Count, options.LabelSelector);
            var resync = ResyncAsync(stoppingToken);
            if (elector is null)
            {
                await RunWorkersAsync(stoppingToken).ConfigureAwait(false);
            }
            else
            {
                await elector.RunAsync(RunWorkersAsync, stoppingToken).ConfigureAwait(false);
            }

            await resync.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            Queue.ShutDown();
            try { await informerTask.ConfigureAwait(false); }
            catch (OperationCanceledException) { }
        }
    }

    private void OnClusterEvent(InformerEvent change)
    {
        // Status-only updates (conditions, every few seconds) do not change what we render: skip them.
        if (change.Type == InformerEventType.Deleted)
        {
            signatures.TryRemove(change.Key, out _);
        }
        else
        {
            var signature = Signature(change.Object);
            if (signatures.TryGetValue(change.Key, out var old) && change.Type == InformerEventType.Modified
                && (old == signature || IsOwnLabelPatch(change.Key, change.Object, old)))
            {
                signatures[change.Key] = signature;
                return;
            }

            signatures[change.Key] = signature;
        }

        Queue.Add(change.Key);
    }

    /// <summary>
    /// True when the only change is the selector label our own reconcile added: that reconcile acted on everything
    /// else (or failed and retries by itself), so reconciling again would only find the Cluster current.
    /// </summary>
    private bool IsOwnLabelPatch(string key, JsonObject cluster, string previousSignature)
    {
        if (Reconciler.LabelAdded(key) is not { } label || cluster["metadata"]?["labels"] is not JsonObject labels
            || labels[label.Key] is not JsonValue value || !value.TryGetValue<string>(out var text) || text != label.Value)
        {
            return false;
        }

        var without = new JsonObject();
        foreach (var (name, node) in labels)
        {
            if (name != label.Key)
            {
                without[name] = node?.DeepClone();
            }
        }

        if (Signature(cluster, without) != previousSignature)
        {
            return false;
        }

        Reconciler.LabelPatchSeen(key);
        return true;
    }

    private static string Signature(JsonObject cluster, JsonObject? labels = null)
    {
        var meta = cluster["metadata"];
        return string.Join('\u001f',
            meta?["uid"]?.ToJsonString(),
            meta?["generation"]?.ToJsonString(),
            (labels ?? meta?["labels"])?.ToJsonString(),
            meta?["annotations"]?.ToJsonString(),
            cluster["spec"]?.ToJsonString());
    }

    private async Task ResyncAsync(CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await Task.Delay(options.ResyncPeriod, ct).ConfigureAwait(false);
                foreach (var key in Informer.Keys()) { Queue.Add(key); }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task RunWorkersAsync(CancellationToken ct)
    {
        logger.LogInformation("Starting {Workers} workers", options.Workers);
        Interlocked.Increment(ref workersRunning);
        try
        {
            // A new leader (or a restart) looks at every Cluster once; current ones cost no render and no write.
            foreach (var key in Informer.Keys()) { Queue.Add(key); }
            var workers = Enumerable.Range(0, options.Workers).Select(_ => Task.Run(() => WorkerAsync(ct), CancellationToken.None)).ToList();
            await Task.WhenAll(workers).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref workersRunning);
            logger.LogInformation("Workers stopped");
        }
    }

    private async Task WorkerAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            string? key;
            try
            {
                key = await Queue.GetAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (key is null) { return; }
            try
            {
                var result = await Reconciler.ReconcileAsync(key, ct).ConfigureAwait(false);
                if (result.Failed)
                {
                    var delay = Queue.AddRateLimited(key);
                    if (result.RequeueAfter is { } at && at > delay) { Queue.AddAfter(key, at); }
                    logger.LogInformation("Requeued {Cluster} in {Delay} after {Result}", key, delay, result.Result);
                }
                else
                {
                    Queue.Forget(key);
                    if (result.RequeueAfter is { } after) { Queue.AddAfter(key, after); }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // Leadership lost or shutting down mid-reconcile: whoever runs next must look at it again.
                Queue.Add(key);
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Unexpected failure reconciling {Cluster}", key);
                Queue.AddRateLimited(key);
            }
            finally
            {
                Queue.Done(key);
            }
        }
    }
}
