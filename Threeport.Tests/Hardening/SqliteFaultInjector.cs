using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Threeport.Tests.Hardening;

// Makes the n-th write statement from now fail as SQLite would on a full disk (SQLITE_FULL) or a read-only
// database (SQLITE_READONLY); reads are never touched. Armed by a test, disarmed after one fault.
public sealed class SqliteFaultInjector : DbCommandInterceptor
{
    private int errorCode;
    private int countdown;

    public int Injected;

    public void FailWrite(int errorCode, int nth)
    {
        this.errorCode = errorCode;
        Volatile.Write(ref countdown, nth);
    }

    public void Disarm() => Volatile.Write(ref countdown, 0);

    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        MaybeFail(command);
        return result;
    }

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        MaybeFail(command);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        MaybeFail(command);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        MaybeFail(command);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result)
    {
        MaybeFail(command);
        return result;
    }

    public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default)
    {
        MaybeFail(command);
        return ValueTask.FromResult(result);
    }

    private void MaybeFail(DbCommand command)
    {
        var text = command.CommandText.TrimStart();
        var isWrite = text.StartsWith("INSERT", StringComparison.OrdinalIgnoreCase)
            || text.StartsWith("UPDATE", StringComparison.OrdinalIgnoreCase)
            || text.StartsWith("DELETE", StringComparison.OrdinalIgnoreCase);
        if (isWrite && Volatile.Read(ref countdown) > 0 && Interlocked.Decrement(ref countdown) == 0)
        {
            Interlocked.Increment(ref Injected);
            throw new SqliteException(errorCode == 13 ? "database or disk is full" : "attempt to write a readonly database", errorCode);
        }
    }
}
