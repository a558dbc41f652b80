using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using CapiCiliumAddon.Controller.Metrics;
using CapiCiliumAddon.Kubernetes;
using CapiCiliumAddon.Kubernetes.Events;
using CapiCiliumAddon.Rendering;
using Microsoft.Extensions.Logging;

namespace CapiCiliumAddon.Controller.Reconciliation;

/// <summary>Looks a Cluster up in the informer's cache; null when it is gone or no longer matches the selector.</summary>
public delegate JsonObject? ClusterLookup(string @namespace, string name);

/// <summary>
/// Brings one Cluster's add-on objects in line with what it asks for (DESIGN.md §2, §5). Idempotent and level-based:
/// it reads the live state every time, so a missed event or a restart is harmless, and it writes nothing when the
/// stored input hash is current.
/// </summary>
public sealed class ClusterReconciler
{
    private readonly IKubernetesClient client;
    private readonly IClusterAddonRenderer renderer;
    private readonly ClusterLookup lookup;
    private readonly EventRecorder events;
    private readonly ControllerMetrics metrics;
    private readonly ReconcilerOptions options;
    private readonly ILogger logger;
    private readonly SemaphoreSlim renderSlots;

    /// <summary>
    /// Every line logged during a reconcile names its Cluster: as `cluster=namespace/name` in text logs and as a
    /// `cluster` field in JSON logs (a message-template scope formats as text and enumerates as fields).
    /// </summary>
    private static readonly Func<ILogger, string, IDisposable?> ClusterScope = LoggerMessage.DefineScope<string>("cluster={cluster}");
    private readonly LabelSelectorMatcher selector;
    private readonly ConcurrentDictionary<string, string> states = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, KeyValuePair<string, string>> labelPatches = new(StringComparer.Ordinal);

    /// <summary>
    /// A render whose objects are not all written yet, by Cluster key. A write failing after a good render (409,
    /// 429, 500, a dropped connection) must not cost another render on retry: one change, one render.
    /// </summary>
    private readonly ConcurrentDictionary<string, (string InputHash, AddonRenderOutcome.Rendered Rendered)> unwritten = new(StringComparer.Ordinal);

    public ClusterReconciler(
        IKubernetesClient client,
        IClusterAddonRenderer renderer,
        ClusterLookup lookup,
        EventRecorder events,
        ControllerMetrics metrics,
        ReconcilerOptions options,
        ILogger logger)
    {
        this.client = client;
        this.renderer = renderer;
        this.lookup = lookup;
        this.events = events;
        this.metrics = metrics;
        this.options = options;
        this.logger = logger;
        renderSlots = new SemaphoreSlim(Math.Max(1, options.MaxConcurrentRenders));
        selector = new LabelSelectorMatcher(options.LabelSelector);
    }

    public IReadOnlyDictionary<string, string> States => states;

    /// <summary>
    /// The selector label a reconcile of <paramref name="key"/> added to the Cluster, until the caller says it saw the
    /// watch event of that patch (<see cref="LabelPatchSeen"/>). That event carries nothing new for the reconcile that
    /// made it, so the caller may skip it.
    /// </summary>
    public KeyValuePair<string, string>? LabelAdded(string key) => labelPatches.TryGetValue(key, out var label) ? label : null;

    public void LabelPatchSeen(string key) => labelPatches.TryRemove(key, out _);

    public async Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        var ns = slash < 0 ? "" : key[..slash];
        var name = slash < 0 ? key : key[(slash + 1)..];
        using var scope = ClusterScope(logger, key);
        ReconcileResult result;
        JsonObject? cluster = null;
        try
        {
            cluster = lookup(ns, name);
            // A Cluster being deleted gets no new render; its objects go now rather than when GC gets to them.
            result = cluster is null || !selector.Matches(cluster) || cluster["metadata"]?["deletionTimestamp"] is not null
                ? await CleanUpAsync(key, ns, name, cluster, cancellationToken).ConfigureAwait(false)
                : await ReconcileClusterAsync(key, cluster, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            var cause = Describe(ex);
            logger.LogError(ex, "Reconcile of {Cluster} failed: {Cause}", key, cause);
            if (cluster is not null)
            {
                await events.RecordAsync(cluster, EventType.Warning, "ReconcileFailed", "Reconcile", $"{key}: {cause}", cancellationToken).ConfigureAwait(false);
                states[key] = ClusterStates.Failed;
            }

            var retryAfter = ex is KubernetesTooManyRequestsException tmr ? tmr.RetryAfter : null;
            result = ReconcileResult.Fail("error", cause, retryAfter);
        }

        metrics.ReconcileFinished(result.Result);
        PublishStates();
        return result;
    }

