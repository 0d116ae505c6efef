using System.Collections.Concurrent;

namespace Threeport.Modules.Platform.Persistence;

// A clock per table that moves with every commit that changed the table, whoever made it (EF, ExecuteUpdate, raw
// SQL: SQLite reports the rows, see CommitWatch). An answer read from a table can be reused while the table's stamp
// stays the one read before the query.
public sealed class TableChanges
{
    private readonly ConcurrentDictionary<string, TableClock> clocks = new(StringComparer.Ordinal);

    // Null while a commit to the table is under way: what a query reads then may or may not include it.
    public long? Stamp(string table) => Clock(table).Stamp;

    internal TableClock Clock(string table) => clocks.GetOrAdd(table, static _ => new TableClock());
}

// A commit moves the clock twice: once as it starts and once after it is visible to new readers. A stamp read
// before a query therefore equals the settled value only if the query began after every commit it could miss.
internal sealed class TableClock
{
    private long ticks;
    private int commitsUnderWay;

    public long? Stamp
    {
        get
        {
            var stamp = Volatile.Read(ref ticks);
            return Volatile.Read(ref commitsUnderWay) == 0 ? stamp : null;
        }
    }

    public void CommitStarting()
    {
        Interlocked.Increment(ref commitsUnderWay);
        Interlocked.Increment(ref ticks);
    }

    public void CommitSettled()
    {
        Interlocked.Increment(ref ticks);
        Interlocked.Decrement(ref commitsUnderWay);
    }
}
