namespace Threeport.Host.ControlPlane;

// What `tptctl up` was asked for; parsed by the CLI, consumed by ControlPlaneApp.
public sealed record UpOptions
{
    public string Name { get; init; } = "local";
    public string? DataDirectory { get; init; }
    public int ApiPort { get; init; } = 1323;
    public string ApiBindAddress { get; init; } = "127.0.0.1";
    public bool AuthEnabled { get; init; } = true;
    public bool DevClusterEnabled { get; init; } = true;
    public int DevClusterPort { get; init; }
    // Extra configuration (key=value, as `--Section:Key=value` on the command line) layered over appsettings.json.
    public IReadOnlyDictionary<string, string?> Settings { get; init; } = new Dictionary<string, string?>();

    public string ResolveDataDirectory() =>
        DataDirectory ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".threeport", Name);
}