    private async Task<ReconcileResult> ReconcileClusterAsync(string key, JsonObject cluster, CancellationToken ct)
    {
        var ns = Meta(cluster, "namespace") ?? "";
        var uid = Meta(cluster, "uid") ?? "";

        // Referenced values ConfigMaps (missing ones absent), then the pure plan.
        var configMaps = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        foreach (var cmName in renderer.ReferencedConfigMaps(cluster))
        {
            try
            {
                var cm = await client.GetAsync(ResourceType.ConfigMap, ns, cmName, ct).ConfigureAwait(false);
                var data = new Dictionary<string, string>(StringComparer.Ordinal);
                if (cm["data"] is JsonObject d)
                {
                    foreach (var (k, v) in d) { data[k] = v?.GetValue<string>() ?? ""; }
                }

                configMaps[cmName] = data;
            }
            catch (KubernetesNotFoundException)
            {
            }
        }

        switch (renderer.Plan(cluster, configMaps))
        {
            case AddonPlanOutcome.NotReady notReady:
                states[key] = ClusterStates.Waiting;
                logger.LogInformation("Waiting for {Cluster}: {Reason}", key, notReady.Reason.ToString());
                await events.RecordAsync(cluster, EventType.Normal, "WaitingForControlPlaneEndpoint", "Plan",
                    $"not rendering Cilium yet: {notReady.Reason}", ct).ConfigureAwait(false);
                return ReconcileResult.Ok("waiting");

            case AddonPlanOutcome.Invalid invalid:
                states[key] = ClusterStates.Invalid;
                var list = string.Join("; ", invalid.Problems.Select(p => p.ToString()));
                logger.LogWarning("Cluster {Cluster} is invalid: {Problems}", key, list);
                await events.RecordAsync(cluster, EventType.Warning, "InvalidCluster", "Plan", list, ct).ConfigureAwait(false);
                return ReconcileResult.Ok("invalid", options.InvalidRequeue);

            case AddonPlanOutcome.Ready ready:
                return await ApplyPlanAsync(key, cluster, uid, ready.Plan, ct).ConfigureAwait(false);

            default:
                throw new UnreachableException();
        }
    }

