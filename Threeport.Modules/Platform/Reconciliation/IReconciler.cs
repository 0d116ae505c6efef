using Threeport.Modules.Platform.Objects;

namespace Threeport.Modules.Platform.Reconciliation;

// Makes the world match one object. Given the latest stored object (tracked: status fields set on it are
// saved by the host with the outcome), it decides from state, not from what the user did: DeletionScheduled
// set means tear down, anything else is one idempotent apply path. Exceptions count as transient failures.
public interface IReconciler<in TObject>
    where TObject : ReconciledObject
{
    Task<ReconcileResult> ReconcileAsync(TObject obj, CancellationToken ct);
}
