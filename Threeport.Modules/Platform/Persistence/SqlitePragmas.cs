using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Threeport.Modules.Platform.Persistence;

// Per-connection settings. synchronous=NORMAL: in WAL mode commits stay durable across a process crash (only
// a power loss can drop the last ones) and an fsync per commit is saved. busy_timeout: SQLite itself waits for
// a writer's lock in steps of 1 to 100 ms; without it Microsoft.Data.Sqlite retries a busy statement only every
// 150 ms, which capped concurrent writers at a few hundred commits per second.
// Both settings live on the native connection, which the pool keeps open, so they are set once per native
// connection rather than on every open (an extra statement per query on the hot path).
internal sealed class SqlitePragmas(TimeSpan busyTimeout) : DbConnectionInterceptor
{
    private static readonly ConditionalWeakTable<SQLitePCL.sqlite3, object> Configured = [];
    private readonly string pragmas = $"PRAGMA synchronous=NORMAL; PRAGMA busy_timeout={(long)busyTimeout.TotalMilliseconds};";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        if (NeedsPragmas(connection, out var handle))
        {
            using var command = connection.CreateCommand();
            command.CommandText = pragmas;
            command.ExecuteNonQuery();
            Configured.AddOrUpdate(handle!, Configured);
        }
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (NeedsPragmas(connection, out var handle))
        {
            await using var command = connection.CreateCommand();
            command.CommandText = pragmas;
            await command.ExecuteNonQueryAsync(cancellationToken);
            Configured.AddOrUpdate(handle!, Configured);
        }
    }

    private static bool NeedsPragmas(DbConnection connection, out SQLitePCL.sqlite3? handle)
    {
        handle = (connection as SqliteConnection)?.Handle;
        return handle is null || !Configured.TryGetValue(handle, out _);
    }
}
