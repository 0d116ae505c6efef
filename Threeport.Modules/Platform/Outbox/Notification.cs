using Threeport.Modules.Platform.Objects;

namespace Threeport.Modules.Platform.Outbox;

// What a reconciler's channel carries: the object to reconcile and, when the notification comes straight from an API
// commit that claimed the object's lease for it, the object as that commit stored it (Threeport's notifications carry
// the object too). See decision 0008.
public readonly record struct Notification(ObjectKey Key, CommittedObject? Committed = null);

// A detached copy of an object as one API write committed it, with the outbox row that write left; the write claimed
// the object's lease for the reconcile it starts.
public sealed record CommittedObject(ReconciledObject Object, PendingRow Row);
