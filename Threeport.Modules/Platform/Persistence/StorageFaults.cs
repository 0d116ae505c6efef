using Microsoft.Data.Sqlite;

namespace Threeport.Modules.Platform.Persistence;

// Storage conditions a client can wait out or an operator can fix: answered 503 with what to do, never 500.
// The failed statement's transaction is rolled back by SQLite, so nothing of the request stays written.
public static class StorageFaults
{
    // SQLite primary result codes (https://www.sqlite.org/rescode.html).
    private const int Busy = 5;
    private const int Locked = 6;
    private const int ReadOnly = 8;
    private const int IoError = 10;
    private const int Corrupt = 11;
    private const int Full = 13;
    private const int CantOpen = 14;

    public static string? Describe(Exception exception, DataDirectory dataDirectory)
    {
        for (var ex = exception; ex is not null; ex = ex.InnerException)
        {
            if (ex is SqliteException sqlite)
            {
                return sqlite.SqliteErrorCode switch
                {
                    Busy or Locked => "the database is busy with another writer: retry in a moment",
                    Full => $"the disk holding {dataDirectory.Path} is full: nothing was written; free some space and retry",
                    ReadOnly => $"the database {dataDirectory.DatabasePath} is read-only: nothing was written; make it and its folder writable and retry",
                    IoError or CantOpen => $"the database {dataDirectory.DatabasePath} could not be read or written (disk error): nothing was written; check the disk and retry",
                    Corrupt => $"the database {dataDirectory.DatabasePath} is damaged: restore it from a backup",
                    _ => null,
                };
            }
        }

        return null;
    }
}
