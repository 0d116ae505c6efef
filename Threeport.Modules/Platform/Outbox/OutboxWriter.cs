using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.Extensions.Logging;
using Threeport.Modules.Platform.Leases;
using Threeport.Modules.Platform.Objects;
using Threeport.Modules.Platform.Persistence;
using Threeport.Modules.Platform.Reconciliation;

namespace Threeport.Modules.Platform.Outbox;

// The one way a change that needs reconciling is stored: the object and its notification row commit in
// one transaction (nothing is lost between the two, unlike a publish after commit), then the dispatcher
// is signalled. The row is upserted: a pending notification absorbs later ones, keeping the earliest
// due time, and a user change resets the object's backoff.
//
// Concurrent saves commit together (group commit): each writer queues its context, and one at a time leads. The
// leader waits for the write gate while others queue behind it, commits all that is queued in one transaction, and
// hands the turn to the next writer in the queue. Under load the gate was the limit (held 83 % of the time at about
// 400 us per create, plus 16 % in hand-offs: docs/benchmarks.md); a group pays one turn and one commit. A group that
// fails for one writer's change (a duplicate name, a stale update) is retried as single saves, so each writer still
// gets its own answer; a storage fault (disk full, read-only) is every writer's answer.
public sealed class OutboxWriter(
    IDbContextFactory<ThreeportDb> dbFactory,
    DataDirectory dataDirectory,
    NotificationDispatcher dispatcher,
    NotificationChannels channels,
    LeaseStore leases,
    SqliteWriteGate writes,
    ReconcileObserver observer,
    TimeProvider time,
    ILogger<OutboxWriter> log)
{
    private const int MaxGroup = 64;
    private readonly ConcurrentQueue<QueuedSave> queued = new();

    // 1 while a writer leads (or has been handed the turn): only the leader dequeues and answers queued writers.
    private int leading;
    private long groupCommits;
    private long groupedSaves;

    // Saves waiting for their group (for tests).
    public int QueuedSaves => queued.Count;

    // Groups of two or more saves committed, and the saves they held (served at /metrics).
    public (long Commits, long Saves) Groups => (Interlocked.Read(ref groupCommits), Interlocked.Read(ref groupedSaves));

    public async Task SaveAsync(ThreeportDb db, IReadOnlyList<(ObjectType Type, ReconciledObject Object, Operation Operation)> notify, CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        // A writer that holds the gate already (a DELETE, a retried PATCH) saves inside its own turn.
        var save = db.HoldsWrites ? null : new QueuedSave(db, notify, now);
        if (save is null || !await SaveInGroupAsync(save))
        {
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
        }

        for (var i = 0; i < notify.Count; i++)
        {
            var (type, obj, _) = notify[i];
            var key = new ObjectKey(type.Name, obj.ID);
            observer.ObserveCommitted(key);
            dispatcher.Committed(key, now, save is { Committed: true } && save.Claims[i] is { } row ? CommittedCopy(db, obj, row) : null);
        }
    }

    // Detached, with what a load would give (its stored columns, no navigations): the API goes on answering with `obj`
    // while the reconciler changes its copy.
    private static CommittedObject CommittedCopy(ThreeportDb db, ReconciledObject obj, PendingRow row) =>
        new((ReconciledObject)db.Entry(obj).CurrentValues.ToObject(), row);

    // True when the save committed in a group; false when it is to be saved alone.
    private async Task<bool> SaveInGroupAsync(QueuedSave save)
    {
        queued.Enqueue(save);
        if (Interlocked.CompareExchange(ref leading, 1, 0) != 0 && await save.Turn.Task != Turn.Lead)
        {
            return save.Turn.Task.Result == Turn.Committed;
        }

        var group = new List<QueuedSave>();
        try
        {
            // Not cancelled by any one writer's request: the group commits for all of them.
            await using var db = await dbFactory.CreateDbContextAsync();
            // While the leader waits for the gate, other writers queue behind it and join its group.
            using var write = await writes.EnterAsync(db, CancellationToken.None);
            Dequeue(group, save);
            await TryCommitTogetherAsync(db, group);
        }
        finally
        {
            // Only if the commit never got to dequeue: saves that came in meanwhile belong to the next group.
            if (!group.Contains(save))
            {
                Dequeue(group, save);
            }

            PassTurn();
            foreach (var other in group.Where(other => other != save))
            {
                _ = other.Failure is { } failure ? other.Turn.TrySetException(failure) : other.Turn.TrySetResult(other.Committed ? Turn.Committed : Turn.Alone);
            }
        }

        if (save.Failure is { } storage)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(storage);
        }

        return save.Committed;
    }

    // The leader's own save must be in its group (left queued, a later group would store it again). It was queued
    // before its turn began, and a handed-on turn goes to the queue's head, so it is near the front.
    private void Dequeue(List<QueuedSave> group, QueuedSave own)
    {
        while ((group.Count < MaxGroup || !group.Contains(own)) && queued.TryDequeue(out var next))
        {
            group.Add(next);
        }
    }

    // The queue's head leads next; with nobody queued the turn is free (and taken back if a writer came meanwhile).
    private void PassTurn()
    {
        while (true)
        {
            if (queued.TryPeek(out var next))
            {
                next.Turn.TrySetResult(Turn.Lead);
                return;
            }

            Volatile.Write(ref leading, 0);
            if (queued.IsEmpty || Interlocked.CompareExchange(ref leading, 1, 0) != 0)
            {
                return;
            }
        }
    }

    // On `db`, which holds the write gate. As plain statements when every save holds only what they write (creates and
    // updates): EF's update pipeline, with the copies it needs, was a fifth of the CPU of creates at c=32, all of it
    // inside the gate (docs/benchmarks.md). Otherwise as copies saved by EF.
    private async Task TryCommitTogetherAsync(ThreeportDb db, List<QueuedSave> group)
    {
        var plain = group.All(save => save.Changes is not null);
        var added = new List<Dictionary<object, EntityEntry>>(group.Count);
        var claimed = new List<ObjectKey>();
        await using var statements = new PlainStatements(db, seenByInterceptors: true);
        try
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            db.Database.AutoSavepointsEnabled = false;
            if (plain)
            {
                foreach (var save in group)
                {
                    await statements.WriteAsync(save.Changes!, CancellationToken.None);
                }
            }
            else
            {
                added.AddRange(group.Select(save => GroupedChanges.CopyInto(from: save.Db, into: db)));
                await db.SaveChangesAsync();
            }

            for (var i = 0; i < group.Count; i++)
            {
                for (var j = 0; j < group[i].Notify.Count; j++)
                {
                    var (type, obj, operation) = group[i].Notify[j];
                    var id = plain ? (long?)statements.GeneratedKeyOf(obj) ?? obj.ID
                        : added[i].TryGetValue(obj, out var copy) ? ((ThreeportObject)copy.Entity).ID : obj.ID;
                    var key = new ObjectKey(type.Name, id);
                    var sequence = (long)(await statements.ScalarAsync(UpsertReturningSequenceSql, UpsertParameters(key, operation, group[i].Now), CancellationToken.None))!;
                    // Claimed for the reconcile this commit starts; a type not reconciled here leaves its lease alone.
                    if (channels.TryGet(type.Name, out _) && await leases.TryClaimAtCommitAsync(statements, key, CancellationToken.None))
                    {
                        claimed.Add(key);
                        group[i].Claims[j] = new PendingRow(sequence, Attempt: 0, operation.ToString());
                    }
                }
            }

            await transaction.CommitAsync();
        }
        catch (Exception ex) when (StorageFaults.Describe(ex, dataDirectory) is not null)
        {
            // The disk or the database failed, not one writer's change: every writer of the group gets the error.
            group.ForEach(save => save.Failure = ex);
            leases.ForgetClaimsAtCommit(claimed);
            return;
        }
        catch (Exception ex)
        {
            log.LogDebug("Saving {Count} changes together failed; saving each alone: {Error}", group.Count, ex.Message);
            leases.ForgetClaimsAtCommit(claimed);
            return;
        }

        group.ForEach(save => save.Committed = true);
        if (group.Count > 1)
        {
            Interlocked.Increment(ref groupCommits);
            Interlocked.Add(ref groupedSaves, group.Count);
        }

        for (var i = 0; i < group.Count; i++)
        {
            if (plain)
            {
                statements.Accept(group[i].Db);
            }
            else
            {
                GroupedChanges.AcceptSaved(group[i].Db, added[i]);
            }
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

    private const string UpsertSql =
        """
        INSERT INTO OutboxMessages (ObjectType, ObjectId, Operation, CreatedAt, AvailableAt, Attempt, Sequence)
        VALUES ($type, $id, $operation, $now, $now, 0, 1)
        ON CONFLICT (ObjectType, ObjectId) DO UPDATE SET
            Operation = excluded.Operation,
            AvailableAt = MIN(AvailableAt, excluded.AvailableAt),
            Attempt = 0,
            Sequence = Sequence + 1
        """;

    private const string UpsertReturningSequenceSql = $"{UpsertSql} RETURNING Sequence";

    private static (string, object)[] UpsertParameters(ObjectKey key, Operation operation, long now) =>
        [("$type", key.Type), ("$id", key.Id), ("$operation", operation.ToString()), ("$now", now)];

    // Through EF's command pipeline, where interceptors see every API write (the storage-fault tests inject there).
    private static Task<int> UpsertAsync(ThreeportDb db, ObjectKey key, Operation operation, long now, CancellationToken ct) =>
        db.Database.ExecuteSqlRawAsync(UpsertSql, UpsertParameters(key, operation, now).Select(p => new SqliteParameter(p.Item1, p.Item2)), ct);

    private enum Turn
    {
        Lead,
        Committed,
        Alone,
    }

    private sealed class QueuedSave(ThreeportDb db, IReadOnlyList<(ObjectType Type, ReconciledObject Object, Operation Operation)> notify, long now)
    {
        public ThreeportDb Db => db;

        public IReadOnlyList<(ObjectType Type, ReconciledObject Object, Operation Operation)> Notify => notify;

        public long Now => now;

        // Per notified object, once committed in a group: the outbox row it left when the commit claimed its lease, or null.
        public PendingRow?[] Claims { get; } = new PendingRow?[notify.Count];

        // What the writer's context would save, detected before it queues (outside the gate); null when SaveChanges must save it.
        public IReadOnlyList<EntityEntry>? Changes { get; } = PlainStatements.ChangesOf(db, maxUpdates: int.MaxValue);

        // Set by the leader: lead the next group, or whether this save committed in the leader's group.
        public TaskCompletionSource<Turn> Turn { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Committed { get; set; }

        // A storage fault that failed the group: this writer's answer too.
        public Exception? Failure { get; set; }
    }
}
