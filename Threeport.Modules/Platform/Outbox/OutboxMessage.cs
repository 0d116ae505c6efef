namespace Threeport.Modules.Platform.Outbox;

// A pending notification: "object (ObjectType, ObjectId) changed and must be reconciled".
// At most one row per object: later changes coalesce into it (Sequence counts them).
public sealed class OutboxMessage
{
    public long Id { get; set; }

    public required string ObjectType { get; set; }

    public long ObjectId { get; set; }

    // The latest user operation; logged, never branched on.
    public required string Operation { get; set; }

    // Unix milliseconds of the first change still waiting in this row.
    public long CreatedAt { get; set; }

    // Unix milliseconds before which the row is not delivered (backoff and RequeueAfter).
    public long AvailableAt { get; set; }

    // Failed or contended attempts since the last user change; drives the backoff.
    public int Attempt { get; set; }

    // Bumped by every coalesced change: a reconciler deletes the row only if it is still the one it read.
    public long Sequence { get; set; }
}
