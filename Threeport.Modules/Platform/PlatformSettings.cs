namespace Threeport.Modules.Platform;

// The "Threeport" section of appsettings.json.
public sealed class PlatformSettings
{
    public const string Section = "Threeport";

    // Where the database (and the dev cluster's kubeconfig) live; default ~/.threeport/<name>.
    public string? DataDirectory { get; set; }

    // How long a reconciler's claim on an object lasts without renewal; renewed every third of it.
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(60);

    // How often the dispatcher looks for due rows it was not told about (requeues, other writers, recovery).
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(5);

    // Notifications held in memory per object type; the rest wait in the outbox table. A worker takes a share of what
    // waits (ReconcilerHost.TakeBatch): with room for 64, a backlog was taken in batches of 6-12 as the channel drained
    // between refills, and the no-op pipeline ran 25-35 % slower than with 256 (docs/benchmarks.md, 56.).
    public int ChannelCapacity { get; set; } = 256;

    // Reuse serialized GET and list answers until their table changes (see AnswerCache); off only to measure without.
    public bool ReuseAnswers { get; set; } = true;

    // How often the runtime watcher looks for runtimes with workload instances that no reconcile of this process
    // has named yet (those of a restarted control plane).
    public TimeSpan WatchRescanInterval { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan BackoffInitial { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan BackoffMax { get; set; } = TimeSpan.FromSeconds(30);

    // Per controller (module): "Workload": { "Enabled": true, "Workers": 4 }.
    public Dictionary<string, ControllerSettings> Controllers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public ControllerSettings ControllerFor(string controller) =>
        Controllers.TryGetValue(controller, out var settings) ? settings : new ControllerSettings();

    public Reconciliation.Backoff Backoff => new(BackoffInitial, BackoffMax);
}

public sealed class ControllerSettings
{
    public bool Enabled { get; set; } = true;

    // Concurrent reconciles per object type of this controller.
    public int Workers { get; set; } = 4;
}
