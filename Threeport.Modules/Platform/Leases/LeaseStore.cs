using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Threeport.Modules.Platform.Objects;
using Threeport.Modules.Platform.Persistence;

namespace Threeport.Modules.Platform.Leases;

// Claims, renews and releases the per-object lease rows. Every claim is one statement checked by rows
// affected, so two workers (or two processes) can never both believe they hold an object.
public sealed class LeaseStore(IDbContextFactory<ThreeportDb> dbFactory, TimeProvider time, IOptions<PlatformSettings> settings, ILogger<LeaseStore> log)
{
    // This process's identity as a lease owner.
    public string Owner { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";

    public TimeSpan Duration => settings.Value.LeaseDuration;

    // Every platform write transaction of this process queues here (see SqliteWriteGate). It lives on the lease
    // store because every reconcile and every outbox write already depends on it.
    public SqliteWriteGate Writes { get; } = new();

    public async Task<bool> TryClaimAsync(ObjectKey key, CancellationToken ct)
    {
        var now = Now();
        var expires = now + (long)Duration.TotalMilliseconds;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        using var write = await Writes.EnterAsync(ct);
        var claimed = await db.Database.ExecuteSqlInterpolatedAsync(
            $"""
             INSERT INTO Leases (ObjectType, ObjectId, Owner, ExpiresAt) VALUES ({key.Type}, {key.Id}, {Owner}, {expires})
             ON CONFLICT (ObjectType, ObjectId) DO UPDATE SET Owner = excluded.Owner, ExpiresAt = excluded.ExpiresAt
             WHERE Leases.ExpiresAt < {now} OR Leases.Owner = excluded.Owner
             """,
            ct);
        return claimed == 1;
    }

    // False when the lease was lost (expired and taken over): the caller must stop working on the object.
    public async Task<bool> RenewAsync(ObjectKey key, CancellationToken ct)
    {
        var expires = Now() + (long)Duration.TotalMilliseconds;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        using var write = await Writes.EnterAsync(ct);
        var renewed = await db.Leases
            .Where(l => l.ObjectType == key.Type && l.ObjectId == key.Id && l.Owner == Owner)
            .ExecuteUpdateAsync(set => set.SetProperty(l => l.ExpiresAt, expires), ct);
        return renewed == 1;
    }

    // Releases inside the caller's transaction (which holds Writes), so the release commits with the status write.
    public Task<int> ReleaseAsync(ThreeportDb db, ObjectKey key, CancellationToken ct) =>
        db.Leases
            .Where(l => l.ObjectType == key.Type && l.ObjectId == key.Id && l.Owner == Owner)
            .ExecuteDeleteAsync(ct);

    public async Task ReleaseAsync(ObjectKey key, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        using var write = await Writes.EnterAsync(ct);
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

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();
}
