using Threeport.Modules.Platform.Objects;

namespace Threeport.Modules.Platform.Reconciliation;

// Counts reconcile outcomes per object type (served at /metrics) and lets tests and the benchmark await them.
public sealed class ReconcileObserver
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Type, ReconcileOutcome Outcome, bool Failed), long> counts = new();

    public event Action<ObjectKey, ReconcileOutcome, Exception?>? Observed;

    // Raised right after a user change of the object and its outbox row committed (where notification latency starts).
    public event Action<ObjectKey>? Committed;

    // Raised right after the host committed Reconciled=true for `generation` of the object.
    public event Action<ObjectKey, long>? Reconciled;

    public void Observe(ObjectKey key, ReconcileOutcome outcome, Exception? failure)
    {
        counts.AddOrUpdate((key.Type, outcome, failure is not null), 1, (_, n) => n + 1);
        Observed?.Invoke(key, outcome, failure);
    }

    public void ObserveCommitted(ObjectKey key) => Committed?.Invoke(key);

    public void ObserveReconciled(ObjectKey key, long generation) => Reconciled?.Invoke(key, generation);

    public IEnumerable<(string Type, ReconcileOutcome Outcome, bool Failed, long Count)> Counts =>
        counts.Select(c => (c.Key.Type, c.Key.Outcome, c.Key.Failed, c.Value));
}
