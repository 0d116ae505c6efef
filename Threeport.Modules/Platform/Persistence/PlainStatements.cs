using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Threeport.Modules.Platform.Persistence;

// Writes what several contexts would save as plain statements on the connection of one context, in its transaction,
// each distinct statement prepared once for all of them: EF's update pipeline (ordering the commands, building their
// SQL, a new command and new prepared statements every time) was 30 % of the CPU of a backlog of reconciles
// (docs/benchmarks.md), and most of recording a workload's resources. Only updates of rows (checked by their
// concurrency tokens) and inserts with a key the database generates. Anything else is for SaveChanges.
//
// Seen by interceptors: each statement goes past EF's command interceptors, as SaveChanges' would. API writes go so
// (interceptors see every API write: the storage-fault tests inject there); a reconcile's outcome skips that cost.
internal sealed class PlainStatements(ThreeportDb into, bool seenByInterceptors = false) : IAsyncDisposable
{
    private readonly Dictionary<string, SqliteCommand> prepared = [];
    private readonly List<(PropertyEntry Key, object Value)> generatedKeys = [];
    private readonly Dictionary<object, object> generatedKeyOf = new(ReferenceEqualityComparer.Instance);
    private readonly (IRelationalCommandDiagnosticsLogger Logger, IRelationalConnection Connection)? interceptors =
        seenByInterceptors ? (into.GetService<IRelationalCommandDiagnosticsLogger>(), into.GetService<IRelationalConnection>()) : null;

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
                EntityState.Modified => ++updates <= maxUpdates && RowShape.Of(entry.Metadata).IsPlain && entry.Properties.Any(p => p.IsModified),
                EntityState.Added => RowShape.Of(entry.Metadata) is { IsPlain: true, InsertsPlainly: true }
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
            var shape = RowShape.Of(entry.Metadata);
            var generatedKey = entry.State == EntityState.Added && entry.Property(shape.Key).IsTemporary ? entry.Property(shape.Key) : null;
            var (sql, values) = entry.State == EntityState.Modified ? shape.Update(entry) : shape.Insert(entry, generatedKey is not null);
            var command = await PreparedAsync(sql, ct);
            for (var i = 0; i < values.Count; i++)
            {
                var (property, value) = values[i];
                command.Parameters.Add(shape.Parameter(command, i, property, value));
            }

