using System.Net.Http.Json;
using FluentAssertions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;
using Threeport.Modules.Platform.Reconciliation;
using Threeport.Tests.Support;

namespace Threeport.Tests.Platform;

// A worker commits the outcomes of a backlog's quick reconciles together. Time stands still in these tests, so every
// outcome of a batch waits for the batch to finish and is committed with the others.
public sealed class OutcomeCommitTests
{
    [Test]
    public async Task ABacklogOfQuickReconciles_IsCommittedTogether_EachOutcomeStoredOnce()
    {
        var (dataDirectory, ids) = await BacklogAsync(60);

        await using var cp = await TestControlPlane.StartAsync(dataDirectory, time: new FakeTimeProvider(DateTimeOffset.UtcNow));
        foreach (var id in ids)
        {
            await cp.EventuallyAsync("widgets", id, w => w["Reconciled"]!.GetValue<bool>());
        }

        var (commits, outcomes) = Commits(cp);
        outcomes.Should().Be(ids.Count, "every outcome is stored once");
        commits.Should().BeLessThan(outcomes, "outcomes of one batch share a commit");
        ids.Select(cp.Widgets.CallsFor).Should().AllSatisfy(calls => calls.Should().Be(1));
        await AssertSettledAsync(cp, ids);
    }

    [Test]
    public async Task AStaleStatusWrite_InAGroup_IsDiscardedAlone_AndTheOthersAreStoredOnce()
    {
        // Every fourth widget is changed by its user while being reconciled: its status write is stale, which fails
        // its group's commit. Each outcome is then committed alone: the stale one is discarded and reconciled again.
        var (dataDirectory, ids) = await BacklogAsync(40);
        var stale = ids.Where((_, i) => i % 4 == 0).ToHashSet();
        var client = new TaskCompletionSource<HttpClient>(TaskCreationOptions.RunContinuationsAsynchronously);
        var behavior = new WidgetBehavior();
        behavior.Script = async (widget, ct) =>
        {
            if (stale.Contains(widget.ID) && widget.Color == "red")
            {
                (await (await client.Task).PatchAsJsonAsync($"/v0/widgets/{widget.ID}", new { Color = "new" }, ct)).EnsureSuccessStatusCode();
            }

            return ReconcileResult.Done;
        };

        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var cp = await TestControlPlane.StartAsync(dataDirectory, time: time, widgetBehavior: behavior);
        client.SetResult(cp.Client);
        // A changed object waits its quiet period (20 ms) before it is reconciled again.
        for (var i = 0; i < 100 && stale.Any(id => cp.Widgets.CallsFor(id) < 2); i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(25));
            await Task.Delay(50);
        }

        foreach (var id in ids)
        {
            var widget = await cp.EventuallyAsync("widgets", id, w => w["Reconciled"]!.GetValue<bool>());
            widget["AppliedColor"]!.GetValue<string>().Should().Be(stale.Contains(id) ? "new" : "red");
        }

        stale.Select(id => cp.Widgets.Seen.Where(s => s.Id == id).Select(s => s.Color)).Should().AllSatisfy(colors => colors.Should().Equal("red", "new"));
        ids.Except(stale).Select(cp.Widgets.CallsFor).Should().AllSatisfy(calls => calls.Should().Be(1));
        await AssertSettledAsync(cp, ids);
    }

    [Test]
    public async Task ABacklogOfRequeues_IsCommittedTogether_EachRowDueAtItsOwnTime_AndReconciledThen()
    {
        var (dataDirectory, ids) = await BacklogAsync(40);
        var behavior = new WidgetBehavior();
        // Each widget asks to be looked at again after its own delay, then is done.
        behavior.Script = (widget, _) => Task.FromResult(
            behavior.CallsFor(widget.ID) == 1 ? ReconcileResult.RequeueAfter(RequeueDelay(widget.ID)) : ReconcileResult.Done);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var cp = await TestControlPlane.StartAsync(dataDirectory, time: time, widgetBehavior: behavior);
        var started = time.GetUtcNow();

        var rows = await EventuallyRescheduledAsync(cp, ids.Count);
        rows.Should().BeEquivalentTo(ids.Select(id => (id, 1, (started + RequeueDelay(id)).ToUnixTimeMilliseconds())));
        var (commits, outcomes) = Commits(cp);
        commits.Should().BeLessThan(outcomes, "outcomes of one batch share a commit");
        (await cp.WithDbAsync(db => db.Leases.CountAsync())).Should().Be(0);

        time.Advance(RequeueDelay(ids.Max()));
        foreach (var id in ids)
        {
            await cp.EventuallyAsync("widgets", id, w => w["Reconciled"]!.GetValue<bool>());
        }

        ids.Select(cp.Widgets.CallsFor).Should().AllSatisfy(calls => calls.Should().Be(2));
        await AssertSettledAsync(cp, ids);
    }

    private static TimeSpan RequeueDelay(long id) => TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(id);

    private static async Task<List<(long Id, int Attempt, long AvailableAt)>> EventuallyRescheduledAsync(TestControlPlane cp, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var rows = await cp.WithDbAsync(db => db.OutboxMessages.Where(m => m.ObjectType == "Widget" && m.Attempt > 0)
                .Select(m => new ValueTuple<long, int, long>(m.ObjectId, m.Attempt, m.AvailableAt)).ToListAsync());
            if (rows.Count == count || DateTime.UtcNow > deadline)
            {
                return rows;
            }

            await Task.Delay(20);
        }
    }

    // Widgets created while their controller is off: they wait in the outbox, and the next start finds them all at once.
    private static async Task<(string DataDirectory, List<long> Ids)> BacklogAsync(int count)
    {
        var dataDirectory = TestControlPlane.NewDataDirectory();
        var ids = new List<long>();
        await using var first = await TestControlPlane.StartAsync(dataDirectory, settings: new Dictionary<string, string?> { ["Threeport:Controllers:Test:Enabled"] = "false" });
        for (var i = 0; i < count; i++)
        {
            ids.Add((await first.CreateWidgetAsync())["ID"]!.GetValue<long>());
        }

        return (dataDirectory, ids);
    }

    private static (long Commits, long Outcomes) Commits(TestControlPlane cp)
    {
        var widgets = cp.Services.GetRequiredService<ReconcileObserver>().Commits.Single(c => c.Type == "Widget");
        return (widgets.Commits, widgets.Outcomes);
    }

    // One creation event per widget (a failed group leaves none behind), and no lease or notification left over.
    private static async Task AssertSettledAsync(TestControlPlane cp, List<long> ids)
    {
        var created = await cp.WithDbAsync(db => db.Events.Where(e => e.ObjectType == "Widget" && e.Reason == "SuccessfulCreate")
            .GroupBy(e => e.ObjectID).Select(g => new { Id = g.Key, Count = g.Count() }).ToListAsync());
        created.Should().HaveCount(ids.Count).And.OnlyContain(c => c.Count == 1 && c.Id != null && ids.Contains(c.Id.Value));
        (await cp.WithDbAsync(db => db.Leases.CountAsync())).Should().Be(0);
        (await cp.WithDbAsync(db => db.OutboxMessages.CountAsync())).Should().Be(0);
    }
}
