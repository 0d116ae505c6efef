using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Threeport.Modules.Platform.Persistence;

// Per-connection settings. synchronous=NORMAL: in WAL mode commits stay durable across a process crash (only
// a power loss can drop the last ones) and an fsync per commit is saved. busy_timeout: SQLite itself waits for
// a writer's lock in steps of 1 to 100 ms; without it Microsoft.Data.Sqlite retries a busy statement only every
// 150 ms, which capped concurrent writers at a few hundred commits per second.
internal sealed class SqlitePragmas(TimeSpan busyTimeout) : DbConnectionInterceptor
{
    private readonly string pragmas = $"PRAGMA synchronous=NORMAL; PRAGMA busy_timeout={(long)busyTimeout.TotalMilliseconds};";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
