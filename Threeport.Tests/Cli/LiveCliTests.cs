using Threeport.Host.Cli;
using Threeport.Tests.Platform;
using Threeport.Tests.Support;

namespace Threeport.Tests.Cli;

// tptctl commands run in-process against a live control plane on a free port with a temp data directory.
public sealed class LiveCliTests
{
    [Test]
    public async Task Version_ShowsTheCliAndTheControlPlane()
    {
        await using var cp = await TestControlPlane.StartAsync(withWidgets: false);
        using var run = new CliRun();
        await run.UseControlPlaneAsync(cp.Client.BaseAddress!);

        var result = await run.RunAsync("version");

        result.ExitCode.Should().Be(0, result.ToString());
        result.Output.Should().MatchRegex($@"^tptctl version \S+\ncontrol plane test version \S+ \({cp.Client.BaseAddress!.GetLeftPart(UriPartial.Authority)}\)\n$");
    }

    [Test]
    public async Task GetEvents_ShowsWhatTheReconcilersRecorded()
    {
        await using var cp = await TestControlPlane.StartAsync(settings: ReconcileFlowTests.FastBackoff);
        using var run = new CliRun();
        await run.UseControlPlaneAsync(cp.Client.BaseAddress!);
        var before = await run.RunAsync("get events");
        cp.Widgets.Script = (_, _) => throw new InvalidOperationException("cluster said no");
        var id = (await cp.CreateWidgetAsync())["ID"]!.GetValue<long>();
        var failed = await ApiResponse.ReadAsync(await cp.Client.GetAsync($"/v0/events?objectid={id}"));
        for (var i = 0; i < 300 && (failed.Data?.Count ?? 0) == 0; i++)
        {
            await Task.Delay(20);
            failed = await ApiResponse.ReadAsync(await cp.Client.GetAsync($"/v0/events?objectid={id}"));
        }

        var table = await run.RunAsync("get events");
        var json = await run.RunAsync("get events -o json");
        var yaml = await run.RunAsync("get events -o yaml");

        before.Output.Should().Be("No events found\n");
        table.ExitCode.Should().Be(0, table.ToString());
        table.Output.Should().StartWith("TYPE      REASON         OBJECT").And.MatchRegex($@"\nWarning   FailedCreate   Widget {id} .*cluster said no\n");
        System.Text.Json.Nodes.JsonNode.Parse(json.Output)!.AsArray().Should().Contain(e => e!["Note"]!.GetValue<string>() == "cluster said no");
        yaml.Output.Should().Contain("Note: cluster said no");
    }
}
