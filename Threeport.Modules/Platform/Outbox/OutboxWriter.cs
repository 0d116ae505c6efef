using Microsoft.EntityFrameworkCore;
using Threeport.Modules.Platform.Objects;
using Threeport.Modules.Platform.Persistence;
using Threeport.Modules.Platform.Reconciliation;

namespace Threeport.Modules.Platform.Outbox;

// The one way a change that needs reconciling is stored: the object and its notification row commit in
// one transaction (nothing is lost between the two, unlike a publish after commit), then the dispatcher
// is signalled. The row is upserted: a pending notification absorbs later ones, keeping the earliest
// due time, and a user change resets the object's backoff.
public sealed class OutboxWriter(NotificationDispatcher dispatcher, SqliteWriteGate writes, ReconcileObserver observer, TimeProvider time)
{
    public async Task SaveAsync(ThreeportDb db, IReadOnlyList<(ObjectType Type, ReconciledObject Object, Operation Operation)> notify, CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        using (await writes.EnterAsync(db, ct))
        await using (var transaction = await db.Database.BeginTransactionAsync(ct))
        {
            await db.SaveChangesAsync(ct);
            foreach (var (type, obj, operation) in notify)
            {
                await UpsertAsync(db, new ObjectKey(type.Name, obj.ID), operation, now, ct);
            }

            await transaction.CommitAsync(ct);
        }

        foreach (var (type, obj, _) in notify)
        {
            var key = new ObjectKey(type.Name, obj.ID);
            observer.ObserveCommitted(key);
            dispatcher.Committed(key, now);
        }
    }

    public Task SaveAsync(ThreeportDb db, ObjectType type, ReconciledObject obj, Operation operation, CancellationToken ct) =>
        SaveAsync(db, [(type, obj, operation)], ct);

    // Asks for a reconcile without changing the object: the world drifted, or its status needs refreshing.
    public async Task NotifyAsync(ThreeportDb db, ObjectKey key, Operation operation, CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        using (await writes.EnterAsync(db, ct))
        {
            await UpsertAsync(db, key, operation, now, ct);
        }

        dispatcher.Committed(key, now);
    }

    // Through EF's command pipeline, where interceptors see every API write (the storage-fault tests inject there).
    private static Task<int> UpsertAsync(ThreeportDb db, ObjectKey key, Operation operation, long now, CancellationToken ct) =>
        db.Database.ExecuteSqlInterpolatedAsync(
            $"""
             INSERT INTO OutboxMessages (ObjectType, ObjectId, Operation, CreatedAt, AvailableAt, Attempt, Sequence)
             VALUES ({key.Type}, {key.Id}, {operation.ToString()}, {now}, {now}, 0, 1)
             ON CONFLICT (ObjectType, ObjectId) DO UPDATE SET
                 Operation = excluded.Operation,
                 AvailableAt = MIN(AvailableAt, excluded.AvailableAt),
                 Attempt = 0,
                 Sequence = Sequence + 1
             """,
            ct);
}
