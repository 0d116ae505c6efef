using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Threeport.Modules.Platform.Reconciliation;
using Threeport.Tests.Support;

namespace Threeport.Tests.Platform;

// The core promise: a change stored through the API reaches its reconciler and the verdict is visible.
public sealed class ReconcileFlowTests
{
    [Test]
    public async Task Create_ThroughTheApi_IsReconciledAndVisible()
    {
        await using var cp = await TestControlPlane.StartAsync();
        var created = await cp.CreateWidgetAsync(color: "blue");
        created["Reconciled"]!.GetValue<bool>().Should().BeFalse();

        var id = created["ID"]!.GetValue<long>();
        var reconciled = await cp.EventuallyAsync("widgets", id, w => w["Reconciled"]!.GetValue<bool>());

        reconciled["AppliedColor"]!.GetValue<string>().Should().Be("blue");
        reconciled["CreationConfirmed"].Should().NotBeNull();
        (await cp.WithDbAsync(db => db.OutboxMessages.CountAsync())).Should().Be(0);
        (await cp.WithDbAsync(db => db.Leases.CountAsync())).Should().Be(0);
        var events = await ApiResponse.ReadAsync(await cp.Client.GetAsync($"/v0/events?objecttype=Widget&objectid={id}"));
        events.Data!.Select(e => e!["Reason"]!.GetValue<string>()).Should().Contain("SuccessfulCreate");
    }

    [Test]
    public async Task ConcurrentUpdates_OfOneObject_NeverOverlapAndTheLastOneWins()
    {
        await using var cp = await TestControlPlane.StartAsync(settings: new Dictionary<string, string?> { ["Threeport:Controllers:Test:Workers"] = "4" });
        cp.Widgets.Script = async (_, ct) =>
        {
            await Task.Delay(2, ct);
            return ReconcileResult.Done;
        };
        var id = (await cp.CreateWidgetAsync(color: "c0"))["ID"]!.GetValue<long>();

        const int updates = 200;
        var next = 0;
        var writers = Enumerable.Range(0, 8).Select(async _ =>
        {
            int n;
            while ((n = Interlocked.Increment(ref next)) <= updates)
            {
                var response = await cp.Client.PatchAsJsonAsync($"/v0/widgets/{id}", new { Color = $"c{n}" });
                response.StatusCode.Should().Be(HttpStatusCode.OK);
            }
        });
        await Task.WhenAll(writers);

        var stored = await cp.GetAsync("widgets", id);
        var lastColor = stored["Color"]!.GetValue<string>();
        var final = await cp.EventuallyAsync("widgets", id, w => w["Reconciled"]!.GetValue<bool>());

        final["AppliedColor"]!.GetValue<string>().Should().Be(lastColor, "the state that ends reconciled is the last change");
        cp.Widgets.Overlaps.Should().Be(0, "two reconciles of one object must never run at once");
        cp.Widgets.CallsFor(id).Should().BeLessThan(updates + 1, "notifications coalesce while one is pending");
        TestContext.Out.WriteLine($"{updates + 1} changes, {cp.Widgets.CallsFor(id)} reconciles");
    }

    [Test]
    public async Task UserUpdate_DuringAReconcile_IsNotLostAndIsReconciledAgain()
    {
        await using var cp = await TestControlPlane.StartAsync();
        var firstStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var releaseFirst = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cp.Widgets.Script = async (w, ct) =>
        {
            if (w.Color == "old")
            {
                firstStarted.TrySetResult();
                await releaseFirst.Task.WaitAsync(ct);
            }

            return ReconcileResult.Done;
        };
        var id = (await cp.CreateWidgetAsync(color: "old"))["ID"]!.GetValue<long>();
        await firstStarted.Task.WaitAsync(TimeSpan.FromSeconds(30));

        (await cp.Client.PatchAsJsonAsync($"/v0/widgets/{id}", new { Color = "new" })).StatusCode.Should().Be(HttpStatusCode.OK);
        releaseFirst.SetResult();

        var final = await cp.EventuallyAsync("widgets", id, w => w["Reconciled"]!.GetValue<bool>());
        final["AppliedColor"]!.GetValue<string>().Should().Be("new", "the stale write of the old generation must not mark the new one reconciled");
        cp.Widgets.Seen.Where(s => s.Id == id).Select(s => s.Color).Should().Equal("old", "new");
    }

    [Test]
    public async Task UserUpdate_RightAfterAReconcileCommits_IsReconciledWithoutWaitingForTheSweep()
    {
        // Time stands still: the sweep (every 5 s) never runs, so only the dispatcher's own bookkeeping can
        // deliver the change. The update commits after the reconcile's commit and before its worker is done
        // with the object: the reconcile deleted the row it read, the update wrote a new one.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var cp = await TestControlPlane.StartAsync(time: time);
        var observer = cp.Services.GetRequiredService<ReconcileObserver>();
        var updated = 0;
        observer.Reconciled += (key, _) =>
        {
            if (Interlocked.Exchange(ref updated, 1) == 0)
            {
                cp.Client.PatchAsJsonAsync($"/v0/widgets/{key.Id}", new { Color = "new" }).GetAwaiter().GetResult().EnsureSuccessStatusCode();
            }
        };

        var id = (await cp.CreateWidgetAsync(color: "old"))["ID"]!.GetValue<long>();
        await cp.EventuallyAsync("widgets", id, w => w["Generation"]!.GetValue<long>() == 2);
        // The change is hot (it met the object in flight): it waits its quiet period, well under the sweep.
        for (var i = 0; i < 20 && cp.Widgets.Seen.Count(s => s.Id == id) < 2; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(25));
            await Task.Delay(100);
        }

