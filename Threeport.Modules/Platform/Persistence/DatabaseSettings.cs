namespace Threeport.Modules.Platform.Persistence;

// The "Threeport:Database" section.
public sealed class DatabaseSettings
{
    public const string Section = "Threeport:Database";

    // How long a statement waits for another connection's write lock (SQLITE_BUSY) before the request answers 503.
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
