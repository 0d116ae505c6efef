using System.CommandLine;

namespace Threeport.Host.Bench;

// `tptctl bench`: starts a private control plane in a child process, drives it over HTTP and prints every
// figure beside a baseline measured in the same run (like `nats bench` and `pgbench`).
public sealed class BenchCommand : Command
{
    public static readonly Option<bool> QuickOption = new("--quick") { Description = "Small sizes, under a minute: checks that everything runs, not how fast" };

    public static readonly Option<bool> JsonOption = new("--json") { Description = "Print the results as JSON instead of a table" };

    public static readonly Option<int?> NotificationsOption = new("--notifications") { Description = "Creates timed for notification latency (default 10000)" };

    public static readonly Option<int?> ObjectsOption = new("--objects") { Description = "No-op reconciles for pipeline throughput (default 10000)" };

    public static readonly Option<int?> InstancesOption = new("--instances") { Description = "Workload instances created end to end at --e2e-concurrency (default 1000)" };

    public static readonly Option<int?> E2eConcurrencyOption = new("--e2e-concurrency") { Description = "Concurrent clients creating workload instances (default 32)" };

    public static readonly Option<int?> ApiConcurrencyOption = new("--api-concurrency") { Description = "Keep-alive clients for the API rows (default 32)" };

    public static readonly Option<double?> ApiSecondsOption = new("--api-seconds") { Description = "Seconds per API measurement (default 4)" };

    public static readonly Option<int?> ScaleInstancesOption = new("--scale-instances") { Description = "Workload instances stored for the scale row (default 100000)" };

    public static readonly Option<int?> UpdatesOption = new("--updates") { Description = "Updates to one object for the contention row (default 1000)" };

    public static readonly Option<int?> UpdateClientsOption = new("--update-clients") { Description = "Clients sending those updates (default 16)" };

    public static readonly Option<string?> RowsOption = new("--rows") { Description = "Only these rows, comma-separated (e.g. 3,4); default all of 1-6" };

    public BenchCommand()
        : base("bench", "Measure this machine's control plane: notification latency, reconcile throughput, end to end, API, scale, contention. "
            + "Each figure is paired with a baseline measured in the same run.\n\nExamples:\n  tptctl bench\n  tptctl bench --quick\n  tptctl bench --json --objects 20000")
    {
        foreach (var option in new Option[] { QuickOption, JsonOption, NotificationsOption, ObjectsOption, InstancesOption, E2eConcurrencyOption, ApiConcurrencyOption, ApiSecondsOption, ScaleInstancesOption, UpdatesOption, UpdateClientsOption, RowsOption })
        {
            Options.Add(option);
        }

        SetAction(ExecuteAsync);
    }

    public static Command Create() => new BenchCommand();

    public static BenchOptions ReadOptions(ParseResult parseResult)
    {
        var options = parseResult.GetValue(QuickOption) ? BenchOptions.Quick : new BenchOptions();
        return options with
        {
            Notifications = parseResult.GetValue(NotificationsOption) ?? options.Notifications,
            Objects = parseResult.GetValue(ObjectsOption) ?? options.Objects,
            E2eInstances = parseResult.GetValue(InstancesOption) ?? options.E2eInstances,
            E2eConcurrency = parseResult.GetValue(E2eConcurrencyOption) ?? options.E2eConcurrency,
            ApiConcurrency = parseResult.GetValue(ApiConcurrencyOption) ?? options.ApiConcurrency,
            ApiDuration = parseResult.GetValue(ApiSecondsOption) is { } seconds ? TimeSpan.FromSeconds(seconds) : options.ApiDuration,
            ScaleInstances = parseResult.GetValue(ScaleInstancesOption) ?? options.ScaleInstances,
            ContentionUpdates = parseResult.GetValue(UpdatesOption) ?? options.ContentionUpdates,
            ContentionClients = parseResult.GetValue(UpdateClientsOption) ?? options.ContentionClients,
            Rows = parseResult.GetValue(RowsOption) is { } rows ? ParseRows(rows) : options.Rows,
        };
    }

    // An empty set for anything but row numbers 1-6: the caller refuses it.
    private static HashSet<int> ParseRows(string text)
    {
        var rows = new HashSet<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, out var row) || !BenchOptions.AllRows.Contains(row))
            {
                return [];
            }

            rows.Add(row);
        }

        return rows;
    }

    private static async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken ct)
    {
        var output = parseResult.InvocationConfiguration.Output;
        var progress = parseResult.InvocationConfiguration.Error;
        var options = ReadOptions(parseResult);
        if (options.Rows.Count == 0)
        {
            await progress.WriteLineAsync("Error: --rows takes row numbers from 1 to 6, comma-separated, e.g. --rows 3,4");
            return 2;
        }

        if (options.Notifications < 1 || options.Objects < 1 || options.E2eInstances < 1 || options.E2eConcurrency < 1 || options.ApiConcurrency < 1
            || options.ScaleInstances < 1 || options.ContentionUpdates < 1 || options.ContentionClients < 1 || options.ApiDuration <= TimeSpan.Zero)
        {
            await progress.WriteLineAsync("Error: sizes, concurrencies and --api-seconds must be positive");
            return 2;
        }

        try
        {
            var report = await new BenchRunner(options, progress).RunAsync(ct);
            await output.WriteLineAsync(parseResult.GetValue(JsonOption) ? report.ToJson() : report.ToTable());
            return 0;
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or HttpRequestException or IOException)
        {
            await progress.WriteLineAsync($"Error: the benchmark failed: {ex.Message}");
            return 1;
        }
    }
}
