using Threeport.Modules.Platform.Objects;
using Threeport.Modules.Platform.Persistence;

namespace Threeport.Modules.Platform.Outbox;

// What a reconcile needs of an object's outbox row: the Sequence it settles (deletes or reschedules only if still
// the same), the attempts so far (backoff) and the latest user operation (logs).
public readonly record struct PendingRow(long Sequence, int Attempt, string Operation)
{
    public static async Task<PendingRow?> ReadAsync(ThreeportDb db, ObjectKey key, CancellationToken ct)
    {
        await using var command = await db.CommandAsync(
            "SELECT Sequence, Attempt, Operation FROM OutboxMessages WHERE ObjectType = $type AND ObjectId = $id",
            [("$type", key.Type), ("$id", key.Id)],
            ct);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? new PendingRow(reader.GetInt64(0), reader.GetInt32(1), reader.GetString(2)) : null;
    }
}
