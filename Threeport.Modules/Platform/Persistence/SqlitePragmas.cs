using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Threeport.Modules.Platform.Persistence;

// synchronous=NORMAL is per connection: in WAL mode it keeps commits durable across a process crash
// (only a power loss can drop the last commits) and saves an fsync per commit.
internal sealed class SqlitePragmas : DbConnectionInterceptor
{
    private const string Pragmas = "PRAGMA synchronous=NORMAL;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