        var final = await cp.EventuallyAsync("widgets", id, w => w["Reconciled"]!.GetValue<bool>());
        final["AppliedColor"]!.GetValue<string>().Should().Be("new");
        cp.Widgets.Seen.Where(s => s.Id == id).Select(s => s.Color).Should().Equal("old", "new");
    }

    [Test]
    public async Task Reconciler_ThatThrows_IsRetriedAndRecordsAFailureEvent()
    {
        await using var cp = await TestControlPlane.StartAsync(settings: FastBackoff);
        var failures = 2;
        cp.Widgets.Script = (_, _) => Interlocked.Decrement(ref failures) >= 0
            ? throw new InvalidOperationException("cluster said no")
            : Task.FromResult(ReconcileResult.Done);
        var id = (await cp.CreateWidgetAsync())["ID"]!.GetValue<long>();

        await cp.EventuallyAsync("widgets", id, w => w["Reconciled"]!.GetValue<bool>());
        cp.Widgets.CallsFor(id).Should().Be(3);
        var events = await ApiResponse.ReadAsync(await cp.Client.GetAsync($"/v0/events?objectid={id}&reason=FailedCreate"));
        var failed = events.Single;
        failed["Type"]!.GetValue<string>().Should().Be("Warning");
        failed["Note"]!.GetValue<string>().Should().Be("cluster said no");
        failed["Count"]!.GetValue<int>().Should().Be(2, "repeats of one failure are counted, not duplicated");
    }

    [Test]
    public async Task Reconciler_ThatRequeues_RunsAgainWithoutBeingMarkedReconciled()
    {
        await using var cp = await TestControlPlane.StartAsync();
        var calls = 0;
        var sawUnreconciledBetween = true;
        cp.Widgets.Script = (w, _) =>
        {
            sawUnreconciledBetween &= !w.Reconciled;
            return Task.FromResult(Interlocked.Increment(ref calls) < 3 ? ReconcileResult.RequeueAfter(TimeSpan.FromMilliseconds(10)) : ReconcileResult.Done);
        };
        var id = (await cp.CreateWidgetAsync())["ID"]!.GetValue<long>();

        await cp.EventuallyAsync("widgets", id, w => w["Reconciled"]!.GetValue<bool>());
        calls.Should().Be(3);
        sawUnreconciledBetween.Should().BeTrue();
    }

    [Test]
    public async Task Reconciler_ThatInterrupts_StopsUntilTheUserChangesTheObject()
    {
        await using var cp = await TestControlPlane.StartAsync();
        cp.Widgets.Script = (w, _) => Task.FromResult(w.Color == "bad" ? ReconcileResult.Interrupt("bucket cleanup failed") : ReconcileResult.Done);
        var id = (await cp.CreateWidgetAsync(color: "bad"))["ID"]!.GetValue<long>();

        var interrupted = await cp.EventuallyAsync("widgets", id, w => w["InterruptReconciliation"]!.GetValue<bool>());
        interrupted["Reconciled"]!.GetValue<bool>().Should().BeFalse();
        (await cp.WithDbAsync(db => db.OutboxMessages.CountAsync())).Should().Be(0, "nothing is requeued after an interrupt");
        cp.Widgets.CallsFor(id).Should().Be(1);

        var resumed = await cp.Client.PatchAsJsonAsync($"/v0/widgets/{id}", new { Color = "good", InterruptReconciliation = false });
        resumed.StatusCode.Should().Be(HttpStatusCode.OK);
        await cp.EventuallyAsync("widgets", id, w => w["Reconciled"]!.GetValue<bool>());
        cp.Widgets.CallsFor(id).Should().Be(2);
    }

    [Test]
    public async Task Delete_IsTwoPhase_TheReconcilerTearsDownThenTheRowGoes()
    {
        await using var cp = await TestControlPlane.StartAsync();
        var tornDown = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var allowTeardown = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cp.Widgets.Script = async (w, ct) =>
        {
            if (w.DeletionScheduled is not null)
            {
                await allowTeardown.Task.WaitAsync(ct);
                tornDown.TrySetResult(w.ID);
            }

            return ReconcileResult.Done;
        };
        var id = (await cp.CreateWidgetAsync())["ID"]!.GetValue<long>();
        await cp.EventuallyAsync("widgets", id, w => w["Reconciled"]!.GetValue<bool>());

        var first = await ApiResponse.ReadAsync(await cp.Client.DeleteAsync($"/v0/widgets/{id}"));
        first.StatusCode.Should().Be(HttpStatusCode.OK);
        first.Single["DeletionScheduled"].Should().NotBeNull();
        var second = await ApiResponse.ReadAsync(await cp.Client.DeleteAsync($"/v0/widgets/{id}"));
        second.StatusCode.Should().Be(HttpStatusCode.Conflict);
        second.Error.Should().Contain("already being deleted");

        allowTeardown.SetResult();
        (await tornDown.Task.WaitAsync(TimeSpan.FromSeconds(30))).Should().Be(id);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        HttpStatusCode status;
        while ((status = (await cp.Client.GetAsync($"/v0/widgets/{id}")).StatusCode) != HttpStatusCode.NotFound && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        status.Should().Be(HttpStatusCode.NotFound);
    }

    public static Dictionary<string, string?> FastBackoff => new()
    {
        ["Threeport:BackoffInitial"] = "00:00:00.010",
        ["Threeport:BackoffMax"] = "00:00:00.050",
    };
}
