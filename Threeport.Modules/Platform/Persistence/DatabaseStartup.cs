using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Threeport.Modules.Platform.Leases;
using Threeport.Modules.Platform.Secrets;

namespace Threeport.Modules.Platform.Persistence;

// Runs before every other hosted service: the database is migrated (EF Core migrations, never
// EnsureCreated), switched to WAL, the encryption key is checked against the stored sensitive fields, and leases
// of a previous process are released. A data directory, database or key that cannot be used stops start-up with
// one sentence that says what to do.
public sealed class DatabaseStartup(
    IDbContextFactory<ThreeportDb> dbFactory,
    DataDirectory dataDirectory,
    LeaseStore leases,
    EncryptionKey encryptionKey,
    FieldProtector protector,
    ILogger<DatabaseStartup> log) : IHostedService
{
    private readonly TaskCompletionSource ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Ready => ready.Task;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            dataDirectory.EnsureUsable();
            encryptionKey.EnsureLoaded();
            await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
            {
                await db.Database.MigrateAsync(cancellationToken);
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
                await SensitiveFields.VerifyAsync(db, protector, cancellationToken);
            }

            await leases.ReleaseLeasesOfPreviousProcessesAsync(cancellationToken);
        }
        catch (SqliteException ex)
        {
            throw new StartupException(
                $"the database {dataDirectory.DatabasePath} cannot be used ({ex.Message.TrimEnd('.')}): restore it from a backup or start with another --data-dir",
                ex);
        }

        log.LogInformation("Opened database {Path}", dataDirectory.DatabasePath);
        ready.TrySetResult();
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
