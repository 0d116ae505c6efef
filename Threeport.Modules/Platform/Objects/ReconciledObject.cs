namespace Threeport.Modules.Platform.Objects;

// Threeport's `Reconciliation` fields: the conversation between users, the API and the reconcilers.
public abstract class ReconciledObject : ThreeportObject
{
    // The reconciler's verdict that the world matches this generation; user changes reset it.
    public bool Reconciled { get; set; }

    // A reconciler started creating what the object describes.
    [ControlPlaneOwned]
    public DateTimeOffset? CreationAcknowledged { get; set; }

    // Creation finished; set with the first successful reconcile.
    [ControlPlaneOwned]
    public DateTimeOffset? CreationConfirmed { get; set; }

    // The last create attempt failed; it will be retried.
    [ControlPlaneOwned]
    public bool CreationFailed { get; set; }

    // Set by the first DELETE: reconcilers tear down before the row goes.
    [ControlPlaneOwned]
    public DateTimeOffset? DeletionScheduled { get; set; }

    // A reconciler started tearing down.
    [ControlPlaneOwned]
    public DateTimeOffset? DeletionAcknowledged { get; set; }

    // Teardown finished; the row is removed in the same transaction.
    [ControlPlaneOwned]
    public DateTimeOffset? DeletionConfirmed { get; set; }

    // Set when a reconciler decided that going on could do harm; no requeues until a user changes the object.
    public bool InterruptReconciliation { get; set; }
}
