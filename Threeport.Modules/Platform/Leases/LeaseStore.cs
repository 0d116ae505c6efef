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
    private const string ClaimOneSql = $"INSERT INTO Leases (ObjectType, ObjectId, Owner, ExpiresAt) VALUES ($type, $id, $owner, $expires) {ClaimConflict}";

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

    private const string RenewSql = "UPDATE Leases SET ExpiresAt = $expires WHERE ObjectType = $type AND ObjectId = $id AND Owner = $owner";

    private const string ReleaseOneSql = "DELETE FROM Leases WHERE ObjectType = $type AND ObjectId = $id AND Owner = $owner";

    private const string ReleaseManySql = "DELETE FROM Leases WHERE ObjectType = $type AND Owner = $owner AND ObjectId IN (SELECT value FROM json_each($ids))";

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
        }

        return (true, await PendingRow.ReadAsync(db, key, ct));
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
