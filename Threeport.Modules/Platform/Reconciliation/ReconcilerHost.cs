using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Threeport.Modules.Platform.Events;
using Threeport.Modules.Platform.Leases;
using Threeport.Modules.Platform.Objects;
using Threeport.Modules.Platform.Outbox;
using Threeport.Modules.Platform.Persistence;

namespace Threeport.Modules.Platform.Reconciliation;

// Runs the reconciler of one object type: N workers read the type's channel; for each object the host claims
// the lease, loads the latest row, calls the reconciler, and commits the outcome (status, outbox row, lease
// release, events) in one transaction. Reconcilers never see notifications, locks or channels.
public sealed class ReconcilerHost<TObject>(
    ObjectType type,
    NotificationChannels channels,
    NotificationDispatcher dispatcher,
    IDbContextFactory<ThreeportDb> dbFactory,
    LeaseStore leases,
    SqliteWriteGate writes,
    EventRecorder events,
    ReconcileObserver observer,
    IServiceScopeFactory scopes,
    TimeProvider time,
    IOptions<PlatformSettings> settings,
    ILogger<ReconcilerHost<TObject>> log) : BackgroundService
    where TObject : ReconciledObject
{
    private static readonly TimeSpan ReleaseTimeout = TimeSpan.FromSeconds(5);
    private readonly Backoff backoff = settings.Value.Backoff;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!channels.TryGet(type.Name, out var channel))
        {
            log.LogInformation("Reconciler for {ObjectType} is disabled in the {Controller} controller settings", type.Name, type.Controller);
            return;
        }

        var workers = Math.Max(1, settings.Value.ControllerFor(type.Controller).Workers);
        log.LogInformation("Started {Workers} workers reconciling {ObjectType} for the {Controller} controller", workers, type.Name, type.Controller);
        // Returns only when every worker has finished or handed back its object (controller-runtime wg.Wait()).
        await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => WorkAsync(channel.Reader, workers, stoppingToken)));

        // Leases that API commits claimed for notifications no worker took up.
        using var timeout = new CancellationTokenSource(ReleaseTimeout, time);
        try
        {
            await leases.ReleaseAllOfTypeAsync(type.Name, timeout.Token);
        }
        catch (Exception ex)
        {
            log.LogWarning(ex, "Failed to release the {ObjectType} leases claimed for notifications not taken up; they expire on their own", type.Name);
        }
    }

    private async Task WorkAsync(System.Threading.Channels.ChannelReader<Notification> reader, int workers, CancellationToken stoppingToken)
    {
        // How long this worker's last reconcile took: outcomes wait for the next reconcile only while reconciles are quick.
        var lastReconcile = TimeSpan.Zero;
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken))
            {
                var batch = TakeBatch(reader, workers);
                var claimed = await ClaimBatchAsync(batch, preload: lastReconcile < MaxCommitDelay, stoppingToken);
                var pending = new List<Outcome>(batch.Count);
                try
                {
                    foreach (var (key, committed) in batch)
                    {
                        if (stoppingToken.IsCancellationRequested)
                        {
                            // Shutdown: its lease, if the batch claimed it, is handed back below.
                            dispatcher.Completed(key, null);
                            continue;
                        }

                        if (pending.Count > 0 && time.GetElapsedTime(pending[0].ReadyAt) + lastReconcile >= MaxCommitDelay)
                        {
                            await CommitAsync(pending, stoppingToken);
                        }

                        var started = time.GetTimestamp();
                        if (await ProcessAsync(key, claimed.Take(key), committed, stoppingToken) is { } outcome)
                        {
                            pending.Add(outcome);
                        }

                        lastReconcile = time.GetElapsedTime(started);
                    }
                }
                finally
                {
                    await CommitAsync(pending, stoppingToken);

                    // Claimed for this batch but never started (shutdown): handed back with their leases.
                    await ReleaseAsync(claimed);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown: undelivered notifications stay in the outbox.
        }
    }

    // A backlog is taken a share at a time (so the other workers still get work), at most MaxBatch objects.
    private static List<Notification> TakeBatch(System.Threading.Channels.ChannelReader<Notification> reader, int workers)
    {
        var limit = Math.Clamp(reader.Count / workers, 1, MaxBatch);
        var batch = new List<Notification>(limit);
        while (batch.Count < limit && reader.TryRead(out var notification))
        {
            batch.Add(notification);
        }

        return batch;
    }

    // Leases of a batch, with their outbox rows, in one statement. While reconciles are quick, the objects are loaded
    // together right after (later in the batch, an object is then a few milliseconds older when reconciled; a change
    // meanwhile bumps its row's Sequence and Generation, so it is reconciled again and the stale status discarded). A
    // single object, or a failed batch claim, is claimed and loaded by ProcessAsync.
    private async Task<ClaimedBatch> ClaimBatchAsync(List<Notification> batch, bool preload, CancellationToken stoppingToken)
    {
        if (batch.Count < 2)
        {
            return ClaimedBatch.None;
        }

        try
        {
            var at = time.GetUtcNow();
            await using var db = await dbFactory.CreateDbContextAsync(stoppingToken);
            var rows = await leases.TryClaimAsync(db, batch.ConvertAll(n => n.Key), stoppingToken);
            var objects = preload && rows.Count > 0
                ? await ObjectById<TObject>.ReadManyAsync(db, rows.Keys.Select(k => k.Id).ToArray(), stoppingToken)
                : null;
            return new ClaimedBatch(rows, at, objects);
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            // Leases claimed before a failure are this process's own: ProcessAsync claims them again.
            log.LogWarning(ex, "Failed to claim a batch of {Count} {ObjectType} leases; claiming them one by one", batch.Count, type.Name);
            return ClaimedBatch.None;
        }
        catch (OperationCanceledException)
        {
            return ClaimedBatch.None;
        }
    }

    private async Task ReleaseAsync(ClaimedBatch claimed)
    {
        foreach (var key in claimed.Rows.Keys)
        {
            await HandBackAsync(key);
        }
    }

    // A fresh context and token: the lease must go even when shutdown cancelled the work.
    private async Task HandBackAsync(ObjectKey key)
    {
        using var timeout = new CancellationTokenSource(ReleaseTimeout, time);
        try
        {
            await leases.ReleaseAsync(key, timeout.Token);
        }
        catch (Exception ex)
        {
            log.LogWarning(ex, "Failed to release the lease of {Object}; it expires on its own", key);
        }
    }

    // Claims the object (unless its batch claim is still fresh), reconciles it and returns what to commit. Null when
    // there is nothing to commit: the object is then settled here (lease handed back, dispatcher told).
    private async Task<Outcome?> ProcessAsync(ObjectKey key, BatchClaim? batchClaim, CommittedObject? committed, CancellationToken stoppingToken)
    {
        // One context (and one pooled connection) for the claim, the reads and, when committed alone, the outcome.
        var scope = scopes.CreateAsyncScope();
        long? remainingDueAt = null;
        var leased = false;
        try
        {
            var db = scope.ServiceProvider.GetRequiredService<ThreeportDb>();
            // The claim reads the row, and the object is loaded after it: a change committed in between bumps the
            // row's Sequence, so the row survives this reconcile and the change is reconciled next.
            var batched = batchClaim is { } c && time.GetUtcNow() - c.At < leases.Duration / 3 ? c : (BatchClaim?)null;
            // A lease the API's commit claimed for this reconcile, untouched since, is taken up with that commit's row and
            // object: nothing is read or written between a user's change and its reconciler (decision 0008).
            var takenUp = batched is null && committed is not null && leases.TryTakeClaimAtCommit(key);
            var (claimed, row) = batched is { } b ? (true, b.Row) : takenUp ? (true, committed!.Row) : await leases.TryClaimAsync(db, key, stoppingToken);
            if (claimed)
            {
                leased = true;
                var asCommitted = takenUp ? committed!.Object as TObject : null;
                if (await ReconcileLeasedAsync(scope, db, key, row, batched?.Objects, asCommitted, stoppingToken) is { } outcome)
                {
                    return outcome;
                }

                // No outbox row: the lease went with the read.
                leased = false;
            }
            else
            {
                log.LogDebug("Requeued {Object}: locked by another reconcile", key);
                remainingDueAt = await RescheduleContendedAsync(db, key, stoppingToken);
            }
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            log.LogError(ex, leased ? "Failed to load {Object} for its reconcile; retrying at the next sweep" : "Failed to claim the lease of {Object}; retrying at the next sweep", key);
        }
        catch (Exception ex)
        {
            log.LogInformation("Handed back {Object} at shutdown: {Reason}", key, ex.Message);
        }

        await SettleAsync(key, scope, leased, stoppingToken.IsCancellationRequested ? null : remainingDueAt);
        return null;
    }

    // The end of a worker's turn with an object: its lease handed back if still held, and the dispatcher told whatever
    // happens, or the object would stay in flight for good.
    private async Task SettleAsync(ObjectKey key, AsyncServiceScope scope, bool leased, long? remainingDueAt)
    {
        try
        {
            await scope.DisposeAsync();
            if (leased)
            {
                await HandBackAsync(key);
            }
        }
        finally
        {
            dispatcher.Completed(key, remainingDueAt);
        }
    }

    private async Task<Outcome?> ReconcileLeasedAsync(
        AsyncServiceScope scope, ThreeportDb db, ObjectKey key, PendingRow? row, Dictionary<long, TObject>? loaded, TObject? asCommitted, CancellationToken stoppingToken)
    {
        if (row is null)
        {
            await leases.ReleaseAsync(db, key, stoppingToken);
            return null;
        }

        var sequence = row.Value.Sequence;
        Outcome Commit(bool deleteRow, DateTimeOffset? dueAt, bool guarded, long? reconciled = null) =>
            new(key, scope, db, sequence, deleteRow, dueAt, guarded, reconciled, time.GetTimestamp());

        // The commit's copy is the stored object: its lease untouched since, no reconcile of it ran. A later API change
        // moves the row's Sequence on, so the row survives this reconcile, and the status written from the copy carries
        // the older Generation, so it is discarded (as with a batch's preloaded objects).
        var obj = loaded is not null ? Track(db, loaded.GetValueOrDefault(key.Id))
            : asCommitted is not null ? Track(db, asCommitted)
            : await ObjectById<TObject>.LoadAsync(db, key.Id, stoppingToken);
        if (obj is null || obj.InterruptReconciliation)
        {
            log.LogInformation(obj is null ? "Dropped notification of {Object}: it no longer exists" : "Skipped {Object}: reconciliation is interrupted", key);
            return Commit(deleteRow: true, dueAt: null, guarded: false);
        }

        log.LogDebug("Reconciling {Object} after {Operation}, attempt {Attempt}", key, row.Value.Operation, row.Value.Attempt + 1);
        var reconciler = (IReconciler<TObject>)scope.ServiceProvider.GetRequiredService(type.ReconcilerType!);
        ReconcileResult result;
        Exception? failure = null;
        using (var work = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
        using (RenewWhileWorking(key, work))
        {
            try
            {
                result = await reconciler.ReconcileAsync(obj, work.Token);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                failure = ex;
                result = ReconcileResult.RequeueAfter(TimeSpan.Zero);
            }
            finally
            {
                // A renewal already under way sees this and does not report the released lease as lost.
                await work.CancelAsync();
            }
        }

        var deleting = obj.DeletionScheduled is not null;
        var now = time.GetUtcNow();
        if (failure is not null)
        {
            db.ChangeTracker.Clear();
            scope.ServiceProvider.GetRequiredService<OutcomeWrites>().Discard();
            var delay = backoff.Next(row.Value.Attempt + 1, Random.Shared.NextDouble());
            log.LogWarning("Failed to reconcile {Object}, retrying in {Delay}: {Error}", key, delay, failure.Message);
            await events.RecordAsync(db, key, type.Controller, EventRecorder.Warning, FailureReason(deleting, obj), failure.Message, stoppingToken);
            observer.Observe(key, ReconcileOutcome.RequeueAfter, failure);
            return Commit(deleteRow: false, dueAt: now + delay, guarded: false);
        }

        observer.Observe(key, result.Outcome, null);
        switch (result.Outcome)
        {
            case ReconcileOutcome.Done when deleting:
                obj.DeletionAcknowledged ??= now;
                obj.DeletionConfirmed = now;
                db.Remove(obj);
                await events.RecordAsync(db, key, type.Controller, EventRecorder.Normal, "SuccessfulDelete", $"{type.Name} {key.Id} deleted", stoppingToken, once: true);
                log.LogInformation("Deleted {Object}", key);
                return Commit(deleteRow: true, dueAt: null, guarded: true);
            case ReconcileOutcome.Done:
                if (obj.CreationConfirmed is null)
                {
                    obj.CreationAcknowledged ??= now;
                    obj.CreationConfirmed = now;
                    await events.RecordAsync(db, key, type.Controller, EventRecorder.Normal, "SuccessfulCreate", $"{type.Name} {key.Id} created", stoppingToken, once: true);
                }

                obj.Reconciled = true;
                obj.CreationFailed = false;
                log.LogDebug("Reconciled {Object}", key);
                return Commit(deleteRow: true, dueAt: null, guarded: true, reconciled: obj.Generation);
            case ReconcileOutcome.Interrupt:
                obj.InterruptReconciliation = true;
                await events.RecordAsync(db, key, type.Controller, EventRecorder.Warning, "ReconciliationInterrupted", result.Reason, stoppingToken);
                log.LogWarning("Interrupted reconciliation of {Object}: {Reason}", key, result.Reason);
                return Commit(deleteRow: true, dueAt: null, guarded: true);
            default:
                if (result.Reason is not null)
                {
                    await events.RecordAsync(db, key, type.Controller, EventRecorder.Normal, "Requeued", result.Reason, stoppingToken);
                }

                log.LogDebug("Requeued {Object} for {Delay}", key, result.Delay);
                return Commit(deleteRow: false, dueAt: now + result.Delay, guarded: true);
        }
    }

    // Commits the outcomes a worker has ready, then tells the dispatcher. Several go in one transaction (a backlog's
    // reconciles then cost one commit, not one each); if that fails (a stale status write among them fails the whole
    // SaveChanges when they are not plain statements), or there is just one, each is committed on its own context,
    // where a stale write is discarded alone.
    private async Task CommitAsync(List<Outcome> pending, CancellationToken stoppingToken)
    {
        var together = pending.Count > 1 && await TryCommitTogetherAsync(pending, stoppingToken);
        foreach (var outcome in pending)
        {
            long? remainingDueAt = null;
            var settled = false;
            try
            {
                remainingDueAt = together ? outcome.RemainingDueAt : await CommitAloneAsync(outcome, stoppingToken);
                settled = true;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The database failed while committing an outcome: the row is untouched, so it is retried.
                log.LogError(ex, "Failed to record the outcome of reconciling {Object}", outcome.Key);
            }
            catch (Exception ex)
            {
                log.LogInformation("Handed back {Object} at shutdown: {Reason}", outcome.Key, ex.Message);
            }
            finally
            {
                await SettleAsync(outcome.Key, outcome.Scope, leased: !settled, stoppingToken.IsCancellationRequested ? null : remainingDueAt);
            }
        }

        pending.Clear();
    }

    private async Task<long?> CommitAloneAsync(Outcome outcome, CancellationToken ct)
    {
        var db = outcome.Db;
        bool handled;
        try
        {
            // A workload's reconcile is slower than MaxCommitDelay, so its outcome (a status write and events, and what
            // the reconciler's own contexts hold for it) is committed alone: as plain statements, like a group's, unless
            // it deletes or holds what they cannot write.
            var changes = PlainStatements.ChangesOf(db, maxUpdates: int.MaxValue);
            if (changes is not null && outcome.Writes.PlainChanges() is { } included)
            {
                changes = [.. changes, .. included];
            }
            else
            {
                outcome.Writes.CopyInto(db);
                changes = null;
            }

            using var write = await writes.EnterAsync(db, ct);
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            // The whole outcome is one transaction already: no savepoint around SaveChanges.
            db.Database.AutoSavepointsEnabled = false;
            if (changes is null)
            {
                await db.SaveChangesAsync(ct);
            }
            else
            {
                await using var statements = new PlainStatements(db);
                await statements.WriteAsync(changes, ct);
            }

            handled = (await SettleRowsAsync(db, [outcome], ct)).Contains(outcome.Key.Id);
            await transaction.CommitAsync(ct);
        }
        catch (DbUpdateConcurrencyException) when (outcome.Guarded)
        {
            // The user changed the object meanwhile: nothing of this reconcile is kept and the newer generation is due at once.
            log.LogDebug("Discarded a stale status write of {Object}: it changed while being reconciled", outcome.Key);
            db.ChangeTracker.Clear();
            outcome.Writes.Discard();
            await leases.ReleaseAsync(db, outcome.Key, ct);
            return time.GetUtcNow().ToUnixTimeMilliseconds();
        }

        observer.ObserveCommit(type.Name, 1);
        return Stored(outcome, handled);
    }

    private async Task<bool> TryCommitTogetherAsync(List<Outcome> pending, CancellationToken ct)
    {
        HashSet<long> handled;
        try
        {
            // Status writes and events go as plain statements when that is all the outcomes hold (a stale one is then
            // discarded alone); otherwise as copies saved by EF. The copies, change detection and connection are
            // ready before the write gate: other writers wait only for the statements.
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            // An outcome that holds one status write only goes as plain statements here: what its reconciler's own
            // contexts add is copied into its context, and so goes with SaveChanges.
            pending.ForEach(o => o.Writes.CopyInto(o.Db));
            var changes = pending.Select(o => PlainStatements.ChangesOf(o.Db)).ToList();
            var plain = changes.All(c => c is not null);
            if (!plain)
            {
                foreach (var outcome in pending)
                {
                    GroupedChanges.CopyInto(from: outcome.Db, into: db);
                }

                db.ChangeTracker.DetectChanges();
                db.ChangeTracker.AutoDetectChangesEnabled = false;
            }

            await db.Database.OpenConnectionAsync(ct);
            using var write = await writes.EnterAsync(db, ct);
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            db.Database.AutoSavepointsEnabled = false;
            if (plain)
            {
                await using var statements = new PlainStatements(db);
                for (var i = 0; i < pending.Count; i++)
                {
                    pending[i].Stale = !await statements.TryWriteAsync(changes[i]!, ct);
                }
            }
            else
            {
                await db.SaveChangesAsync(ct);
            }

            handled = await SettleRowsAsync(db, pending, ct);
            await transaction.CommitAsync(ct);
        }
        catch (Exception ex)
        {
            log.LogDebug("Committing {Count} {ObjectType} outcomes together failed; committing each alone: {Error}", pending.Count, type.Name, ex.Message);
            pending.ForEach(o => o.Stale = false);
            return false;
        }

        observer.ObserveCommit(type.Name, pending.Count);
        foreach (var outcome in pending)
        {
            outcome.RemainingDueAt = Stored(outcome, handled.Contains(outcome.Key.Id));
        }

        return true;
    }

    // The outbox rows the reconciles read are deleted or rescheduled, and the leases released, in the caller's
    // transaction: at most three statements however many outcomes. Returns the IDs of the objects whose row was
    // settled; a row whose Sequence moved on (a user change arrived meanwhile) is not among them and stays.
    private async Task<HashSet<long>> SettleRowsAsync(ThreeportDb db, IReadOnlyList<Outcome> outcomes, CancellationToken ct)
    {
        var handled = new HashSet<long>();
        if (outcomes is [{ Stale: false } alone])
        {
            // The plain statements prepare faster: one outcome is what a user's lone change waits behind.
            (string, object)[] row = [("$type", alone.Key.Type), ("$id", alone.Key.Id), ("$sequence", alone.Sequence)];
            var settled = alone.DeleteRow
                ? await db.ExecuteAsync("DELETE FROM OutboxMessages WHERE ObjectType = $type AND ObjectId = $id AND Sequence = $sequence", ct, row)
                : await db.ExecuteAsync(
                    "UPDATE OutboxMessages SET AvailableAt = $due, Attempt = Attempt + 1 WHERE ObjectType = $type AND ObjectId = $id AND Sequence = $sequence",
                    ct,
                    [.. row, ("$due", alone.DueAt!.Value.ToUnixTimeMilliseconds())]);
            if (settled > 0)
            {
                handled.Add(alone.Key.Id);
            }
        }
        else
        {
            // The row of a discarded stale write stays: the newer generation is due.
            var written = outcomes.Where(o => !o.Stale).ToList();
            await ReadIdsAsync(DeleteRowsSql, written.Where(o => o.DeleteRow).Select(o => new[] { o.Key.Id, o.Sequence }).ToList());
            await ReadIdsAsync(RescheduleRowsSql, written.Where(o => !o.DeleteRow).Select(o => new[] { o.Key.Id, o.Sequence, o.DueAt!.Value.ToUnixTimeMilliseconds() }).ToList());
        }

        await leases.ReleaseAsync(db, outcomes.Select(o => o.Key).ToList(), ct);
        return handled;

        async Task ReadIdsAsync(string sql, List<long[]> rows)
        {
            if (rows.Count == 0)
            {
                return;
            }

            await using var command = await db.CommandAsync(sql, [("$type", type.Name), ("$rows", JsonIds.Of(rows))], ct);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                handled.Add(reader.GetInt64(0));
            }
        }
    }

    // $rows: [[ObjectId, Sequence, ...], ...]. CROSS JOIN keeps SQLite from choosing the table as the outer loop,
    // which scans every outbox row of the type for each settle.
    private const string RowsReadSql =
        """
        SELECT o.Id FROM json_each($rows) AS r CROSS JOIN OutboxMessages AS o
        ON o.ObjectType = $type AND o.ObjectId = r.value ->> 0 AND o.Sequence = r.value ->> 1
        """;

    private const string DeleteRowsSql = $"DELETE FROM OutboxMessages WHERE Id IN ({RowsReadSql}) RETURNING ObjectId";

    // $rows: [[ObjectId, Sequence, AvailableAt], ...].
    private const string RescheduleRowsSql =
        $"""
        UPDATE OutboxMessages
        SET AvailableAt = (SELECT r.value ->> 2 FROM json_each($rows) AS r WHERE r.value ->> 0 = OutboxMessages.ObjectId), Attempt = Attempt + 1
        WHERE Id IN ({RowsReadSql})
        RETURNING ObjectId
        """;

    // After the commit, out of the write gate: when the object's row is due again (Unix ms; now if a user change is waiting), or null.
    private long? Stored(Outcome outcome, bool handled)
    {
        if (outcome.Stale)
        {
            log.LogDebug("Discarded a stale status write of {Object}: it changed while being reconciled", outcome.Key);
        }
        else if (outcome.Reconciled is { } generation)
        {
            observer.ObserveReconciled(outcome.Key, generation);
        }

        return handled ? outcome.DueAt?.ToUnixTimeMilliseconds() : time.GetUtcNow().ToUnixTimeMilliseconds();
    }

    private async Task<long?> RescheduleContendedAsync(ThreeportDb db, ObjectKey key, CancellationToken ct)
    {
        var row = await PendingRow.ReadAsync(db, key, ct);
        if (row is null)
        {
            return null;
        }

        var dueAt = (time.GetUtcNow() + backoff.Next(row.Value.Attempt + 1, Random.Shared.NextDouble())).ToUnixTimeMilliseconds();
        using (await writes.EnterAsync(db, ct))
        {
            await db.ExecuteAsync(
                "UPDATE OutboxMessages SET AvailableAt = $due, Attempt = Attempt + 1 WHERE ObjectType = $type AND ObjectId = $id",
                ct,
                ("$type", key.Type), ("$id", key.Id), ("$due", dueAt));
        }

        observer.Observe(key, ReconcileOutcome.RequeueAfter, null);
        return dueAt;
    }

    // Keeps the lease alive during long reconciles; if it is lost, the work is cancelled so that two
    // reconciles never run on one object. A timer rather than a loop: most reconciles end long before the first
    // renewal, and a cancelled wait per reconcile would cost an exception each.
    private ITimer RenewWhileWorking(ObjectKey key, CancellationTokenSource work)
    {
        var period = leases.Duration / 3;
        return time.CreateTimer(_ => _ = RenewAsync(), null, period, period);

        async Task RenewAsync()
        {
            try
            {
                if (!work.IsCancellationRequested && !await leases.RenewAsync(key, work.Token))
                {
                    log.LogWarning("Lost the lease of {Object}; cancelling its reconcile", key);
                    await work.CancelAsync();
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                // The reconcile finished meanwhile.
            }
            catch (Exception ex)
            {
                log.LogWarning(ex, "Failed to renew the lease of {Object}; trying again at the next renewal", key);
            }
        }
    }

    // An object the batch loaded, tracked by this reconcile's context as if loaded there.
    private static TObject? Track(ThreeportDb db, TObject? obj)
    {
        if (obj is not null)
        {
            db.Attach(obj);
        }

        return obj;
    }

    private static string FailureReason(bool deleting, TObject obj) =>
        deleting ? "FailedDelete" : obj.CreationConfirmed is null ? "FailedCreate" : "FailedUpdate";

    private const int MaxBatch = 16;

    // Outcomes of quick reconciles wait at most about this long for others to commit with (docs/benchmarks.md).
    private static readonly TimeSpan MaxCommitDelay = TimeSpan.FromMilliseconds(5);

    // What a reconcile leaves to commit: the changes its scope's context tracks (status, events), what becomes of the
    // outbox row it read, and the lease release. Guarded: a stale status write is discarded rather than failing.
    // Reconciled: the generation reported reconciled once stored. ReadyAt: when it was ready (a TimeProvider timestamp).
    private sealed record Outcome(
        ObjectKey Key, AsyncServiceScope Scope, ThreeportDb Db, long Sequence, bool DeleteRow, DateTimeOffset? DueAt, bool Guarded, long? Reconciled, long ReadyAt)
    {
        // Set when committed together with others.
        public long? RemainingDueAt { get; set; }

        // Set when committed together with others as plain statements, and its status write found the object changed.
        public bool Stale { get; set; }

        // What the reconciler's own contexts hold for the outcome.
        public OutcomeWrites Writes => Scope.ServiceProvider.GetRequiredService<OutcomeWrites>();
    }

    // The leases a batch claimed at At, each with its outbox row read by the claim, and the objects loaded with them
    // (null when not preloaded).
    private sealed record ClaimedBatch(Dictionary<ObjectKey, PendingRow?> Rows, DateTimeOffset? At, Dictionary<long, TObject>? Objects)
    {
        public static ClaimedBatch None => new([], null, null);

        // The claim of an object as its turn comes; what is never taken (shutdown) is handed back at the batch's end.
        public BatchClaim? Take(ObjectKey key) => At is { } at && Rows.Remove(key, out var row) ? new BatchClaim(at, row, Objects) : null;
    }

    private readonly record struct BatchClaim(DateTimeOffset At, PendingRow? Row, Dictionary<long, TObject>? Objects);
}
