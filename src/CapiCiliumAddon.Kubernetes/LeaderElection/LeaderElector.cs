using k8s.Exceptions;
using k8s.Models;

namespace CapiCiliumAddon.Kubernetes.LeaderElection;

public sealed record LeaderElectionOptions
{
    public required string Namespace { get; init; }

    public string LeaseName { get; init; } = "capi-cilium-addon";

    /// <summary>Unique per replica: the pod name.</summary>
    public required string Identity { get; init; }

    /// <summary>How long followers wait after the last observed renewal before taking over.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long the leader keeps retrying a failing renewal before it stops leading.</summary>
    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Clear the holder on graceful shutdown so the next replica need not wait for expiry.</summary>
    public bool ReleaseOnCancel { get; init; } = true;

    public Action<Exception>? OnError { get; init; }
}

/// <summary>
/// client-go leader election on a coordination.k8s.io/v1 Lease. Acquire by create, or by a compare-and-swap update
/// (resourceVersion) once the holder's lease has expired by the LOCAL clock since we last saw it change (no clock
/// skew assumptions); renew every retry period; stop leading when renewals keep failing past the renew deadline;
/// release on cancellation.
/// </summary>
/// <remarks>
/// Ours rather than the library's k8s.LeaderElection.LeaderElector with a LeaseLock, which (as of KubernetesClient
/// 21.0.8) falls short in two ways the controller relies on. It never releases the Lease on shutdown, so a successor
/// waits out the whole lease duration after every rollout. And it treats only HttpOperationException (an HTTP answer)
/// as "not leading this round": a refused connection (HttpRequestException) while acquiring escapes
/// RunAndTryToHoldLeadershipForeverAsync and ends the election for good, and while renewing gives leadership up at the
/// first failure instead of retrying until the renew deadline. The Lease itself is the library's typed V1Lease.
/// </remarks>
public sealed class LeaderElector
{
    private readonly IKubernetesClient client;
    private readonly LeaderElectionOptions options;
    private readonly TimeProvider time;
    private V1LeaseSpec? observedSpec;
    private DateTimeOffset observedAt;
    private volatile bool isLeader;

    public LeaderElector(IKubernetesClient client, LeaderElectionOptions options, TimeProvider? time = null)
    {
        if (options.LeaseDuration <= options.RenewDeadline) { throw new ArgumentException("LeaseDuration must be greater than RenewDeadline"); }
        if (options.RenewDeadline <= options.RetryPeriod) { throw new ArgumentException("RenewDeadline must be greater than RetryPeriod"); }
        this.client = client;
        this.options = options;
        this.time = time ?? TimeProvider.System;
    }

    public bool IsLeader => isLeader;

    public string Identity => options.Identity;

