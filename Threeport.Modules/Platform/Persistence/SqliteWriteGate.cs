using Microsoft.EntityFrameworkCore;

namespace Threeport.Modules.Platform.Persistence;

// SQLite has one writer at a time. Writers of one process that collide inside SQLite wait in its busy handler,
// which sleeps 1, 2, 5, 10 ... 100 ms between tries: that put 10-300 ms stalls into notification latency and
// held creates to a few hundred per second (docs/benchmarks.md). Every write transaction of this process (API
// writes, reconcile outcomes, lease claims, records) queues here instead: an uncontended semaphore when alone,
// a FIFO hand-off when not. It orders writers of this process only; other processes still meet SQLite's lock.
//
// Entering is per DbContext: code that holds the gate for a read-modify-write (an API update) can call code that
// enters again with the same context (the outbox writer) without deadlocking.
public sealed class SqliteWriteGate
{
    private readonly SemaphoreSlim gate = new(1, 1);

    public async ValueTask<Releaser> EnterAsync(ThreeportDb db, CancellationToken ct)
    {
        if (db.HoldsWrites)
        {
            return default;
        }

        await gate.WaitAsync(ct);
        db.HoldsWrites = true;
        return new Releaser(gate, db);
    }

    // SaveChanges as one writer of this process; nothing to save takes no turn. Updates and inserts alone are written
    // as plain statements in their own transaction: EF's update pipeline was 14 % of the CPU of creating workload
    // instances, most of it recording their resources (docs/benchmarks.md). Failures surface as SaveChanges' would.
    public async Task<int> SaveChangesAsync(ThreeportDb db, CancellationToken ct)
    {
        var changes = db.Database.CurrentTransaction is null ? PlainStatements.ChangesOf(db, maxUpdates: int.MaxValue) : null;
        if (changes is { Count: 0 } || (changes is null && !db.ChangeTracker.HasChanges()))
        {
            return 0;
        }

        using var write = await EnterAsync(db, ct);
        if (changes is null)
        {
            return await db.SaveChangesAsync(ct);
        }

        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await using var statements = new PlainStatements(db);
        await statements.WriteAsync(changes, ct);
        await transaction.CommitAsync(ct);
        statements.Accept(db);
        return changes.Count;
    }

    public readonly struct Releaser(SemaphoreSlim gate, ThreeportDb db) : IDisposable
    {
        public void Dispose()
        {
            if (gate is not null)
            {
                db.HoldsWrites = false;
                gate.Release();
            }
        }
    }
}
