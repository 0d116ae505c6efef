using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Threeport.Modules.Platform.Objects;
using Threeport.Modules.Platform.Outbox;
using Threeport.Modules.Platform.Persistence;

namespace Threeport.Modules.Platform.Leases;

// Claims, renews and releases the per-object lease rows. Every claim is one statement checked by what it wrote,
// so two workers (or two processes) can never both believe they hold an object. The statements are plain SQL on
// the caller's context: they run on every reconcile, on the hot path. A claim also reads the object's outbox row
// (a reconcile reads the row after its claim and before the object).
public sealed class LeaseStore(IDbContextFactory<ThreeportDb> dbFactory, SqliteWriteGate writes, TimeProvider time, IOptions<PlatformSettings> settings, ILogger<LeaseStore> log)
{
    // An expired lease, or one this process already holds, is taken over.
    private const string ClaimConflict =
        """
        ON CONFLICT (ObjectType, ObjectId) DO UPDATE SET Owner = excluded.Owner, ExpiresAt = excluded.ExpiresAt
        WHERE Leases.ExpiresAt < $now OR Leases.Owner = excluded.Owner
        """;

    // One object: checked by rows affected. Its row is read by a second, plain statement: RETURNING with subqueries
    // prepares slower than both, and a single object is what the latency of a user's change waits on.
    private const string InsertOneSql = "INSERT INTO Leases (ObjectType, ObjectId, Owner, ExpiresAt) VALUES ($type, $id, $owner, $expires)";

    private const string ClaimOneSql = $"{InsertOneSql} {ClaimConflict}";

    // A batch ($ids, a JSON array): RETURNING names the objects claimed, each with its outbox row.
    private const string ClaimManySql =
        $"""
        INSERT INTO Leases (ObjectType, ObjectId, Owner, ExpiresAt) SELECT $type, value, $owner, $expires FROM json_each($ids) WHERE true
        {ClaimConflict}
        RETURNING ObjectId,
            (SELECT Sequence FROM OutboxMessages AS o WHERE o.ObjectType = Leases.ObjectType AND o.ObjectId = Leases.ObjectId),
            (SELECT Attempt FROM OutboxMessages AS o WHERE o.ObjectType = Leases.ObjectType AND o.ObjectId = Leases.ObjectId),
            (SELECT Operation FROM OutboxMessages AS o WHERE o.ObjectType = Leases.ObjectType AND o.ObjectId = Leases.ObjectId)
        """;

    // In an API write's transaction, for this process's reconciler of the object (decision 0008): a free or expired
    // lease only, never one a reconcile holds (this process's included). RETURNING says whether it was taken.
    private const string ClaimAtCommitSql =
        $"""
        {InsertOneSql}
        ON CONFLICT (ObjectType, ObjectId) DO UPDATE SET Owner = excluded.Owner, ExpiresAt = excluded.ExpiresAt
        WHERE Leases.ExpiresAt < $now
        RETURNING ObjectId
        """;

    private const string RenewSql = "UPDATE Leases SET ExpiresAt = $expires WHERE ObjectType = $type AND ObjectId = $id AND Owner = $owner";

    private const string ReleaseOneSql = "DELETE FROM Leases WHERE ObjectType = $type AND ObjectId = $id AND Owner = $owner";

    private const string ReleaseManySql = "DELETE FROM Leases WHERE ObjectType = $type AND Owner = $owner AND ObjectId IN (SELECT value FROM json_each($ids))";

    private const string ReleaseAllOfTypeSql = "DELETE FROM Leases WHERE ObjectType = $type AND Owner = $owner";

    // Leases claimed by API commits and not yet taken up, claimed again or released, with when (TimeProvider timestamps).
    private readonly ConcurrentDictionary<ObjectKey, long> claimedAtCommit = new();

