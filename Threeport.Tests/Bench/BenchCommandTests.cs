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
        "POST instance->Reconciled p50", "POST instance->Reconciled p99", "instances/s",
        "GET by id req/s", "list page of 50 req/s", "POST create req/s",
        "resident memory", "start-up to ready", "list page 1 (50) p99", "filter by name p99", "no-op reconciles/s, 2k stored",
        "reconciles for 100 updates", "last change->reconciled",
    ];

    [Test]
    [CancelAfter(240_000)]
    public async Task BenchQuick_PrintsEveryRowWithItsBaseline(CancellationToken ct)
    {
        var output = new StringWriter();
        var progress = new StringWriter();
        var root = new RootCommand { BenchCommand.Create() };

        var exit = await root.Parse("bench --quick").InvokeAsync(new InvocationConfiguration { Output = output, Error = progress }, ct);

        var table = output.ToString();
        await TestContext.Out.WriteLineAsync(progress.ToString() + table);
        exit.Should().Be(0, $"the run should succeed; progress:\n{progress}\noutput:\n{table}");
        foreach (var row in Rows)
        {
            table.Should().Contain(row);
        }

        table.Should().Contain("channel write->read").And.Contain("SQLite 1-row commits/s").And.Contain("3 direct SSA p50")
            .And.Contain("bare endpoint req/s").And.Contain("empty store").And.Contain("uncontended update p50");
        table.Should().NotContain("n/a", "every figure and every baseline should have been measured");
    }
}
