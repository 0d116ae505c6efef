using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Threeport.Modules.Platform.Persistence;

// Writes what several contexts would save as plain statements on the connection of one context, in its transaction,
// each distinct statement prepared once for all of them: EF's update pipeline (ordering the commands, building their
// SQL, a new command and new prepared statements every time) was 30 % of the CPU of a backlog of reconciles
// (docs/benchmarks.md), and most of recording a workload's resources. Only updates of rows (checked by their
// concurrency tokens) and inserts with a key the database generates. Anything else is for SaveChanges.
internal sealed class PlainStatements(ThreeportDb into) : IAsyncDisposable
{
    private readonly Dictionary<string, SqliteCommand> prepared = [];
    private readonly List<(PropertyEntry Key, object Value)> generatedKeys = [];

    // What `from` would save, in the order these statements write it (updates first), or null when SaveChanges must
    // write it. Taken before the write gate: it detects the changes once, and the writes inside the gate do not.
    // A reconcile's outcome, written beside others in one transaction, may hold one update only: written first, a
    // stale one writes nothing of its outcome. A context written alone in its own transaction may hold any number.
    public static IReadOnlyList<EntityEntry>? ChangesOf(DbContext from, int maxUpdates = 1)
    {
        var updates = 0;
        var changes = new List<EntityEntry>();
        foreach (var entry in from.ChangeTracker.Entries())
        {
            var writable = entry.State switch
            {
                EntityState.Unchanged or EntityState.Detached => true,
                EntityState.Modified => ++updates <= maxUpdates && IsPlainRow(entry.Metadata) && entry.Properties.Any(p => p.IsModified),
                EntityState.Added => IsPlainRow(entry.Metadata) && entry.Properties.All(p => p.Metadata.IsPrimaryKey() || p.Metadata.ValueGenerated == ValueGenerated.Never)
                    && !entry.Properties.Any(p => p.IsTemporary && !p.Metadata.IsPrimaryKey()),
                _ => false,
            };
            if (!writable)
            {
                return null;
            }

            if (entry.State == EntityState.Modified)
            {
                changes.Insert(updates - 1, entry);
            }
            else if (entry.State == EntityState.Added)
            {
                changes.Add(entry);
            }
        }

        return changes;
    }

    // False when an update found its row changed or gone (its concurrency tokens no longer match): nothing of these
    // changes is written when it was the first; otherwise the caller rolls its transaction back.
    public async Task<bool> TryWriteAsync(IReadOnlyList<EntityEntry> changes, CancellationToken ct)
    {
        foreach (var entry in changes)
        {
            var generatedKey = entry.State == EntityState.Added ? entry.Properties.FirstOrDefault(p => p.Metadata.IsPrimaryKey() && p.IsTemporary) : null;
            var (sql, values) = entry.State == EntityState.Modified ? Update(entry) : Insert(entry, generatedKey);
            if (!prepared.TryGetValue(sql, out var command))
            {
                prepared[sql] = command = await into.CommandAsync(sql, [], ct);
            }

            command.Parameters.Clear();
            for (var i = 0; i < values.Count; i++)
            {
                var (property, value) = values[i];
                command.Parameters.Add(property.GetRelationalTypeMapping().CreateParameter(command, $"$p{i}", value, property.IsNullable));
            }

            if (generatedKey is not null)
            {
                var key = await command.ExecuteScalarAsync(ct) ?? throw new InvalidOperationException($"inserting into {entry.Metadata.GetTableName()} returned no key");
                generatedKeys.Add((generatedKey, Convert.ChangeType(key, generatedKey.Metadata.ClrType, System.Globalization.CultureInfo.InvariantCulture)));
            }
            else if (await command.ExecuteNonQueryAsync(ct) != 1)
            {
                // Only an update can find no row.
                return false;
            }
        }

        return true;
    }

    // Once the transaction committed: `from`'s entries take the keys the database gave them and are saved, as
    // SaveChanges leaves them.
    public void Accept(DbContext from)
    {
        foreach (var (key, value) in generatedKeys)
        {
            key.CurrentValue = value;
            key.IsTemporary = false;
        }

        from.ChangeTracker.AcceptAllChanges();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var command in prepared.Values)
        {
            await command.DisposeAsync();
        }
    }

    // One table, one key column, no owned or complex parts: a row EF writes with one plain statement.
    private static bool IsPlainRow(IEntityType type) =>
        type.GetTableName() is not null && type.GetTableMappings().Count() == 1 && !type.IsOwned() && !type.GetNavigations().Any()
        && !type.GetComplexProperties().Any() && type.FindPrimaryKey() is { Properties.Count: 1 };

    private static (string Sql, List<(IProperty, object?)> Values) Update(EntityEntry entry)
    {
        var table = StoreObjectIdentifier.Table(entry.Metadata.GetTableName()!, entry.Metadata.GetSchema());
        var values = new List<(IProperty, object?)>();
        var sql = new StringBuilder($"UPDATE \"{table.Name}\" SET ");
        foreach (var property in entry.Properties.Where(p => p.IsModified))
        {
            sql.Append(values.Count == 0 ? "" : ", ").Append($"\"{property.Metadata.GetColumnName(table)}\" = $p{values.Count}");
            values.Add((property.Metadata, property.CurrentValue));
        }

        var key = entry.Metadata.FindPrimaryKey()!.Properties[0];
        sql.Append($" WHERE \"{key.GetColumnName(table)}\" = $p{values.Count}");
        values.Add((key, entry.Property(key.Name).CurrentValue));
        foreach (var token in entry.Properties.Where(p => p.Metadata.IsConcurrencyToken))
        {
            sql.Append($" AND \"{token.Metadata.GetColumnName(table)}\" = $p{values.Count}");
            values.Add((token.Metadata, token.OriginalValue));
        }

        return (sql.ToString(), values);
    }

    // Without the key when the database generates it (a temporary value stands in for it meanwhile), which it returns.
    private static (string Sql, List<(IProperty, object?)> Values) Insert(EntityEntry entry, PropertyEntry? generatedKey)
    {
        var table = StoreObjectIdentifier.Table(entry.Metadata.GetTableName()!, entry.Metadata.GetSchema());
        var columns = entry.Properties.Where(p => p.Metadata != generatedKey?.Metadata).ToList();
        var names = string.Join(", ", columns.Select(p => $"\"{p.Metadata.GetColumnName(table)}\""));
        var parameters = string.Join(", ", columns.Select((_, i) => $"$p{i}"));
        var returning = generatedKey is null ? "" : $" RETURNING \"{generatedKey.Metadata.GetColumnName(table)}\"";
        return ($"INSERT INTO \"{table.Name}\" ({names}) VALUES ({parameters}){returning}", columns.Select(p => (p.Metadata, p.CurrentValue)).ToList());
    }
}
