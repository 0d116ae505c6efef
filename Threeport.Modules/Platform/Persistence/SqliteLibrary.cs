using SQLitePCL;

namespace Threeport.Modules.Platform.Persistence;

// Process-wide SQLite settings, made before the first connection opens (SQLite refuses them afterwards, which is
// harmless: a second host in the same process finds them made).
// Multi-thread mode drops the mutex SQLite takes around every call on a connection: ADO.NET never uses one
// connection from two threads at once, and a list of 50 objects makes about 2,000 such calls (perf: 6 % of a list
// request in pthread_mutex_lock/unlock). Memory statistics off drops a global mutex around every allocation.
internal static class SqliteLibrary
{
    private static readonly Lazy<bool> Configured = new(() =>
    {
        Batteries_V2.Init();
        raw.sqlite3_config(raw.SQLITE_CONFIG_MULTITHREAD);
        raw.sqlite3_config(raw.SQLITE_CONFIG_MEMSTATUS, 0);
        return true;
    });

    public static void Configure() => _ = Configured.Value;
}
