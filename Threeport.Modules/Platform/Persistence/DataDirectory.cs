using Microsoft.Extensions.Options;

namespace Threeport.Modules.Platform.Persistence;

// The folder that holds the control plane's state: threeport.db and the dev cluster's files.
public sealed class DataDirectory(IOptions<PlatformSettings> settings, IOptions<DatabaseSettings> database)
{
    public string Path { get; } = System.IO.Path.GetFullPath(settings.Value.DataDirectory
        ?? System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".threeport", "local"));

    public string DatabasePath => System.IO.Path.Combine(Path, "threeport.db");

    // Busy waits are handled by Microsoft.Data.Sqlite itself: it retries SQLITE_BUSY until the command
    // timeout ("Default Timeout", whole seconds) runs out; then the request answers 503 (StorageFaults).
    public string ConnectionString =>
        $"Data Source={DatabasePath};Default Timeout={Math.Max(1, (int)Math.Ceiling(database.Value.BusyTimeout.TotalSeconds))};Pooling=True";

    public void EnsureUsable()
    {
        try
        {
            Directory.CreateDirectory(Path);
            var probe = System.IO.Path.Combine(Path, $".write-test-{Guid.NewGuid():N}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StartupException($"the data directory {Path} is not writable ({ex.Message.TrimEnd('.')}): fix its permissions or start with another --data-dir", ex);
        }
    }
}
