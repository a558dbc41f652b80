namespace CapiCiliumAddon.Controller.Queue;

/// <summary>
/// client-go's rate-limited work queue for string keys ("namespace/name"): a key waiting is queued once however often
/// it is added; a key being processed is never handed out again until <see cref="Done"/>, and a key added while it is
/// processed is queued again at <see cref="Done"/>; <see cref="AddRateLimited"/> delays a failing key exponentially
/// (per key, reset by <see cref="Forget"/>).
/// </summary>
public sealed class WorkQueue : IDisposable
{
    private readonly object gate = new();
    private readonly LinkedList<string> queue = new();
    private readonly HashSet<string> dirty = new(StringComparer.Ordinal);
    private readonly HashSet<string> processing = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> failures = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim available = new(0);
    private readonly CancellationTokenSource shutdown = new();
    private readonly TimeSpan baseDelay;
    private readonly TimeSpan maxDelay;
    private int waiting;
    private int disposed;

    public WorkQueue(TimeSpan? baseDelay = null, TimeSpan? maxDelay = null)
    {
        this.baseDelay = baseDelay ?? TimeSpan.FromSeconds(1);
        this.maxDelay = maxDelay ?? TimeSpan.FromMinutes(5);
    }

    /// <summary>Keys queued and not yet handed out (what the depth metric shows).</summary>
    public int Depth { get { lock (gate) { return queue.Count; } } }

    /// <summary>Keys waiting out a backoff or an AddAfter delay.</summary>
    public int Delayed => Volatile.Read(ref waiting);

    public bool IsShuttingDown => shutdown.IsCancellationRequested;

    public void Add(string key)
    {
        lock (gate)
        {
            if (shutdown.IsCancellationRequested || !dirty.Add(key)) { return; }
            if (processing.Contains(key)) { return; }
            queue.AddLast(key);
        }

        available.Release();
    }

    public void AddAfter(string key, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero) { Add(key); return; }
        if (Volatile.Read(ref disposed) == 1) { return; }
        Interlocked.Increment(ref waiting);
        _ = Task.Delay(delay, shutdown.Token).ContinueWith(
            t =>
            {
                Interlocked.Decrement(ref waiting);
                if (!t.IsCanceled) { Add(key); }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <returns>The delay used.</returns>
    public TimeSpan AddRateLimited(string key)
    {
        int n;
        lock (gate)
        {
            failures.TryGetValue(key, out n);
            failures[key] = n + 1;
        }

        var delay = TimeSpan.FromMilliseconds(Math.Min(baseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(n, 30)), maxDelay.TotalMilliseconds));
        AddAfter(key, delay);
        return delay;
    }

    public int Failures(string key) { lock (gate) { return failures.GetValueOrDefault(key); } }

    public void Forget(string key) { lock (gate) { failures.Remove(key); } }

    /// <summary>Waits for a key; null once the queue is shut down. Call <see cref="Done"/> when finished with it.</summary>
    public async Task<string?> GetAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, shutdown.Token);
        while (true)
        {
            try
            {
                await available.WaitAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
            {
                return null;
            }

            lock (gate)
            {
                if (queue.First is null) { continue; }
                var key = queue.First.Value;
                queue.RemoveFirst();
                dirty.Remove(key);
                processing.Add(key);
                return key;
            }
        }
    }

    public void Done(string key)
    {
        var requeue = false;
        lock (gate)
        {
            processing.Remove(key);
            if (dirty.Contains(key) && !shutdown.IsCancellationRequested)
            {
                queue.AddLast(key);
                requeue = true;
            }
        }

        if (requeue) { available.Release(); }
    }

    public void ShutDown()
    {
        if (Volatile.Read(ref disposed) == 0) { shutdown.Cancel(); }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1) { return; }
        shutdown.Cancel();
        shutdown.Dispose();
        available.Dispose();
    }
}
