using Threeport.Modules.Platform.Objects;

namespace Threeport.Modules.Platform.Reconciliation;

// Counts reconcile outcomes per object type (served at /metrics) and lets tests and the benchmark await them.
public sealed class ReconcileObserver
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Type, ReconcileOutcome Outcome, bool Failed), long> counts = new();

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (long Commits, long Outcomes)> commits = new();

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

    // One transaction stored `outcomes` reconcile outcomes of `type` (more than one when a backlog's commit together).
    public void ObserveCommit(string type, int outcomes) =>
        commits.AddOrUpdate(type, (1, outcomes), (_, c) => (c.Commits + 1, c.Outcomes + outcomes));

    public IEnumerable<(string Type, long Commits, long Outcomes)> Commits => commits.Select(c => (c.Key, c.Value.Commits, c.Value.Outcomes));

    public IEnumerable<(string Type, ReconcileOutcome Outcome, bool Failed, long Count)> Counts =>
        counts.Select(c => (c.Key.Type, c.Key.Outcome, c.Key.Failed, c.Value));
}
