using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Threeport.Modules.Platform.Leases;
using Threeport.Modules.Platform.Outbox;
using Threeport.Modules.Platform.Reconciliation;
using Threeport.Tests.Support;

namespace Threeport.Tests.Platform;

public sealed class RestartRecoveryTests
{
    [Test]
    public async Task GracefulStop_MidReconcile_HandsTheObjectBackAndTheNextStartReconcilesIt()
    {
        var dataDirectory = TestControlPlane.NewDataDirectory();
        long id;
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (var first = await TestControlPlane.StartAsync(dataDirectory))
        {
            first.Widgets.Script = async (_, ct) =>
            {
                started.TrySetResult();
                await Task.Delay(Timeout.Infinite, ct);
                return ReconcileResult.Done;
            };
            id = (await first.CreateWidgetAsync())["ID"]!.GetValue<long>();
            await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }

        (await TestControlPlane.QueryStoppedAsync(dataDirectory, db => db.Leases.CountAsync())).Should().Be(0, "the stopped host released its lease");
        (await TestControlPlane.QueryStoppedAsync(dataDirectory, db => db.OutboxMessages.CountAsync())).Should().Be(1, "the notification was handed back, not lost");
        await using var second = await TestControlPlane.StartAsync(dataDirectory);
        await second.EventuallyAsync("widgets", id, w => w["Reconciled"]!.GetValue<bool>());
    }

    [Test]
    public async Task ABacklogFoundAtStart_IsClaimedInBatches_ReconciledOnceEach_AndLeavesNoLease()
    {
        // 150 pending objects fill the channel: each worker takes a share of it and claims those leases together.
        var dataDirectory = TestControlPlane.NewDataDirectory();
        var ids = new List<long>();
        await using (var first = await TestControlPlane.StartAsync(dataDirectory, settings: new Dictionary<string, string?> { ["Threeport:Controllers:Test:Enabled"] = "false" }))
        {
            for (var i = 0; i < 150; i++)
            {
                ids.Add((await first.CreateWidgetAsync())["ID"]!.GetValue<long>());
            }
        }

        await using var second = await TestControlPlane.StartAsync(dataDirectory);
        foreach (var id in ids)
        {
            await second.EventuallyAsync("widgets", id, w => w["Reconciled"]!.GetValue<bool>());
        }

        ids.Select(second.Widgets.CallsFor).Should().AllSatisfy(calls => calls.Should().Be(1));
        (await second.WithDbAsync(db => db.Leases.CountAsync())).Should().Be(0);
        (await second.WithDbAsync(db => db.OutboxMessages.CountAsync())).Should().Be(0);
    }

    [Test]
    public async Task LeftoversOfACrash_PendingRowsAndUnexpiredLeases_AreDeliveredAfterRestart()
    {
        var dataDirectory = TestControlPlane.NewDataDirectory();
        var disabled = new Dictionary<string, string?> { ["Threeport:Controllers:Test:Enabled"] = "false" };
        List<long> ids;
        await using (var first = await TestControlPlane.StartAsync(dataDirectory, settings: disabled))
        {
            ids = [];
            for (var i = 0; i < 20; i++)
            {
                ids.Add((await first.CreateWidgetAsync())["ID"]!.GetValue<long>());
            }

            // What a process killed mid-reconcile leaves behind: leases that have not expired yet.
            await first.WithDbAsync(async db =>
            {
                var expires = DateTimeOffset.UtcNow.AddMinutes(30).ToUnixTimeMilliseconds();
                db.Leases.AddRange(ids.Take(5).Select(i => new Lease { ObjectType = "Widget", ObjectId = i, Owner = "dead-process", ExpiresAt = expires }));
                return await db.SaveChangesAsync();
            });
        }

        await using var second = await TestControlPlane.StartAsync(dataDirectory);
        foreach (var id in ids)
        {
            await second.EventuallyAsync("widgets", id, w => w["Reconciled"]!.GetValue<bool>());
        }

        (await second.WithDbAsync(db => db.Leases.CountAsync())).Should().Be(0);
        (await second.WithDbAsync(db => db.OutboxMessages.CountAsync())).Should().Be(0);
    }

    [Test]
    public async Task DisabledReconciler_LeavesCreatesInTheOutboxNotInMemory_AndEnablingDeliversThemAll()
    {
        var dataDirectory = TestControlPlane.NewDataDirectory();
        const int creates = 300;
        await using (var first = await TestControlPlane.StartAsync(dataDirectory, settings: new Dictionary<string, string?> { ["Threeport:Controllers:Test:Enabled"] = "false" }))
        {
            await Parallel.ForAsync(0, creates, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (_, _) => await first.CreateWidgetAsync());

            first.Services.GetRequiredService<NotificationChannels>().TryGet("Widget", out _).Should().BeFalse("a disabled reconciler has no channel");
            first.Services.GetRequiredService<NotificationDispatcher>().InFlightCount.Should().Be(0, "nothing is held in memory for it");
            (await first.WithDbAsync(db => db.OutboxMessages.CountAsync())).Should().Be(creates);
            var ready = await ApiResponse.ReadAsync(await first.Client.GetAsync("/readyz"));
            ready.Envelope["Controllers"]!["Test"]!["Enabled"]!.GetValue<bool>().Should().BeFalse();
        }

        await using var second = await TestControlPlane.StartAsync(dataDirectory);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        long pending;
        do
        {
            pending = (await ApiResponse.ReadAsync(await second.Client.GetAsync("/v0/widgets?reconciled=false&size=1"))).Envelope["Meta"]!["TotalCount"]!.GetValue<long>();
            await Task.Delay(50);
        }
        while (pending > 0 && DateTime.UtcNow < deadline);

        pending.Should().Be(0);
        second.Widgets.Calls.Count.Should().Be(creates);
        (await second.WithDbAsync(db => db.OutboxMessages.CountAsync())).Should().Be(0);
    }
}
