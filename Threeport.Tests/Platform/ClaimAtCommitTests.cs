using System.Data.Common;
using System.Net.Http.Json;
using FluentAssertions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;
using Threeport.Modules.Platform.Leases;
using Threeport.Modules.Platform.Objects;
using Threeport.Modules.Platform.Persistence;
using Threeport.Modules.Platform.Reconciliation;
using Threeport.Tests.Hardening;
using Threeport.Tests.Support;
using Threeport.Tests.Workloads;

namespace Threeport.Tests.Platform;

// Decision 0008: an API write claims the lease of the object it notifies in its own transaction, and hands the
// reconciler the object as committed, so nothing is read or written between a user's change and its reconciler.
public sealed class ClaimAtCommitTests
{
    [Test]
    public async Task AUsersCreate_IsReconciledFromTheCommittedCopy_WithoutLoadingTheObject()
    {
        var loads = new WidgetLoadsById();
        await using var cp = await HardenedControlPlane.StartAsync(interceptors: [loads]);
        var widgets = cp.Services.GetRequiredService<WidgetBehavior>();

        var created = await ApiResponse.ReadAsync(await cp.Client.PostAsJsonAsync("/v0/widgets", new { Name = TestControlPlane.Unique("w"), Color = "blue" }));
        var id = created.Single["ID"]!.GetValue<long>();
        // Settled: the reconcile deleted the outbox row and released the lease (counted without reading the widget).
        await WordPressSampleTests.EventuallyAsync(
            async () => await cp.WithDbAsync(db => db.OutboxMessages.CountAsync()) == 0 && await cp.WithDbAsync(db => db.Leases.CountAsync()) == 0, "the widget reconciled");

        widgets.Seen.Should().ContainSingle().Which.Should().Be((id, 1L, "blue"));
        loads.Count.Should().Be(0, "the reconcile starts from the object its commit stored, not from a load");
        var stored = await cp.WithDbAsync(db => db.Set<Widget>().AsNoTracking().SingleAsync(w => w.ID == id));
        (stored.Reconciled, stored.AppliedColor, stored.CreationConfirmed is not null).Should().Be((true, "blue", true));
    }

    [Test]
    public async Task AClaimAtCommit_IsTakenUpOnce_AndNeverAfterTheLeaseWasClaimedOrReleasedSinceOrGrewOld()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var cp = await TestControlPlane.StartAsync(withWidgets: false, time: time);
        var leases = cp.Services.GetRequiredService<LeaseStore>();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await cp.WithDbAsync(async db =>
        {
            db.Leases.AddRange(
                new Lease { ObjectType = "Probe", ObjectId = 5, Owner = "other-process", ExpiresAt = now + 60_000 },
                new Lease { ObjectType = "Probe", ObjectId = 6, Owner = "other-process", ExpiresAt = now - 1 });
            return await db.SaveChangesAsync();
        });
        var keys = Enumerable.Range(0, 7).Select(i => new ObjectKey("Probe", i)).ToArray();

        var claimed = await cp.WithDbAsync(async db =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            await using var statements = new PlainStatements(db);
            var taken = new List<bool>();
            foreach (var key in keys)
            {
                taken.Add(await leases.TryClaimAtCommitAsync(statements, key, CancellationToken.None));
            }

            await transaction.CommitAsync();
            return taken;
        });
        claimed.Should().Equal(true, true, true, true, true, false, true);
        (await cp.WithDbAsync(db => db.Leases.SingleAsync(l => l.ObjectId == 5))).Owner.Should().Be("other-process", "a live lease is never taken at commit");

        await cp.WithDbAsync(async db =>
        {
            await leases.ReleaseAsync(db, keys[1], CancellationToken.None);
            await leases.TryClaimAsync(db, keys[2], CancellationToken.None);
            await leases.ReleaseAsync(db, [keys[3], keys[6]], CancellationToken.None);
            return 0;
        });

        leases.TryTakeClaimAtCommit(keys[0]).Should().BeTrue("nothing touched its lease since the commit");
        leases.TryTakeClaimAtCommit(keys[0]).Should().BeFalse("a claim is taken up once");
        leases.TryTakeClaimAtCommit(keys[1]).Should().BeFalse("its lease was released since");
        leases.TryTakeClaimAtCommit(keys[2]).Should().BeFalse("a worker claimed its lease since");
        leases.TryTakeClaimAtCommit(keys[3]).Should().BeFalse("its lease was released in a batch since");
        leases.TryTakeClaimAtCommit(keys[5]).Should().BeFalse("its commit did not get the lease");
        time.Advance(leases.Duration / 3);
        leases.TryTakeClaimAtCommit(keys[4]).Should().BeFalse("two thirds of the lease must be left for the first renewal");
    }

    [Test]
    public async Task AnObjectWhoseReconcilerIsDisabled_GetsNoLeaseFromItsCommit()
    {
        await using var cp = await TestControlPlane.StartAsync(settings: new Dictionary<string, string?> { ["Threeport:Controllers:Test:Enabled"] = "false" });

        await cp.CreateWidgetAsync();

        (await cp.WithDbAsync(db => db.OutboxMessages.CountAsync())).Should().Be(1, "the notification waits in the outbox");
        (await cp.WithDbAsync(db => db.Leases.CountAsync())).Should().Be(0, "no reconciler here would ever release it");
    }

    [Test]
    public async Task Shutdown_ReleasesTheLeasesOfNotificationsNoWorkerTookUp()
    {
        var dataDirectory = TestControlPlane.NewDataDirectory();
        var cp = await TestControlPlane.StartAsync(dataDirectory, settings: new Dictionary<string, string?> { ["Threeport:Controllers:Test:Workers"] = "1" });
        long busyId;
        try
        {
            var busy = new TaskCompletionSource();
            cp.Widgets.Script = async (widget, ct) =>
            {
                busy.TrySetResult();
                await Task.Delay(Timeout.Infinite, ct);
                return ReconcileResult.Done;
            };
            busyId = (await cp.CreateWidgetAsync())["ID"]!.GetValue<long>();
            await busy.Task.WaitAsync(TimeSpan.FromSeconds(30));
            // The only worker is busy: this one's notification waits in the channel under the lease its commit claimed.
            var waitingId = (await cp.CreateWidgetAsync())["ID"]!.GetValue<long>();
            (await cp.WithDbAsync(db => db.Leases.Select(l => l.ObjectId).OrderBy(i => i).ToListAsync())).Should().Equal(busyId, waitingId);
        }
        finally
        {
            await cp.DisposeAsync();
        }

        (await TestControlPlane.QueryStoppedAsync(dataDirectory, db => db.Leases.CountAsync())).Should().Be(0);
        (await TestControlPlane.QueryStoppedAsync(dataDirectory, db => db.OutboxMessages.CountAsync())).Should().Be(2, "both notifications wait for the next start");
        Directory.Delete(dataDirectory, recursive: true);
    }

    // Reads of one widget by its ID: what a reconcile's load of the object runs.
    private sealed class WidgetLoadsById : DbCommandInterceptor
    {
        private int count;

        public int Count => Volatile.Read(ref count);

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
            DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            if (command.CommandText.Contains("FROM \"Widget\"", StringComparison.Ordinal) && command.CommandText.Contains("\"ID\" = ", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref count);
            }

            return base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
        }
    }
}
