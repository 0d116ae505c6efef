using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Threeport.Modules.Platform.Persistence;
using Threeport.Modules.Workloads.Model;

namespace Threeport.Modules.Workloads.Reconcilers;

// Writes WorkloadEvents in their own transaction: a failure must stay recorded even though the reconcile
// that hit it is rolled back. Repeats of one event update its time instead of adding rows.
internal sealed class WorkloadEventWriter(IDbContextFactory<ThreeportDb> dbFactory, SqliteWriteGate writes, TimeProvider time)
{
    public async Task RecordFailureAsync(long instanceId, string reason, string message, CancellationToken ct)
    {
        var uid = "threeport-" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{reason}/{message}")))[..16].ToLowerInvariant();
        await RecordAsync(instanceId, null, uid, "Failed", reason, message, time.GetUtcNow(), ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        using var write = await writes.EnterAsync(db, ct);
        await db.Set<WorkloadInstance>().Where(i => i.ID == instanceId)
            .ExecuteUpdateAsync(set => set.SetProperty(i => i.Status, WorkloadInstanceStatus.Error), ct);
    }

    public async Task RecordAsync(long instanceId, long? resourceInstanceId, string uid, string type, string reason, string message, DateTimeOffset timestamp, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var existing = await db.Set<WorkloadEvent>().FirstOrDefaultAsync(e => e.WorkloadInstanceID == instanceId && e.RuntimeEventUID == uid, ct);
        if (existing is null)
        {
            if (!await db.Set<WorkloadInstance>().AnyAsync(i => i.ID == instanceId, ct))
            {
                return;
            }

            var now = time.GetUtcNow();
            db.Add(new WorkloadEvent
            {
                WorkloadInstanceID = instanceId,
                WorkloadResourceInstanceID = resourceInstanceId,
                RuntimeEventUID = uid,
                Type = type,
                Reason = reason,
                Message = message.Length > 4000 ? message[..4000] : message,
                Timestamp = timestamp,
                CreatedAt = now,
                UpdatedAt = now,
                Generation = 1,
            });
        }
        else
        {
            existing.Timestamp = timestamp;
            existing.UpdatedAt = time.GetUtcNow();
        }

        try
        {
            await writes.SaveChangesAsync(db, ct);
        }
        catch (DbUpdateException)
        {
            // The same event recorded concurrently, or its instance deleted meanwhile: nothing to add.
        }
    }
}
