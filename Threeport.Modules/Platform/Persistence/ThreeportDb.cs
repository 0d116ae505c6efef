using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Threeport.Modules.Platform.Events;
using Threeport.Modules.Platform.Leases;
using Threeport.Modules.Platform.Outbox;
using Threeport.Modules.Platform.Secrets;

namespace Threeport.Modules.Platform.Persistence;

// One database for every module; each module adds its tables with IEntityTypeConfiguration classes
// in its own folder, found here by assembly scan.
public sealed class ThreeportDb(DbContextOptions<ThreeportDb> options) : DbContext(options)
{
    public DbSet<OutboxMessage> OutboxMessages => Set<OutboxMessage>();

    public DbSet<Lease> Leases => Set<Lease>();

    public DbSet<Event> Events => Set<Event>();

    // Set while this context holds the process's SqliteWriteGate.
    internal bool HoldsWrites { get; set; }

    // One plain SQL statement on this context's connection and transaction, without EF's command pipeline: for
    // the platform's few fixed statements that run on every reconcile.
    internal async Task<int> ExecuteAsync(string sql, CancellationToken ct, params (string Name, object Value)[] parameters)
    {
        await using var command = await CommandAsync(sql, parameters, ct);
        return await command.ExecuteNonQueryAsync(ct);
    }

    internal async Task<SqliteCommand> CommandAsync(string sql, (string Name, object Value)[] parameters, CancellationToken ct)
    {
        var connection = (SqliteConnection)Database.GetDbConnection();
        if (connection.State != System.Data.ConnectionState.Open)
        {
            // Stays open until the context is disposed (or returned to its pool).
            await Database.OpenConnectionAsync(ct);
        }

        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = (SqliteTransaction?)Database.CurrentTransaction?.GetDbTransaction();
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder) =>
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<DateTimeOffsetText.Converter>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<OutboxMessage>(outbox =>
        {
            outbox.HasIndex(m => new { m.ObjectType, m.ObjectId }).IsUnique();
            outbox.HasIndex(m => new { m.ObjectType, m.AvailableAt });
        });
        modelBuilder.Entity<Lease>().HasKey(l => new { l.ObjectType, l.ObjectId });
        modelBuilder.Entity<Event>(events =>
        {
            events.Property(e => e.Generation).IsConcurrencyToken();
            events.HasIndex(e => new { e.ObjectType, e.ObjectID });
        });
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(ThreeportDb).Assembly);
        SensitiveFields.Apply(modelBuilder, SensitiveFields.ProtectorOf(this));
    }
}
