using System.Collections.Concurrent;
using System.Diagnostics;
using Threeport.Modules.Platform.Objects;
using Threeport.Modules.Platform.Reconciliation;

namespace Threeport.Modules.Bench;

// What the benchmark reads back from the control plane it drives: commit -> reconciler-invoked latencies,
// reconcile counts per object, and awaitable "reconciled" signals. Times are Stopwatch ticks of this process.
public sealed class BenchRecorder
{
    private readonly ConcurrentDictionary<long, long> pendingCommit = new();
    private readonly ConcurrentDictionary<long, long> lastCommit = new();
    private readonly ConcurrentDictionary<long, int> invocations = new();
    private readonly ConcurrentDictionary<ObjectKey, (long Generation, long At)> reconciled = new();
    private readonly ConcurrentDictionary<ObjectKey, TaskCompletionSource> waiters = new();
    private readonly Lock gate = new();
    private List<long> latencies = [];
    private long reconciledBench;
    private (long Target, TaskCompletionSource Done)? expected;

    public BenchRecorder(ReconcileObserver observer)
    {
        observer.Committed += OnCommitted;
        observer.Reconciled += OnReconciled;
    }

    public void Reset()
    {
        lock (gate)
        {
            latencies = [];
        }

        pendingCommit.Clear();
        lastCommit.Clear();
        invocations.Clear();
        reconciled.Clear();
    }

    // Called by the no-op reconciler: the first call after a commit is one latency sample.
    public void Invoked(long id)
    {
        var now = Stopwatch.GetTimestamp();
        invocations.AddOrUpdate(id, 1, (_, n) => n + 1);
        if (pendingCommit.TryRemove(id, out var committedAt))
        {
            lock (gate)
            {
                latencies.Add(now - committedAt);
            }
        }
    }

    public double[] LatencyMicroseconds()
    {
        lock (gate)
        {
            return latencies.Select(t => Stopwatch.GetElapsedTime(0, t).TotalMicroseconds).ToArray();
        }
    }

    public int InvocationsOf(long id) => invocations.GetValueOrDefault(id);

    public long? LastCommitOf(long id) => lastCommit.TryGetValue(id, out var at) ? at : null;

    public (long Generation, long At)? ReconciledOf(ObjectKey key) => reconciled.TryGetValue(key, out var r) ? r : null;

    // Completes when `count` more BenchObjects have been reconciled (status committed).
    public Task ExpectReconciles(long count)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (gate)
        {
            expected = (Interlocked.Read(ref reconciledBench) + count, done);
        }

        CheckExpected();
        return done.Task;
    }

    // Waits until the host committed Reconciled=true for `generation` (or a later one) of `key`; returns when (ticks).
    public async Task<long> WaitReconciledAsync(ObjectKey key, long generation, CancellationToken ct)
    {
        while (true)
        {
            var signal = waiters.GetOrAdd(key, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            if (reconciled.TryGetValue(key, out var r) && r.Generation >= generation)
            {
                return r.At;
            }

            await signal.Task.WaitAsync(ct);
        }
    }

    private void OnCommitted(ObjectKey key)
    {
        if (key.Type != nameof(BenchObject))
        {
            return;
        }

        var now = Stopwatch.GetTimestamp();
        pendingCommit.TryAdd(key.Id, now);
        lastCommit[key.Id] = now;
    }

    private void OnReconciled(ObjectKey key, long generation)
    {
        var now = Stopwatch.GetTimestamp();
        reconciled.AddOrUpdate(key, (generation, now), (_, old) => old.Generation > generation ? old : (generation, now));
        if (waiters.TryRemove(key, out var signal))
        {
            signal.TrySetResult();
        }

        if (key.Type == nameof(BenchObject))
        {
            Interlocked.Increment(ref reconciledBench);
            CheckExpected();
        }
    }

    private void CheckExpected()
    {
        TaskCompletionSource? done = null;
        lock (gate)
        {
            if (expected is { } e && Interlocked.Read(ref reconciledBench) >= e.Target)
            {
                done = e.Done;
                expected = null;
            }
        }

        done?.TrySetResult();
    }
}