    /// <summary>
    /// Runs until cancelled: acquire, run <paramref name="lead"/> with a token cancelled when leadership is lost or
    /// on shutdown, then (after losing) try to acquire again. <paramref name="lead"/> should run until its token is
    /// cancelled. Releases the lease on cancellation when <see cref="LeaderElectionOptions.ReleaseOnCancel"/>.
    /// </summary>
    public async Task RunAsync(Func<CancellationToken, Task> lead, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            if (!await AcquireAsync(cancellationToken).ConfigureAwait(false)) { break; }

            using var leading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            isLeader = true;
            var work = Task.Run(() => lead(leading.Token), CancellationToken.None);
            try
            {
                await RenewLoopAsync(work, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                isLeader = false;
                await leading.CancelAsync().ConfigureAwait(false);
                try { await work.ConfigureAwait(false); }
                catch (OperationCanceledException) { }
                catch (Exception ex) { options.OnError?.Invoke(ex); }
            }

            if (cancellationToken.IsCancellationRequested && options.ReleaseOnCancel)
            {
                await ReleaseAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task<bool> AcquireAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (await TryAcquireOrRenewAsync(cancellationToken).ConfigureAwait(false)) { return true; }
            try
            {
                await Task.Delay(Jittered(options.RetryPeriod), time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
    }

    private async Task RenewLoopAsync(Task work, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested && !work.IsCompleted)
        {
            try
            {
                await Task.WhenAny(Task.Delay(options.RetryPeriod, time, cancellationToken), work).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (cancellationToken.IsCancellationRequested || work.IsCompleted) { return; }

            var deadline = time.GetUtcNow() + options.RenewDeadline;
            var renewed = false;
            while (!cancellationToken.IsCancellationRequested && time.GetUtcNow() < deadline)
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                attempt.CancelAfter(deadline - time.GetUtcNow());
                try
                {
                    if (await TryAcquireOrRenewAsync(attempt.Token).ConfigureAwait(false)) { renewed = true; break; }
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    break;
                }

                try
                {
                    await Task.Delay(options.RetryPeriod, time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            if (!renewed && !cancellationToken.IsCancellationRequested)
            {
                options.OnError?.Invoke(new InvalidOperationException($"failed to renew lease {options.Namespace}/{options.LeaseName} within {options.RenewDeadline}; stopping leading"));
                return;
            }
        }
    }

    /// <summary>
    /// One attempt. Any API answer, transport failure (the client reports those as KubernetesConnectionException),
    /// unreadable answer or failed credential refresh (an exec plugin's) means "not leading this round": the caller
    /// retries within its deadline, so nothing here may escape.
    /// </summary>
    private async Task<bool> TryAcquireOrRenewAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await AcquireOrRenewOnceAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is KubernetesApiException or KubernetesConnectionException or HttpRequestException or InvalidDataException or KubeConfigException)
        {
            options.OnError?.Invoke(ex);
            return false;
        }
    }

    private async Task<bool> AcquireOrRenewOnceAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        V1Lease lease;
        try
        {
            lease = await client.GetAsync<V1Lease>(options.Namespace, options.LeaseName, cancellationToken).ConfigureAwait(false);
        }
        catch (KubernetesNotFoundException)
        {
            var created = new V1Lease
            {
                Metadata = new V1ObjectMeta { Name = options.LeaseName, NamespaceProperty = options.Namespace },
                Spec = Spec(now, now, 0),
            };
            Observe(await client.CreateAsync(created, cancellationToken).ConfigureAwait(false), now);
            return true;
        }

        var spec = lease.Spec ?? new V1LeaseSpec();
        var holder = spec.HolderIdentity ?? "";
        Observe(lease, now);
        var durationSeconds = spec.LeaseDurationSeconds ?? (int)options.LeaseDuration.TotalSeconds;
        var expired = observedAt + TimeSpan.FromSeconds(durationSeconds) <= now;
        if (holder.Length > 0 && holder != options.Identity && !expired)
        {
            return false;
        }

        var transitions = spec.LeaseTransitions ?? 0;
        lease.Spec = holder == options.Identity && spec.AcquireTime is { } acquired
            ? Spec(new DateTimeOffset(acquired, TimeSpan.Zero), now, transitions)
            : Spec(now, now, holder.Length > 0 ? transitions + 1 : transitions);
        Observe(await client.ReplaceAsync(lease, cancellationToken).ConfigureAwait(false), now);
        return true;
    }

    private async Task ReleaseAsync()
    {
        using var timeout = new CancellationTokenSource(options.RenewDeadline);
        try
        {
            var lease = await client.GetAsync<V1Lease>(options.Namespace, options.LeaseName, timeout.Token).ConfigureAwait(false);
            if (lease.Spec is not { } spec || spec.HolderIdentity != options.Identity) { return; }
            spec.HolderIdentity = null;
            spec.LeaseDurationSeconds = 1;
            spec.RenewTime = time.GetUtcNow().UtcDateTime;
            await client.ReplaceAsync(lease, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            options.OnError?.Invoke(ex);
        }
    }

    private void Observe(V1Lease lease, DateTimeOffset now)
    {
        if (!Equals(lease.Spec, observedSpec))
        {
            observedSpec = lease.Spec;
            observedAt = now;
        }
    }

    private V1LeaseSpec Spec(DateTimeOffset acquire, DateTimeOffset renew, int transitions) => new()
    {
        HolderIdentity = options.Identity,
        LeaseDurationSeconds = (int)Math.Ceiling(options.LeaseDuration.TotalSeconds),
        AcquireTime = acquire.UtcDateTime,
        RenewTime = renew.UtcDateTime,
        LeaseTransitions = transitions,
    };

    private static TimeSpan Jittered(TimeSpan period) => period * (1 + (Random.Shared.NextDouble() * 1.2));
}
