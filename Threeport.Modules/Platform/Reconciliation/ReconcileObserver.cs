using Threeport.Modules.Platform.Objects;

namespace Threeport.Modules.Platform.Reconciliation;

// Counts reconcile outcomes per object type (served at /metrics) and lets tests and the benchmark await them.
public sealed class ReconcileObserver
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Type, ReconcileOutcome Outcome, bool Failed), long> counts = new();

    public event Action<ObjectKey, ReconcileOutcome, Exception?>? Observed;

    public void Observe(ObjectKey key, ReconcileOutcome outcome, Exception? failure)
    {
        counts.AddOrUpdate((key.Type, outcome, failure is not null), 1, (_, n) => n + 1);
        Observed?.Invoke(key, outcome, failure);
    }

    public IEnumerable<(string Type, ReconcileOutcome Outcome, bool Failed, long Count)> Counts =>
        counts.Select(c => (c.Key.Type, c.Key.Outcome, c.Key.Failed, c.Value));
}