    private async Task<ReconcileResult> ApplyPlanAsync(string key, JsonObject cluster, string uid, AddonPlan plan, CancellationToken ct)
    {
        // The per-cluster label our CRS selects, applied alone under our field manager (touches nothing else).
        var clusterApiVersion = cluster["apiVersion"]?.GetValue<string>() ?? ResourceType.Cluster.ApiVersion;
        var (labelKey, labelValue) = plan.SelectorLabel;
        if (cluster["metadata"]?["labels"]?[labelKey]?.GetValue<string>() != labelValue)
        {
            var patch = new JsonObject
            {
                ["apiVersion"] = clusterApiVersion,
                ["kind"] = "Cluster",
                ["metadata"] = new JsonObject
                {
                    ["name"] = plan.ClusterName,
                    ["namespace"] = plan.Namespace,
                    ["labels"] = new JsonObject { [labelKey] = labelValue },
                },
            };
            var clusterType = TypeOf(clusterApiVersion, "Cluster");
            labelPatches[key] = plan.SelectorLabel;
            try
            {
                await client.ApplyAsync(clusterType, patch, new ApplyOptions(options.FieldManager), ct).ConfigureAwait(false);
            }
            catch (KubernetesConflictException ex)
            {
                return await BlockedAsync(key, cluster, $"label {labelKey} on Cluster {key} is owned by another field manager ({ex.Message}); not overwriting it", ct).ConfigureAwait(false);
            }
        }

        // Freshness and ownership of what is there, without rendering.
        var existing = new List<(AddonObjectName Name, JsonObject? Live)>();
        foreach (var objectName in plan.ObjectNames)
        {
            JsonObject? live = null;
            try
            {
                live = await client.GetAsync(TypeOf(objectName.ApiVersion, objectName.Kind), plan.Namespace, objectName.Name, ct).ConfigureAwait(false);
            }
            catch (KubernetesNotFoundException)
            {
            }

            existing.Add((objectName, live));
        }

        for (var i = 0; i < existing.Count; i++)
        {
            var (objectName, live) = existing[i];
            if (live is null) { continue; }
            var what = $"{objectName.Kind} {plan.Namespace}/{objectName.Name}";
            if (!IsManagedByUs(live))
            {
                return await BlockedAsync(key, cluster, $"{what} exists and is not managed by {ReconcilerOptions.ManagedByValue} (no label {ReconcilerOptions.ManagedByLabel}={ReconcilerOptions.ManagedByValue}); not overwriting it. Delete or rename it to let the controller create its own.", ct).ConfigureAwait(false);
            }

            var owners = ClusterOwners(live);
            if (owners.Count > 0 && !owners.Any(o => o.Uid == uid))
            {
                if (owners.All(o => o.Name == plan.ClusterName))
                {
                    // Ours, from an earlier Cluster of the same name (deleted and re-created): that cluster is gone.
                    logger.LogInformation("Deleting {Object} of a previous Cluster {Cluster} (uid {OldUid})", what, key, owners[0].Uid);
                    await client.DeleteAsync(TypeOf(objectName.ApiVersion, objectName.Kind), plan.Namespace, objectName.Name, new DeleteOptions(PreconditionUid: Meta(live, "uid")), ct).ConfigureAwait(false);
                    existing[i] = (objectName, null);
                    continue;
                }

                return await BlockedAsync(key, cluster, $"{what} belongs to Cluster {owners[0].Name} (uid {owners[0].Uid}); not overwriting it", ct).ConfigureAwait(false);
            }
        }

        var current = existing.All(e => e.Live is not null
            && e.Live["metadata"]?["annotations"]?[ReconcilerOptions.InputHashAnnotation]?.GetValue<string>() == plan.InputHash
            && ClusterOwners(e.Live).Any(o => o.Uid == uid));
        if (current)
        {
            states[key] = ClusterStates.Ready;
            logger.LogDebug("Cluster {Cluster} is current (input hash {Hash})", key, plan.InputHash);
            return ReconcileResult.Ok("current");
        }

        // Without an object of ours for this Cluster there is no earlier render whose extra parts could be left over.
        var hadOwn = existing.Any(e => e.Live is not null && ClusterOwners(e.Live).Any(o => o.Uid == uid));
        var hashChanged = existing.Any(e => e.Live is not null
            && e.Live["metadata"]?["annotations"]?[ReconcilerOptions.InputHashAnnotation]?.GetValue<string>() is { } h && h != plan.InputHash);

        // Render (bounded), then apply in order with our owner reference.
        var rendered = unwritten.TryGetValue(key, out var pending) && pending.InputHash == plan.InputHash
            ? pending.Rendered
            : await RenderAsync(key, cluster, plan, ct).ConfigureAwait(false);
        if (rendered is null)
        {
            return ReconcileResult.Fail("render-failed", states.GetValueOrDefault(key, ""));
        }

        unwritten[key] = (plan.InputHash, rendered);
        var result = await WriteAsync(key, cluster, uid, plan, rendered, hashChanged, hadOwn, ct).ConfigureAwait(false);
        return result;
    }

