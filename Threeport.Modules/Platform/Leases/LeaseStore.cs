using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Threeport.Modules.Platform.Objects;
using Threeport.Modules.Platform.Persistence;

namespace Threeport.Modules.Platform.Leases;

// Claims, renews and releases the per-object lease rows. Every claim is one statement checked by rows
// affected, so two workers (or two processes) can never both believe they hold an object. The statements are
// plain SQL on the caller's context: they run once or twice per reconcile, on the hot path.
public sealed class LeaseStore(IDbContextFactory<ThreeportDb> dbFactory, SqliteWriteGate writes, TimeProvider time, IOptions<PlatformSettings> settings, ILogger<LeaseStore> log)
{
    private const string ClaimSql =
        """
        INSERT INTO Leases (ObjectType, ObjectId, Owner, ExpiresAt) VALUES ($type, $id, $owner, $expires)
        ON CONFLICT (ObjectType, ObjectId) DO UPDATE SET Owner = excluded.Owner, ExpiresAt = excluded.ExpiresAt
        WHERE Leases.ExpiresAt < $now OR Leases.Owner = excluded.Owner
        """;

    private const string RenewSql = "UPDATE Leases SET ExpiresAt = $expires WHERE ObjectType = $type AND ObjectId = $id AND Owner = $owner";

    private const string ReleaseSql = "DELETE FROM Leases WHERE ObjectType = $type AND ObjectId = $id AND Owner = $owner";

    // This process's identity as a lease owner.
    public string Owner { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";

    public TimeSpan Duration => settings.Value.LeaseDuration;

    public async Task<bool> TryClaimAsync(ThreeportDb db, ObjectKey key, CancellationToken ct) =>
        (await TryClaimAsync(db, [key], ct)).Count == 1;

    // Several leases in one write transaction (a backlog is claimed in batches); returns the ones claimed.
    public async Task<HashSet<ObjectKey>> TryClaimAsync(IReadOnlyList<ObjectKey> keys, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await TryClaimAsync(db, keys, ct);
    }

    private async Task<HashSet<ObjectKey>> TryClaimAsync(ThreeportDb db, IReadOnlyList<ObjectKey> keys, CancellationToken ct)
    {
        var now = Now();
        var claimed = new HashSet<ObjectKey>();
        using var write = await writes.EnterAsync(db, ct);
        // One statement commits on its own; several share a transaction, so a batch costs one commit.
        await using var transaction = keys.Count > 1 ? await db.Database.BeginTransactionAsync(ct) : null;
        foreach (var key in keys)
        {
            if (await db.ExecuteAsync(ClaimSql, ct, Parameters(key, ("$expires", now + (long)Duration.TotalMilliseconds), ("$now", now))) == 1)
            {
                claimed.Add(key);
            }
        }

        if (transaction is not null)
        {
            await transaction.CommitAsync(ct);
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
        await db.ExecuteAsync(ReleaseSql, ct, Parameters(key));
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

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();
}
