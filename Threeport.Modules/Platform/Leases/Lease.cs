namespace Threeport.Modules.Platform.Leases;

// The lock on one object while a reconciler works on it (Kubernetes' LeaderElectionRecord, per object).
public sealed class Lease
{
    public required string ObjectType { get; set; }

    public long ObjectId { get; set; }

    public required string Owner { get; set; }

    // Unix milliseconds; after it, anyone may take the lease over.
    public long ExpiresAt { get; set; }
}