    // This process's identity as a lease owner.
    public string Owner { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";

    public TimeSpan Duration => settings.Value.LeaseDuration;

    public async Task<(bool Claimed, PendingRow? Row)> TryClaimAsync(ThreeportDb db, ObjectKey key, CancellationToken ct)
    {
        var now = Now();
        using (await writes.EnterAsync(db, ct))
        {
            if (await db.ExecuteAsync(ClaimOneSql, ct, Parameters(key, ("$expires", now + (long)Duration.TotalMilliseconds), ("$now", now))) != 1)
            {
                return (false, null);
            }

            ForgetClaimsAtCommit([key]);
        }

        return (true, await PendingRow.ReadAsync(db, key, ct));
    }

    // Claims the lease of an object an API write notifies, in that write's transaction (inside the write gate), so that
    // the reconcile it starts need not commit a claim of its own first (decision 0008). False when it is not free. A
    // lease claimed is remembered until it is taken up, claimed again or released; a write that rolls back forgets it.
    internal async Task<bool> TryClaimAtCommitAsync(PlainStatements statements, ObjectKey key, CancellationToken ct)
    {
        var now = Now();
        if (await statements.ScalarAsync(ClaimAtCommitSql, Parameters(key, ("$expires", now + (long)Duration.TotalMilliseconds), ("$now", now)), ct) is null)
        {
            return false;
        }

        claimedAtCommit[key] = time.GetTimestamp();
        return true;
    }

    internal void ForgetClaimsAtCommit(IEnumerable<ObjectKey> keys)
    {
        foreach (var key in keys)
        {
            claimedAtCommit.TryRemove(key, out _);
        }
    }

    // True when the lease an API write claimed for `key` is still held, untouched since, and fresh enough to start a
    // reconcile under (renewals come every third of the duration). Every statement that releases or claims a lease
    // forgets the claim inside the write gate, so one remembered here has not been released since its commit. The
    // dispatcher hands an object to one worker at a time, so it is taken up once; otherwise the worker claims it.
    public bool TryTakeClaimAtCommit(ObjectKey key) =>
        claimedAtCommit.TryRemove(key, out var claimedAt) && time.GetElapsedTime(claimedAt) < Duration / 3;

    // Those of this process's leases of `type` that no worker took up (claimed at commit, not yet reconciled at shutdown).
    public async Task ReleaseAllOfTypeAsync(string type, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        using var write = await writes.EnterAsync(db, ct);
        await db.ExecuteAsync(ReleaseAllOfTypeSql, ct, ("$type", type), ("$owner", Owner));
        ForgetClaimsAtCommit(claimedAtCommit.Keys.Where(k => k.Type == type));
    }

    // The leases of a batch in one statement per type (a batch is all of one type): the ones claimed, each with
    // its outbox row (null when it has none).
    public async Task<Dictionary<ObjectKey, PendingRow?>> TryClaimAsync(ThreeportDb db, IReadOnlyList<ObjectKey> keys, CancellationToken ct)
    {
        var now = Now();
        var claimed = new Dictionary<ObjectKey, PendingRow?>(keys.Count);
        using var write = await writes.EnterAsync(db, ct);
        foreach (var (type, ids) in IdsByType(keys))
        {
            await using var command = await db.CommandAsync(
                ClaimManySql,
                [("$type", type), ("$ids", ids), ("$owner", Owner), ("$expires", now + (long)Duration.TotalMilliseconds), ("$now", now)],
                ct);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                claimed[new ObjectKey(type, reader.GetInt64(0))] =
                    reader.IsDBNull(1) ? null : new PendingRow(reader.GetInt64(1), reader.GetInt32(2), reader.GetString(3));
            }
        }

        ForgetClaimsAtCommit(claimed.Keys);

        return claimed;
    }

    // False when the lease was lost (expired and taken over): the caller must stop working on the object.
    public async Task<bool> RenewAsync(ObjectKey key, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        using var write = await writes.EnterAsync(db, ct);
        return await db.ExecuteAsync(RenewSql, ct, Parameters(key, ("$expires", Now() + (long)Duration.TotalMilliseconds))) == 1;
    }

    // Inside the caller's transaction when there is one, so the release commits with the status write.
    public async Task ReleaseAsync(ThreeportDb db, ObjectKey key, CancellationToken ct)
    {
        using var write = await writes.EnterAsync(db, ct);
        await db.ExecuteAsync(ReleaseOneSql, ct, Parameters(key));
        ForgetClaimsAtCommit([key]);
    }

    public async Task ReleaseAsync(ThreeportDb db, IReadOnlyList<ObjectKey> keys, CancellationToken ct)
    {
        if (keys is [var key])
        {
            await ReleaseAsync(db, key, ct);
            return;
        }

        using var write = await writes.EnterAsync(db, ct);
        foreach (var (type, ids) in IdsByType(keys))
        {
            await db.ExecuteAsync(ReleaseManySql, ct, ("$type", type), ("$ids", ids), ("$owner", Owner));
        }

        ForgetClaimsAtCommit(keys);
    }

    public async Task ReleaseAsync(ObjectKey key, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await ReleaseAsync(db, key, ct);
    }

    // At start: this deployment runs one control-plane process per database, so every lease still in the
    // table belongs to a previous process that did not stop cleanly.
    public async Task ReleaseLeasesOfPreviousProcessesAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var released = await db.Leases.Where(l => l.Owner != Owner).ExecuteDeleteAsync(ct);
        if (released > 0)
        {
            log.LogInformation("Released {Count} leases left by a previous process", released);
        }
    }

    private (string, object)[] Parameters(ObjectKey key, params (string, object)[] more) =>
        [("$type", key.Type), ("$id", key.Id), ("$owner", Owner), .. more];

    private static IEnumerable<(string Type, string Ids)> IdsByType(IReadOnlyList<ObjectKey> keys) =>
        keys.GroupBy(k => k.Type).Select(g => (g.Key, JsonIds.Of(g.Select(k => k.Id))));

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();
}
