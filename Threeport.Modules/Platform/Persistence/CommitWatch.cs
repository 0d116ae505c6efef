using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using SQLitePCL;

namespace Threeport.Modules.Platform.Persistence;

// Moves TableChanges' clocks from SQLite itself: its update hook names every row a statement changes (so a write
// made with raw SQL or ExecuteUpdate counts as much as SaveChanges), its commit hook says a transaction with those
// changes is committing. SQLite has no hook after a commit, so a commit is settled at the next point EF passes
// on that connection (a command or SaveChanges finished, a transaction committed, the connection closing or
// opening again); until then readers of the table do not reuse answers, which is safe but slower. A connection
// that ADO.NET alone opened and wrote on is therefore settled when EF next uses it.
internal sealed class CommitWatch(TableChanges changes) : IDbConnectionInterceptor, IDbTransactionInterceptor, IDbCommandInterceptor, ISaveChangesInterceptor
{
    // Per native connection, which the pool keeps open across SqliteConnections: hooks are set once per handle.
    private static readonly ConditionalWeakTable<sqlite3, ConnectionCommits> Watched = [];

    public void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Watch(connection);

    public Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Watch(connection);
        return Task.CompletedTask;
    }

    public InterceptionResult ConnectionClosing(DbConnection connection, ConnectionEventData eventData, InterceptionResult result)
    {
        Settle(connection);
        return result;
    }

    public ValueTask<InterceptionResult> ConnectionClosingAsync(DbConnection connection, ConnectionEventData eventData, InterceptionResult result)
    {
        Settle(connection);
        return ValueTask.FromResult(result);
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Settle(eventData.Context?.Database.GetDbConnection());

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Settle(eventData.Context?.Database.GetDbConnection());
        return Task.CompletedTask;
    }

    public int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
    {
        Settle(command.Connection);
        return result;
    }

    public ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        Settle(command.Connection);
        return ValueTask.FromResult(result);
    }

    public DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result)
    {
        Settle(command.Connection);
        return result;
    }

    public ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
    {
        Settle(command.Connection);
        return ValueTask.FromResult(result);
    }

    public object? ScalarExecuted(DbCommand command, CommandExecutedEventData eventData, object? result)
    {
        Settle(command.Connection);
        return result;
    }

    public ValueTask<object?> ScalarExecutedAsync(DbCommand command, CommandExecutedEventData eventData, object? result, CancellationToken cancellationToken = default)
    {
        Settle(command.Connection);
        return ValueTask.FromResult(result);
    }

    public int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        Settle(eventData.Context?.Database.GetDbConnection());
        return result;
    }

    public ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        Settle(eventData.Context?.Database.GetDbConnection());
        return ValueTask.FromResult(result);
    }

    private void Watch(DbConnection connection)
    {
        if ((connection as SqliteConnection)?.Handle is not { } handle)
        {
            return;
        }

        if (Watched.TryGetValue(handle, out var watched))
        {
            // Whatever this handle committed before it was opened again is visible now.
            watched.Settle();
            if (watched.Changes == changes)
            {
                return;
            }
        }

        // New, or last used by another host on the same file (a restart in one process): hooks now report here.
        var commits = new ConnectionCommits(changes);
        raw.sqlite3_update_hook(handle, static (state, _, _, table, _) => ((ConnectionCommits)state).Changed(table.utf8_to_string()), commits);
        raw.sqlite3_commit_hook(handle, static state => ((ConnectionCommits)state).Committing(), commits);
        Watched.AddOrUpdate(handle, commits);
    }

    private static void Settle(DbConnection? connection)
    {
        if ((connection as SqliteConnection)?.Handle is { } handle && Watched.TryGetValue(handle, out var commits))
        {
            commits.Settle();
        }
    }

    // Used only on the thread that holds the connection (ADO.NET never shares one), so it needs no lock.
    private sealed class ConnectionCommits(TableChanges changes)
    {
        private readonly List<TableClock> changed = [];
        private readonly List<TableClock> committing = [];

        public TableChanges Changes => changes;

        public void Changed(string table)
        {
            var clock = changes.Clock(table);
            if (!changed.Contains(clock))
            {
                changed.Add(clock);
            }
        }

        // Returns 0: the commit goes ahead. Changes of a rolled-back transaction stay listed and count with the next
        // commit, which only costs a reuse.
        public int Committing()
        {
            foreach (var clock in changed)
            {
                clock.CommitStarting();
                committing.Add(clock);
            }

            changed.Clear();
            return 0;
        }

        public void Settle()
        {
            foreach (var clock in committing)
            {
                clock.CommitSettled();
            }

            committing.Clear();
        }
    }
}