            if (generatedKey is not null)
            {
                var key = await ExecuteAsync(command, DbCommandMethod.ExecuteScalar, CommandSource.SaveChanges, ct)
                    ?? throw new InvalidOperationException($"inserting into {shape.Table} returned no key");
                var value = Convert.ChangeType(key, generatedKey.Metadata.ClrType, System.Globalization.CultureInfo.InvariantCulture);
                generatedKeys.Add((generatedKey, value));
                generatedKeyOf[entry.Entity] = value;
            }
            else if ((int)(await ExecuteAsync(command, DbCommandMethod.ExecuteNonQuery, CommandSource.SaveChanges, ct))! != 1)
            {
                // Only an update can find no row.
                return false;
            }
        }

        return true;
    }

    // The key the database gave `entity` when one of these statements inserted it, or null; before Accept.
    public object? GeneratedKeyOf(object entity) => generatedKeyOf.GetValueOrDefault(entity);

    // One more statement in the same transaction, prepared once however often it runs; returns the first value it
    // reads (a RETURNING clause's), or null.
    public async Task<object?> ScalarAsync(string sql, (string Name, object Value)[] parameters, CancellationToken ct)
    {
        var command = await PreparedAsync(sql, ct);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return await ExecuteAsync(command, DbCommandMethod.ExecuteScalar, CommandSource.ExecuteSqlRaw, ct);
    }

    // For changes that are a transaction of their own: a stale update or a failure of SQLite surfaces as SaveChanges'
    // would, and the caller's transaction rolls back whole.
    public async Task WriteAsync(IReadOnlyList<EntityEntry> changes, CancellationToken ct)
    {
        bool written;
        try
        {
            written = await TryWriteAsync(changes, ct);
        }
        catch (SqliteException ex)
        {
            throw new DbUpdateException($"An error occurred while saving the entity changes: {ex.Message}", ex);
        }

        if (!written)
        {
            throw new DbUpdateConcurrencyException("A row to update was changed or deleted meanwhile; nothing was saved.");
        }
    }

    // Once the transaction committed: `from`'s entries take the keys the database gave them and are saved, as
    // SaveChanges leaves them.
    public void Accept(DbContext from)
    {
        foreach (var (key, value) in generatedKeys.Where(k => k.Key.EntityEntry.Context == from))
        {
            key.CurrentValue = value;
            key.IsTemporary = false;
        }

        from.ChangeTracker.AcceptAllChanges();
    }

    private async Task<SqliteCommand> PreparedAsync(string sql, CancellationToken ct)
    {
        if (!prepared.TryGetValue(sql, out var command))
        {
            prepared[sql] = command = await into.CommandAsync(sql, [], ct);
        }

        command.Parameters.Clear();
        return command;
    }

    // As EF's own commands run: interceptors may answer or fail the statement before it runs, and see its result.
    private async Task<object?> ExecuteAsync(SqliteCommand command, DbCommandMethod method, CommandSource source, CancellationToken ct)
    {
        var scalar = method == DbCommandMethod.ExecuteScalar;
        if (interceptors is not var (logger, connection))
        {
            return scalar ? await command.ExecuteScalarAsync(ct) : await command.ExecuteNonQueryAsync(ct);
        }

        var id = Guid.NewGuid();
        var started = DateTimeOffset.UtcNow;
        try
        {
            if (scalar)
            {
                var intercepted = await logger.CommandScalarExecutingAsync(connection, command, command.CommandText, into, id, connection.ConnectionId, started, source, ct);
                var result = intercepted.HasResult ? intercepted.Result : await command.ExecuteScalarAsync(ct);
                return await logger.CommandScalarExecutedAsync(connection, command, command.CommandText, into, id, connection.ConnectionId, result, started, DateTimeOffset.UtcNow - started, source, ct);
            }
            else
            {
                var intercepted = await logger.CommandNonQueryExecutingAsync(connection, command, command.CommandText, into, id, connection.ConnectionId, started, source, ct);
                var result = intercepted.HasResult ? intercepted.Result : await command.ExecuteNonQueryAsync(ct);
                return await logger.CommandNonQueryExecutedAsync(connection, command, command.CommandText, into, id, connection.ConnectionId, result, started, DateTimeOffset.UtcNow - started, source, ct);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await logger.CommandErrorAsync(connection, command, command.CommandText, into, method, id, connection.ConnectionId, ex, started, DateTimeOffset.UtcNow - started, source, ct);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var command in prepared.Values)
        {
            await command.DisposeAsync();
        }
    }

    // What the statements need of an entity type, looked up in EF's model once per type: the lookups (table and
    // column names, type mappings) were a third of the CPU of writing a backlog's outcomes (docs/benchmarks.md).
    private sealed class RowShape
    {
        private static readonly ConditionalWeakTable<IEntityType, RowShape> Shapes = new();

        // Not formatted again for every parameter of every statement.
        private static readonly string[] ParameterNames = [.. Enumerable.Range(0, 64).Select(i => $"$p{i}")];

        private readonly IProperty[] properties;
        private readonly Dictionary<IProperty, (string Column, RelationalTypeMapping Mapping)> columns;
        private readonly IProperty[] tokens;
        private readonly string insertAll = "";
        private readonly string insertReturningKey = "";

        // By the properties an update sets (bit i: properties[i]); a status write sets the same few every time.
        private readonly ConcurrentDictionary<ulong, string> updates = new();
        private readonly Func<ulong, List<(IProperty Property, object? Value)>, string> updateSql;

        private RowShape(IEntityType type)
        {
            properties = [.. type.GetProperties()];
            updateSql = (_, assigned) => UpdateSql(assigned);
            Key = type.FindPrimaryKey()?.Properties[0]!;
            tokens = [.. properties.Where(p => p.IsConcurrencyToken)];
            // One table, one key column, no owned or complex parts: a row EF writes with one plain statement.
            IsPlain = type.GetTableName() is not null && type.GetTableMappings().Count() == 1 && !type.IsOwned() && !type.GetNavigations().Any()
                && !type.GetComplexProperties().Any() && type.FindPrimaryKey() is { Properties.Count: 1 };
            InsertsPlainly = properties.All(p => p.IsPrimaryKey() || p.ValueGenerated == ValueGenerated.Never);
            columns = [];
            if (!IsPlain)
            {
                return;
            }

            var table = StoreObjectIdentifier.Table(type.GetTableName()!, type.GetSchema());
            Table = table.Name;
            columns = properties.ToDictionary(p => p, p => ($"\"{p.GetColumnName(table)}\"", p.GetRelationalTypeMapping()));
            insertAll = InsertSql(properties, returning: null);
            insertReturningKey = InsertSql([.. properties.Where(p => p != Key)], returning: Key);
        }

        public bool IsPlain { get; }

        public bool InsertsPlainly { get; }

        public string Table { get; } = "";

        public IProperty Key { get; }

        public static RowShape Of(IEntityType type) => Shapes.GetValue(type, t => new RowShape(t));

        public (string Sql, List<(IProperty, object?)> Values) Update(EntityEntry entry)
        {
            var values = new List<(IProperty, object?)>();
            var set = 0UL;
            var index = 0;
            foreach (var property in entry.Properties)
            {
                if (property.IsModified)
                {
                    set |= 1UL << (index % 64);
                    values.Add((property.Metadata, property.CurrentValue));
                }

                index++;
            }

            var sql = properties.Length <= 64 ? updates.GetOrAdd(set, updateSql, values) : UpdateSql(values);
            values.Add((Key, entry.Property(Key).CurrentValue));
            foreach (var token in tokens)
            {
                values.Add((token, entry.Property(token).OriginalValue));
            }

            return (sql, values);
        }

        // Without the key when the database generates it (a temporary value stands in for it meanwhile), which it returns.
        public (string Sql, List<(IProperty, object?)> Values) Insert(EntityEntry entry, bool keyGenerated)
        {
            var values = new List<(IProperty, object?)>(properties.Length);
            foreach (var property in properties)
            {
                if (!keyGenerated || property != Key)
                {
                    values.Add((property, entry.Property(property).CurrentValue));
                }
            }

            return (keyGenerated ? insertReturningKey : insertAll, values);
        }

        // The property's own type mapping makes the parameter, so converters apply as in SaveChanges.
        public System.Data.Common.DbParameter Parameter(SqliteCommand command, int index, IProperty property, object? value) =>
            columns[property].Mapping.CreateParameter(command, index < ParameterNames.Length ? ParameterNames[index] : $"$p{index}", value, property.IsNullable);

        private string UpdateSql(List<(IProperty Property, object? Value)> assigned)
        {
            var sql = new StringBuilder($"UPDATE \"{Table}\" SET ");
            sql.AppendJoin(", ", assigned.Select((a, i) => $"{columns[a.Property].Column} = $p{i}"));
            sql.Append($" WHERE {columns[Key].Column} = $p{assigned.Count}");
            for (var i = 0; i < tokens.Length; i++)
            {
                sql.Append($" AND {columns[tokens[i]].Column} = $p{assigned.Count + 1 + i}");
            }

            return sql.ToString();
        }

        private string InsertSql(IProperty[] written, IProperty? returning) =>
            $"INSERT INTO \"{Table}\" ({string.Join(", ", written.Select(p => columns[p].Column))}) VALUES ({string.Join(", ", written.Select((_, i) => $"$p{i}"))})"
            + (returning is null ? "" : $" RETURNING {columns[returning].Column}");
    }
}
