using System.Text.Json.Nodes;
using Threeport.Host.Cli;
using Threeport.Host.Cli.Objects;
using Threeport.Modules.Platform.Client;
using Threeport.Modules.Platform.Reconciliation;
using Threeport.Tests.Platform;
using Threeport.Tests.Support;

namespace Threeport.Tests.Cli;

// `--wait` against live reconcilers (the platform's test Widget type).
public sealed class WaiterTests
{
    private static readonly ApiRoute Widgets = ThreeportClientTests.Widgets;

    [Test]
    public async Task Wait_ForACreatedObject_EndsWhenReconciled()
    {
        await using var cp = await TestControlPlane.StartAsync();
        var (client, waiter, output) = Connect(cp);
        var created = await client.CreateAsync(Widgets, new JsonObject { ["Name"] = "ok" });

        var result = await waiter.WaitAsync([TrackedObject.From(Widgets, created, "ok", DateTimeOffset.UtcNow)], WaitGoal.Reconciled, TimeSpan.FromSeconds(30), CancellationToken.None);

        result.Should().Be(WaitResult.Done);
        output.ToString().Should().EndWith("widget ok: reconciled\n");
    }

    [Test]
    public async Task Wait_WhenTheReconcilerFails_EndsWithTheFailureEvent()
    {
        await using var cp = await TestControlPlane.StartAsync(settings: ReconcileFlowTests.FastBackoff);
        cp.Widgets.Script = (_, _) => throw new InvalidOperationException("cluster said no");
        var (client, waiter, _) = Connect(cp);
        var created = await client.CreateAsync(Widgets, new JsonObject { ["Name"] = "bad" });

        var result = await waiter.WaitAsync([TrackedObject.From(Widgets, created, "bad", DateTimeOffset.UtcNow)], WaitGoal.Reconciled, TimeSpan.FromSeconds(30), CancellationToken.None);

        result.ExitCode.Should().Be(ExitCodes.WaitFailed);
        result.Message.Should().Be("widget bad failed: FailedCreate: cluster said no");
    }

    [Test]
    public async Task Wait_ThatNeverFinishes_TimesOutWithTheLastState()
    {
        await using var cp = await TestControlPlane.StartAsync();
        cp.Widgets.Script = (_, _) => Task.FromResult(ReconcileResult.RequeueAfter(TimeSpan.FromMilliseconds(20)));
        var (client, waiter, _) = Connect(cp);
        var created = await client.CreateAsync(Widgets, new JsonObject { ["Name"] = "slow" });

        var result = await waiter.WaitAsync([TrackedObject.From(Widgets, created, "slow", DateTimeOffset.UtcNow)], WaitGoal.Reconciled, TimeSpan.FromMilliseconds(300), CancellationToken.None);

        result.ExitCode.Should().Be(ExitCodes.WaitTimedOut);
        result.Message.Should().Be("timed out after 0.3s: widget slow is reconciling");
    }

    [Test]
    public async Task Wait_ForADeletedObject_EndsWhenItIsGone()
    {
        await using var cp = await TestControlPlane.StartAsync();
        var (client, waiter, output) = Connect(cp);
        var created = await client.CreateAsync(Widgets, new JsonObject { ["Name"] = "gone" });
        await cp.EventuallyAsync("widgets", created.Id(), w => w.GetBool("Reconciled"));
        var scheduled = await client.DeleteAsync(Widgets, created.Id());

        var result = await waiter.WaitAsync([TrackedObject.From(Widgets, scheduled!, "gone", DateTimeOffset.UtcNow)], WaitGoal.Gone, TimeSpan.FromSeconds(30), CancellationToken.None);

        result.Should().Be(WaitResult.Done);
        output.ToString().Should().EndWith("widget gone: deleted\n");
    }

    [Test]
    public async Task Wait_UsesTheTimeProviderForItsDeadline()
    {
        await using var cp = await TestControlPlane.StartAsync();
        cp.Widgets.Script = (_, _) => Task.FromResult(ReconcileResult.RequeueAfter(TimeSpan.FromMinutes(10)));
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        var client = ThreeportClient.Create(cp.Client.BaseAddress!);
        var waiter = new Waiter(client, new Progress(TextWriter.Null, false), time, TimeSpan.FromSeconds(1));
        var created = await client.CreateAsync(Widgets, new JsonObject { ["Name"] = "fake" });

        var waiting = waiter.WaitAsync([TrackedObject.From(Widgets, created, "fake", time.GetUtcNow())], WaitGoal.Reconciled, TimeSpan.FromMinutes(5), CancellationToken.None);
        for (var i = 0; i < 400 && !waiting.IsCompleted; i++)
        {
            // Each advance releases one poll delay; the loop is bounded and needs no real waiting for the 5 minutes.
            await Task.Yield();
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(waiting, Task.Delay(10));
        }

        var result = await waiting.WaitAsync(TimeSpan.FromSeconds(30));
        result.ExitCode.Should().Be(ExitCodes.WaitTimedOut);
        result.Message.Should().StartWith("timed out after 5m");
    }

    private static (ThreeportClient Client, Waiter Waiter, StringWriter Output) Connect(TestControlPlane cp)
    {
        var client = ThreeportClient.Create(cp.Client.BaseAddress!);
        var output = new StringWriter();
        return (client, new Waiter(client, new Progress(output, isTerminal: false), TimeProvider.System, TimeSpan.FromMilliseconds(20)), output);
    }
}
