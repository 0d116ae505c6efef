namespace Threeport.Host.Bench;

// Sizes of one `tptctl bench` run. The defaults are the sizes (about four minutes on two cores);
// Quick is for smoke tests (well under a minute).
public sealed record BenchOptions
{
    // Notifications timed (row 1), one POST at a time.
    public int Notifications { get; init; } = 10_000;

    // Objects reconciled for pipeline throughput (rows 2 and 5).
    public int Objects { get; init; } = 10_000;

    // One-row SQLite transactions for the throughput baseline.
    public int SqliteCommits { get; init; } = 5_000;

    // End-to-end workload instances timed one at a time (latency), then created at E2eConcurrency (throughput).
    public int E2eLatencyInstances { get; init; } = 200;

    public int E2eInstances { get; init; } = 1_000;

    public int E2eConcurrency { get; init; } = 32;

    public int ApiConcurrency { get; init; } = 32;

    public TimeSpan ApiDuration { get; init; } = TimeSpan.FromSeconds(4);

    // Workload instances stored for the scale row.
    public int ScaleInstances { get; init; } = 100_000;

    public int ListSamples { get; init; } = 300;

    public int ContentionUpdates { get; init; } = 1_000;

    public int ContentionClients { get; init; } = 16;

    // The rows to run (1-6); all by default.
    public IReadOnlySet<int> Rows { get; init; } = AllRows;

    public static IReadOnlySet<int> AllRows { get; } = new HashSet<int> { 1, 2, 3, 4, 5, 6 };

    public static BenchOptions Quick { get; } = new()
    {
        Notifications = 300,
        Objects = 300,
        SqliteCommits = 300,
        E2eLatencyInstances = 10,
        E2eInstances = 40,
        ApiDuration = TimeSpan.FromMilliseconds(500),
        ScaleInstances = 2_000,
        ListSamples = 30,
        ContentionUpdates = 100,
    };
}
