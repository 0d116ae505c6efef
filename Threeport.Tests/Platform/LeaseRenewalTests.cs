using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;
using Threeport.Modules.Platform.Reconciliation;
using Threeport.Tests.Support;

namespace Threeport.Tests.Platform;

public sealed class LeaseRenewalTests
{
    [Test]
    public async Task ALongReconcile_RenewsItsLease_AndIsCancelledOnceTheLeaseIsLost()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var cp = await TestControlPlane.StartAsync(time: time);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cp.Widgets.Script = async (_, ct) =>
        {
            if (started.TrySetResult())
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                catch (OperationCanceledException)
                {
                    cancelled.TrySetResult();
                    throw;
                }
            }

            return ReconcileResult.Done;
        };
        var id = (await cp.CreateWidgetAsync())["ID"]!.GetValue<long>();
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var firstExpiry = await LeaseExpiryAsync(cp, id);

        // The lease lasts a minute and is renewed every third of it while the reconcile runs.
        time.Advance(TimeSpan.FromSeconds(21));
        await EventuallyAsync(async () => await LeaseExpiryAsync(cp, id) > firstExpiry, "the lease was never renewed");
        cancelled.Task.IsCompleted.Should().BeFalse();

        // Another owner takes the lease over: the next renewal finds it lost and stops the work.
        await cp.WithDbAsync(db => db.Leases.ExecuteUpdateAsync(set => set.SetProperty(l => l.Owner, "other-process")));
        time.Advance(TimeSpan.FromSeconds(21));
        await cancelled.Task.WaitAsync(TimeSpan.FromSeconds(30));
        (await cp.WithDbAsync(db => db.Leases.Select(l => l.Owner).ToListAsync())).Should().Equal(["other-process"], "a lost lease is not released by its former holder");
    }

    private static Task<long> LeaseExpiryAsync(TestControlPlane cp, long id) =>
        cp.WithDbAsync(db => db.Leases.Where(l => l.ObjectType == "Widget" && l.ObjectId == id).Select(l => l.ExpiresAt).SingleAsync());

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string because)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(30); DateTime.UtcNow < deadline; await Task.Delay(20))
        {
            if (await condition())
            {
                return;
            }
        }

        Assert.Fail(because);
    }
}
