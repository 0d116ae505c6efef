using System.CommandLine;
using Threeport.Host.Bench;

namespace Threeport.Tests.Bench;

// Issue 6: `tptctl bench --quick` starts its own control plane, runs every row and prints them all. The
// numbers are not checked: they depend on the machine (STYLE.md: no wall-clock assertions).
[TestFixture]
public sealed class BenchCommandTests
{
    private static readonly string[] Rows =
    [
        "notify commit->reconciler p50", "notify commit->reconciler p90", "notify commit->reconciler p99",
        "no-op reconciles/s",
        "POST instance->Reconciled p50", "POST instance->Reconciled p99", "instances/s", "control plane CPU per instance",
        "control plane KB allocated per instance", "first burst after start-up: instances/s", "first burst: control plane CPU per instance",
        "GET by id req/s", "list page of 50 req/s", "POST create req/s",
        "resident memory", "start-up to ready", "list page 1 (50) p99", "filter by name p99", "no-op reconciles/s, 2k stored",
        "reconciles for 100 updates", "last change->reconciled",
    ];

    [Test]
    [CancelAfter(240_000)]
    public async Task BenchQuick_PrintsEveryRowWithItsBaseline(CancellationToken ct)
    {
        var (exit, table, progress) = await RunAsync("bench --quick", ct);

        await TestContext.Out.WriteLineAsync(progress + table);
        exit.Should().Be(0, $"the run should succeed; progress:\n{progress}\noutput:\n{table}");
        foreach (var row in Rows)
        {
            table.Should().Contain(row);
        }

        table.Should().Contain("channel write->read").And.Contain("SQLite 1-row commits/s").And.Contain("3 direct SSA p50")
            .And.Contain("CPU per 3-apply set").And.Contain("KB per 3-apply set").And.Contain("bare endpoint req/s").And.Contain("empty store").And.Contain("uncontended update p50");
        table.Should().NotContain("n/a", "every figure and every baseline should have been measured");
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task BenchRows_RunsOnlyTheRowsAskedFor(CancellationToken ct)
    {
        var (exit, table, progress) = await RunAsync("bench --quick --rows 6", ct);

        exit.Should().Be(0, progress);
        table.Should().Contain("reconciles for 100 updates").And.Contain("last change->reconciled");
        table.Should().NotContain("notify commit->reconciler").And.NotContain("instances/s").And.NotContain("resident memory");
    }

    [TestCase("7")]
    [TestCase("3,x")]
    [TestCase("")]
    public async Task BenchRows_OutsideOneToSix_IsRefusedInOneLine(string rows)
    {
        var (exit, table, progress) = await RunAsync($"bench --rows \"{rows}\"", CancellationToken.None);

        exit.Should().Be(2);
        table.Should().BeEmpty();
        progress.Trim().Should().Be("Error: --rows takes row numbers from 1 to 6, comma-separated, e.g. --rows 3,4");
    }

    private static async Task<(int Exit, string Table, string Progress)> RunAsync(string line, CancellationToken ct)
    {
        var output = new StringWriter();
        var progress = new StringWriter();
        var exit = await new RootCommand { BenchCommand.Create() }.Parse(line).InvokeAsync(new InvocationConfiguration { Output = output, Error = progress }, ct);
        return (exit, output.ToString(), progress.ToString());
    }
}
