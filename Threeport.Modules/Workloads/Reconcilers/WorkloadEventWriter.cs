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
    // The events a burst may repeat, compiled: each burst of a rollout ran EF's translation cache lookup and parameter
    // extraction again for a read of a few rows (as the watcher's Candidates did, docs/benchmarks.md 51.).
    private static readonly CompiledQuery<Func<ThreeportDb, long[], string[], IAsyncEnumerable<WorkloadEvent>>> Recorded =
        new(() => EF.CompileAsyncQuery((ThreeportDb db, long[] instanceIds, string[] uids) =>
            db.Set<WorkloadEvent>().Where(e => instanceIds.Contains(e.WorkloadInstanceID) && uids.Contains(e.RuntimeEventUID))));

    // What an event says about a resource of an instance; Uid identifies it among the instance's events.
    public sealed record Occurrence(long InstanceId, long? ResourceInstanceId, string Uid, string Type, string Reason, string Message, DateTimeOffset Timestamp);

    public async Task RecordFailureAsync(long instanceId, string reason, string message, CancellationToken ct)
    {
        var uid = "threeport-" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{reason}/{message}")))[..16].ToLowerInvariant();
        await RecordAsync([new Occurrence(instanceId, null, uid, "Failed", reason, message, time.GetUtcNow())], ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        using var write = await writes.EnterAsync(db, ct);
        await db.Set<WorkloadInstance>().Where(i => i.ID == instanceId)
            .ExecuteUpdateAsync(set => set.SetProperty(i => i.Status, WorkloadInstanceStatus.Error), ct);
    }

    // A burst of events (a rollout makes about ten per Deployment) costs one read and one write transaction.
    public async Task RecordAsync(IReadOnlyCollection<Occurrence> occurrences, CancellationToken ct)
    {
        // The latest of each event: a burst can carry an event and its repeats.
        var latest = occurrences.GroupBy(o => (o.InstanceId, o.Uid)).Select(g => g.MaxBy(o => o.Timestamp)!).ToList();
        if (latest.Count == 0)
        {
            return;
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var instanceIds = latest.Select(o => o.InstanceId).Distinct().ToArray();
        var uids = latest.Select(o => o.Uid).Distinct().ToArray();
        var existing = new Dictionary<(long, string), WorkloadEvent>();
        await foreach (var recorded in Recorded.For(db)(db, instanceIds, uids).WithCancellation(ct))
        {
            existing[(recorded.WorkloadInstanceID, recorded.RuntimeEventUID)] = recorded;
        }

        var now = time.GetUtcNow();
        foreach (var occurrence in latest)
        {
            if (existing.TryGetValue((occurrence.InstanceId, occurrence.Uid), out var recorded))
            {
                recorded.Timestamp = occurrence.Timestamp;
                recorded.UpdatedAt = now;
                continue;
            }

            db.Add(new WorkloadEvent
            {
                WorkloadInstanceID = occurrence.InstanceId,
                WorkloadResourceInstanceID = occurrence.ResourceInstanceId,
                RuntimeEventUID = occurrence.Uid,
                Type = occurrence.Type,
                Reason = occurrence.Reason,
                Message = occurrence.Message.Length > 4000 ? occurrence.Message[..4000] : occurrence.Message,
                Timestamp = occurrence.Timestamp,
                CreatedAt = now,
                UpdatedAt = now,
                Generation = 1,
            });
        }

        try
        {
            await writes.SaveChangesAsync(db, ct);
        }
        catch (DbUpdateException) when (latest.Count > 1)
        {
            // One of them failed the batch (its instance was deleted meanwhile): the others are recorded one by one.
            foreach (var occurrence in latest)
            {
                await RecordAsync([occurrence], ct);
            }
        }
        catch (DbUpdateException)
        {
            // The same event recorded concurrently, or its instance deleted meanwhile: nothing to add.
        }
    }
}