    /// <summary>Renders within the concurrency bound; a failed render is reported (Event, log) and yields null.</summary>
    private async Task<AddonRenderOutcome.Rendered?> RenderAsync(string key, JsonObject cluster, AddonPlan plan, CancellationToken ct)
    {
        AddonRenderOutcome outcome;
        await renderSlots.WaitAsync(ct).ConfigureAwait(false);
        var stopwatch = Stopwatch.StartNew();
        try
        {
            outcome = await renderer.RenderAsync(plan, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            metrics.RenderFinished("cancelled", stopwatch.Elapsed);
            throw;
        }
        catch
        {
            metrics.RenderFinished("error", stopwatch.Elapsed);
            throw;
        }
        finally
        {
            renderSlots.Release();
        }

        metrics.RenderMade(outcome.Kind.ToString().ToLowerInvariant());
        if (outcome is AddonRenderOutcome.Failed failed)
        {
            metrics.RenderFinished("failed", stopwatch.Elapsed);
            states[key] = ClusterStates.Failed;
            var problems = string.Join("; ", failed.Problems.Select(p => p.ToString()));
            logger.LogError("Render for {Cluster} failed: {Problems}", key, problems);
            await events.RecordAsync(cluster, EventType.Warning, "RenderFailed", "Render", problems, ct).ConfigureAwait(false);
            return null;
        }

        var rendered = (AddonRenderOutcome.Rendered)outcome;
        metrics.RenderFinished("success", stopwatch.Elapsed);
        foreach (var warning in rendered.Warnings)
        {
            logger.LogWarning("Render for {Cluster}: {Warning}", key, warning.ToString());
        }

        return rendered;
    }

    private async Task<ReconcileResult> WriteAsync(string key, JsonObject cluster, string uid, AddonPlan plan,
        AddonRenderOutcome.Rendered rendered, bool hashChanged, bool hadOwn, CancellationToken ct)
    {

        var ownerRef = new JsonObject
        {
            ["apiVersion"] = cluster["apiVersion"]?.GetValue<string>() ?? ResourceType.Cluster.ApiVersion,
            ["kind"] = "Cluster",
            ["name"] = plan.ClusterName,
            ["uid"] = uid,
            ["controller"] = false,
            ["blockOwnerDeletion"] = false,
        };
        var written = new HashSet<string>(StringComparer.Ordinal);
        foreach (var source in rendered.Objects)
        {
            var obj = source.DeepClone().AsObject();
            var meta = obj["metadata"]!.AsObject();
            meta["namespace"] ??= plan.Namespace;
            meta["ownerReferences"] = new JsonArray(ownerRef.DeepClone());
            var type = TypeOf(obj["apiVersion"]!.GetValue<string>(), obj["kind"]!.GetValue<string>());
            var objName = meta["name"]!.GetValue<string>();
            try
            {
                await client.ApplyAsync(type, obj, new ApplyOptions(options.FieldManager, Force: false), ct).ConfigureAwait(false);
            }
            catch (KubernetesConflictException ex)
            {
                var fields = string.Join(", ", ex.Causes.Select(c => $"{c.Field} ({c.Message})"));
                return await BlockedAsync(key, cluster, $"{type.Kind} {plan.Namespace}/{objName}: fields are owned by another manager: {(fields.Length > 0 ? fields : ex.Message)}; not forcing", ct).ConfigureAwait(false);
            }

            written.Add($"{type.Kind}/{objName}");
        }

        // Every object is written: from now on the stored input hash, not this copy, says the Cluster is current.
        unwritten.TryRemove(key, out _);

        // Parts of an earlier, larger render (e.g. <name>-cilium-3) that this one no longer lists.
        if (hadOwn)
        {
            await DeleteOwnedAsync(plan.Namespace, plan.ClusterName, uid, written, ct).ConfigureAwait(false);
        }

        // ApplyOnce never re-applies: tell the user their change will not reach a cluster that already got Cilium.
        if (hashChanged)
        {
            await WarnIfAlreadyAppliedAsync(key, cluster, plan, ct).ConfigureAwait(false);
        }

        states[key] = ClusterStates.Ready;
        logger.LogInformation("Applied Cilium {Version} for {Cluster}: {Count} objects, input hash {Hash}", plan.CiliumVersion, key, rendered.Objects.Count, plan.InputHash);
        await events.RecordAsync(cluster, EventType.Normal, "CiliumApplied", "Apply",
            $"applied Cilium {plan.CiliumVersion}: {string.Join(", ", written)} (input hash {plan.InputHash})", ct).ConfigureAwait(false);
        return ReconcileResult.Ok("applied");
    }

    private async Task WarnIfAlreadyAppliedAsync(string key, JsonObject cluster, AddonPlan plan, CancellationToken ct)
    {
        var crs = plan.ObjectNames.FirstOrDefault(o => o.Kind == "ClusterResourceSet");
        if (crs is null) { return; }
        var bindingType = TypeOf(crs.ApiVersion, "ClusterResourceSetBinding");
        JsonObject binding;
        try
        {
            binding = await client.GetAsync(bindingType, plan.Namespace, plan.ClusterName, ct).ConfigureAwait(false);
        }
        catch (KubernetesNotFoundException)
        {
            return;
        }

        var applied = ClusterResourceSetBindings.AppliedResources(binding, crs.Name);
        if (applied.Count == 0) { return; }
        logger.LogWarning("Cluster {Cluster} already received {Resources} under ApplyOnce; the new render will not reach it", key, string.Join(", ", applied));
        await events.RecordAsync(cluster, EventType.Normal, "ApplyOnceNotReapplied", "Apply",
            $"ClusterResourceSet {plan.Namespace}/{crs.Name} already applied {string.Join(", ", applied)} to this cluster; under ApplyOnce the updated render (Cilium {plan.CiliumVersion}, input hash {plan.InputHash}) will NOT be applied to the running cluster. Upgrade Cilium there with your GitOps tool.",
            ct).ConfigureAwait(false);
    }

    /// <summary>a. The Cluster is gone or no longer selected: delete our objects for it ourselves (no reliance on GC).</summary>
    private async Task<ReconcileResult> CleanUpAsync(string key, string ns, string name, JsonObject? cluster, CancellationToken ct)
    {
        var uid = cluster is null ? null : Meta(cluster, "uid");
        var deleted = await DeleteOwnedAsync(ns, name, uid, keep: null, ct).ConfigureAwait(false);
        states.TryRemove(key, out _);
        unwritten.TryRemove(key, out _);
        labelPatches.TryRemove(key, out _);
        if (deleted > 0)
        {
            logger.LogInformation("Deleted {Count} objects of {Cluster}: it is gone or no longer matches {Selector}", deleted, key, options.LabelSelector);
        }

        if (cluster is not null && Meta(cluster, "deletionTimestamp") is null
            && cluster["metadata"]?["labels"]?[AddonKeys.ClusterNameLabel] is not null)
        {
            await ReleaseSelectorLabelAsync(cluster, ns, name, ct).ConfigureAwait(false);
        }

        return ReconcileResult.Ok(deleted > 0 ? "deleted" : "ignored");
    }

    /// <summary>
    /// A Cluster that left the selector keeps no trace of us: applying an object with no fields under our field
    /// manager releases what we own, so the selector label goes unless someone else (e.g. a GitOps tool that
    /// applied the same label) also owns it.
    /// </summary>
    private async Task ReleaseSelectorLabelAsync(JsonObject cluster, string ns, string name, CancellationToken ct)
    {
        var apiVersion = cluster["apiVersion"]?.GetValue<string>() ?? ResourceType.Cluster.ApiVersion;
        var empty = new JsonObject
        {
            ["apiVersion"] = apiVersion,
            ["kind"] = "Cluster",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
        };
        await client.ApplyAsync(TypeOf(apiVersion, "Cluster"), empty, new ApplyOptions(options.FieldManager), ct).ConfigureAwait(false);
    }

    /// <summary>Deletes our objects (managed-by label) owned by the Cluster (by name, and by UID when given) except <paramref name="keep"/> ("Kind/name").</summary>
    private async Task<int> DeleteOwnedAsync(string ns, string clusterName, string? uid, IReadOnlySet<string>? keep, CancellationToken ct)
    {
        var count = 0;
        // Only this Cluster's objects (every object of ours carries its cluster-name label), not the whole namespace's:
        // with a thousand Clusters in a namespace, listing all ConfigMaps of ours would fetch a thousand renders.
        var selector = $"{ReconcilerOptions.ManagedByLabel}={ReconcilerOptions.ManagedByValue}";
        if (IsLabelValue(clusterName))
        {
            selector += $",{AddonKeys.ClusterNameLabel}={clusterName}";
        }

        // The CRS first, so it never lists a ConfigMap that is already gone.
        foreach (var type in new[] { options.ClusterResourceSetType, ResourceType.ConfigMap, ResourceType.Secret })
        {
            var list = await client.ListAllAsync(type, ns, new ListOptions(LabelSelector: selector), ct).ConfigureAwait(false);
            foreach (var obj in list.Items)
            {
                var objName = Meta(obj, "name") ?? "";
                if (keep is not null && keep.Contains($"{type.Kind}/{objName}")) { continue; }
                if (!ClusterOwners(obj).Any(o => o.Name == clusterName && (uid is null || o.Uid == uid))) { continue; }
                if (await client.DeleteAsync(type, ns, objName, new DeleteOptions(PreconditionUid: Meta(obj, "uid")), ct).ConfigureAwait(false))
                {
                    count++;
                }
            }
        }

        return count;
    }

    private async Task<ReconcileResult> BlockedAsync(string key, JsonObject cluster, string message, CancellationToken ct)
    {
        states[key] = ClusterStates.Blocked;
        logger.LogWarning("Cluster {Cluster} blocked: {Message}", key, message);
        await events.RecordAsync(cluster, EventType.Warning, "ObjectNotOwned", "Apply", message, ct).ConfigureAwait(false);
        return ReconcileResult.Fail("conflict", message);
    }

    private void PublishStates() =>
        metrics.SetClusterStates(states.Values.GroupBy(s => s, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal));

    /// <summary>A valid label value: at most 63 characters, alphanumerics at both ends, '-', '_' and '.' between.</summary>
    private static bool IsLabelValue(string value) =>
        value.Length is > 0 and <= 63 && char.IsAsciiLetterOrDigit(value[0]) && char.IsAsciiLetterOrDigit(value[^1])
        && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private static bool IsManagedByUs(JsonObject obj) =>
        obj["metadata"]?["labels"]?[ReconcilerOptions.ManagedByLabel]?.GetValue<string>() == ReconcilerOptions.ManagedByValue;

    private static List<(string Name, string Uid)> ClusterOwners(JsonObject obj) =>
        (obj["metadata"]?["ownerReferences"] as JsonArray ?? [])
            .OfType<JsonObject>()
            .Where(o => o["kind"]?.GetValue<string>() == "Cluster" && (o["apiVersion"]?.GetValue<string>() ?? "").StartsWith("cluster.x-k8s.io/", StringComparison.Ordinal))
            .Select(o => (o["name"]?.GetValue<string>() ?? "", o["uid"]?.GetValue<string>() ?? ""))
            .ToList();

    private static string? Meta(JsonObject obj, string field) => obj["metadata"]?[field]?.GetValue<string>();

    public static ResourceType TypeOf(string apiVersion, string kind)
    {
        var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        var group = slash < 0 ? "" : apiVersion[..slash];
        var version = slash < 0 ? apiVersion : apiVersion[(slash + 1)..];
        var plural = kind switch
        {
            "ConfigMap" => "configmaps",
            "Secret" => "secrets",
            "Cluster" => "clusters",
            "ClusterResourceSet" => "clusterresourcesets",
            "ClusterResourceSetBinding" => "clusterresourcesetbindings",
            _ => kind.ToLowerInvariant() + "s",
        };
        return new ResourceType(group, version, plural, kind);
    }

    private static string Describe(Exception ex) => ex switch
    {
        KubernetesApiException api => $"{(int)api.StatusCode} {api.Reason}: {api.Message}",
        _ => $"{ex.GetType().Name}: {ex.Message}",
    };
}
