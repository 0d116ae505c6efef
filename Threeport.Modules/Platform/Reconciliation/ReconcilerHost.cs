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
    }

    private async Task WorkAsync(System.Threading.Channels.ChannelReader<ObjectKey> reader, int workers, CancellationToken stoppingToken)
    {
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken))
            {
                var batch = TakeBatch(reader, workers);
                var claimed = await ClaimBatchAsync(batch, stoppingToken);
                foreach (var key in batch)
                {
                    long? remainingDueAt = null;
                    try
                    {
                        if (!stoppingToken.IsCancellationRequested)
                        {
                            remainingDueAt = await ProcessAsync(key, claimed.Keys.Remove(key) ? claimed.At : null, stoppingToken);
                        }
                    }
                    catch (Exception ex) when (stoppingToken.IsCancellationRequested)
                    {
                        log.LogInformation("Handed back {Object} at shutdown: {Reason}", key, ex.Message);
                    }
                    finally
                    {
                        dispatcher.Completed(key, stoppingToken.IsCancellationRequested ? null : remainingDueAt);
                    }
                }

                // Claimed for this batch but never started (shutdown): handed back with their leases.
                await ReleaseAsync(claimed);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown: undelivered notifications stay in the outbox.
        }
    }

    // A backlog is taken a share at a time (so the other workers still get work), at most MaxBatch objects.
    private static List<ObjectKey> TakeBatch(System.Threading.Channels.ChannelReader<ObjectKey> reader, int workers)
    {
        var limit = Math.Clamp(reader.Count / workers, 1, MaxBatch);
        var batch = new List<ObjectKey>(limit);
        while (batch.Count < limit && reader.TryRead(out var key))
        {
            batch.Add(key);
        }

        return batch;
    }

    // Leases of a batch in one write transaction. A single object, or a failed batch claim, is claimed by ProcessAsync.
    private async Task<ClaimedBatch> ClaimBatchAsync(List<ObjectKey> batch, CancellationToken stoppingToken)
    {
        if (batch.Count < 2)
        {
            return new ClaimedBatch([], null);
        }

        try
        {
            var at = time.GetUtcNow();
            return new ClaimedBatch(await leases.TryClaimAsync(batch, stoppingToken), at);
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            log.LogWarning(ex, "Failed to claim a batch of {Count} {ObjectType} leases; claiming them one by one", batch.Count, type.Name);
            return new ClaimedBatch([], null);
        }
        catch (OperationCanceledException)
        {
            return new ClaimedBatch([], null);
        }
    }

    private async Task ReleaseAsync(ClaimedBatch claimed)
    {
        foreach (var key in claimed.Keys)
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

    // Returns when the object's outbox row is due again (Unix ms), or null when nothing is pending. `claimedAt`: the
    // lease was claimed with its batch then; it is claimed again if the batch's earlier objects took a while.
    private async Task<long?> ProcessAsync(ObjectKey key, DateTimeOffset? claimedAt, CancellationToken stoppingToken)
    {
        // One context (and one pooled connection) for the claim, the reads and the outcome.
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ThreeportDb>();
        try
        {
            var fresh = claimedAt is { } at && time.GetUtcNow() - at < leases.Duration / 3;
            if (!fresh && !await leases.TryClaimAsync(db, key, stoppingToken))
            {
                log.LogDebug("Requeued {Object}: locked by another reconcile", key);
                return await RescheduleContendedAsync(db, key, stoppingToken);
            }
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            log.LogError(ex, "Failed to claim the lease of {Object}; retrying at the next sweep", key);
            return null;
        }

        var released = false;
        try
        {
            var outcome = await ReconcileLeasedAsync(scope.ServiceProvider, db, key, stoppingToken);
            released = true;
            return outcome;
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            // The database failed while committing an outcome: the row is untouched, so it is retried.
            log.LogError(ex, "Failed to record the outcome of reconciling {Object}", key);
            return null;
        }
        finally
        {
            if (!released)
            {
                await HandBackAsync(key);
            }
        }
    }

    private async Task<long?> ReconcileLeasedAsync(IServiceProvider services, ThreeportDb db, ObjectKey key, CancellationToken stoppingToken)
    {
        // The row first, then the object: a change committed in between bumps the row's Sequence, so the
        // row survives this reconcile and the change is reconciled next.
        var row = await ReadRowAsync(db, key, stoppingToken);
        if (row is null)
        {
            await leases.ReleaseAsync(db, key, stoppingToken);
            return null;
        }

        var obj = await db.Set<TObject>().FirstOrDefaultAsync(o => o.ID == key.Id, stoppingToken);
        if (obj is null || obj.InterruptReconciliation)
        {
            log.LogInformation(obj is null ? "Dropped notification of {Object}: it no longer exists" : "Skipped {Object}: reconciliation is interrupted", key);
            return await CommitAsync(db, key, row.Value.Sequence, deleteRow: true, dueAt: null, stoppingToken);
        }

        log.LogDebug("Reconciling {Object} after {Operation}, attempt {Attempt}", key, row.Value.Operation, row.Value.Attempt + 1);
        var reconciler = (IReconciler<TObject>)services.GetRequiredService(type.ReconcilerType!);
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
        var sequence = row.Value.Sequence;
        if (failure is not null)
        {
            db.ChangeTracker.Clear();
            var delay = backoff.Next(row.Value.Attempt + 1, Random.Shared.NextDouble());
            log.LogWarning("Failed to reconcile {Object}, retrying in {Delay}: {Error}", key, delay, failure.Message);
            await events.RecordAsync(db, key, type.Controller, EventRecorder.Warning, FailureReason(deleting, obj), failure.Message, stoppingToken);
            observer.Observe(key, ReconcileOutcome.RequeueAfter, failure);
            return await CommitAsync(db, key, sequence, deleteRow: false, dueAt: now + delay, stoppingToken);
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
                return await CommitGuardedAsync(db, key, sequence, deleteRow: true, dueAt: null, stoppingToken);
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
                var generation = obj.Generation;
                var reconciledDue = await CommitGuardedAsync(db, key, sequence, deleteRow: true, dueAt: null, stoppingToken);
                if (db.Entry(obj).State == EntityState.Unchanged)
                {
                    // Stored: not discarded as a stale write.
                    observer.ObserveReconciled(key, generation);
                }

                return reconciledDue;
            case ReconcileOutcome.Interrupt:
                obj.InterruptReconciliation = true;
                await events.RecordAsync(db, key, type.Controller, EventRecorder.Warning, "ReconciliationInterrupted", result.Reason, stoppingToken);
                log.LogWarning("Interrupted reconciliation of {Object}: {Reason}", key, result.Reason);
                return await CommitGuardedAsync(db, key, sequence, deleteRow: true, dueAt: null, stoppingToken);
            default:
                if (result.Reason is not null)
                {
                    await events.RecordAsync(db, key, type.Controller, EventRecorder.Normal, "Requeued", result.Reason, stoppingToken);
                }

                log.LogDebug("Requeued {Object} for {Delay}", key, result.Delay);
                return await CommitGuardedAsync(db, key, sequence, deleteRow: false, dueAt: now + result.Delay, stoppingToken);
        }
    }

    private static async Task<OutboxRow?> ReadRowAsync(ThreeportDb db, ObjectKey key, CancellationToken ct)
    {
        await using var command = await db.CommandAsync(
            "SELECT Sequence, Attempt, Operation FROM OutboxMessages WHERE ObjectType = $type AND ObjectId = $id",
            [("$type", key.Type), ("$id", key.Id)],
            ct);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? new OutboxRow(reader.GetInt64(0), reader.GetInt32(1), reader.GetString(2)) : null;
    }

    // Commits status changes that are only valid for the generation the reconciler read. If the user changed
    // the object meanwhile, nothing of this reconcile is kept and the newer generation is due at once.
    private async Task<long?> CommitGuardedAsync(ThreeportDb db, ObjectKey key, long sequence, bool deleteRow, DateTimeOffset? dueAt, CancellationToken ct)
    {
        try
        {
            return await CommitAsync(db, key, sequence, deleteRow, dueAt, ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            log.LogDebug("Discarded a stale status write of {Object}: it changed while being reconciled", key);
            db.ChangeTracker.Clear();
            await leases.ReleaseAsync(db, key, ct);

            return time.GetUtcNow().ToUnixTimeMilliseconds();
        }
    }

    private async Task<long?> CommitAsync(ThreeportDb db, ObjectKey key, long sequence, bool deleteRow, DateTimeOffset? dueAt, CancellationToken ct)
    {
        using var write = await writes.EnterAsync(db, ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        // The whole outcome is one transaction already: no savepoint around SaveChanges.
        db.Database.AutoSavepointsEnabled = false;
        await db.SaveChangesAsync(ct);
        (string, object)[] row = [("$type", key.Type), ("$id", key.Id), ("$sequence", sequence)];
        var handled = deleteRow
            ? await db.ExecuteAsync("DELETE FROM OutboxMessages WHERE ObjectType = $type AND ObjectId = $id AND Sequence = $sequence", ct, row)
            : await db.ExecuteAsync(
                "UPDATE OutboxMessages SET AvailableAt = $due, Attempt = Attempt + 1 WHERE ObjectType = $type AND ObjectId = $id AND Sequence = $sequence",
                ct,
                [.. row, ("$due", dueAt!.Value.ToUnixTimeMilliseconds())]);
        await leases.ReleaseAsync(db, key, ct);
        await transaction.CommitAsync(ct);

        // handled == 0: a user change arrived meanwhile and its row is due now.
        return handled == 0 ? time.GetUtcNow().ToUnixTimeMilliseconds() : dueAt?.ToUnixTimeMilliseconds();
    }

    private async Task<long?> RescheduleContendedAsync(ThreeportDb db, ObjectKey key, CancellationToken ct)
    {
        var row = await ReadRowAsync(db, key, ct);
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

    private static string FailureReason(bool deleting, TObject obj) =>
        deleting ? "FailedDelete" : obj.CreationConfirmed is null ? "FailedCreate" : "FailedUpdate";

    private const int MaxBatch = 16;

    private readonly record struct OutboxRow(long Sequence, int Attempt, string Operation);

    // The leases a batch claimed at At; each key leaves Keys when its object is processed.
    private sealed record ClaimedBatch(HashSet<ObjectKey> Keys, DateTimeOffset? At);
}
