using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Threeport.Modules.Platform.Leases;
using Threeport.Modules.Platform.Objects;
using Threeport.Modules.Platform.Outbox;
using Threeport.Tests.Support;

namespace Threeport.Tests.Platform;

public sealed class LeaseContentionTests
{
    [Test]
    public async Task LockedObject_IsRequeuedWithGrowingBackoff_AndTakenOverWhenTheLeaseExpires()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var cp = await TestControlPlane.StartAsync(time: time);
        // The first widget of a fresh database gets ID 1: another owner holds its lease for an hour.
        await cp.WithDbAsync(async db =>
        {
            db.Leases.Add(new Lease { ObjectType = "Widget", ObjectId = 1, Owner = "other-process", ExpiresAt = time.GetUtcNow().AddHours(1).ToUnixTimeMilliseconds() });
            return await db.SaveChangesAsync();
        });
        var id = (await cp.CreateWidgetAsync())["ID"]!.GetValue<long>();
        id.Should().Be(1);

        // Attempt n waits 2^(n-1) s, within ±20 % jitter and never under 1 s.
        (double Min, double Max)[] expected = [(1000, 1200), (1600, 2400), (3200, 4800)];
        for (var attempt = 1; attempt <= expected.Length; attempt++)
        {
            var row = await WaitForAttemptAsync(cp, attempt);
            var wait = row.AvailableAt - time.GetUtcNow().ToUnixTimeMilliseconds();
            wait.Should().BeInRange((long)expected[attempt - 1].Min, (long)expected[attempt - 1].Max, $"attempt {attempt}");
            cp.Widgets.CallsFor(id).Should().Be(0, "a locked object is never reconciled");
            time.Advance(TimeSpan.FromMilliseconds(wait));
        }

        time.Advance(TimeSpan.FromHours(1));
        await cp.EventuallyAsync("widgets", id, w => w["Reconciled"]!.GetValue<bool>());
        cp.Widgets.CallsFor(id).Should().Be(1);
        (await cp.WithDbAsync(db => db.Leases.CountAsync())).Should().Be(0);
    }

    [Test]
    public async Task ABatchClaim_TakesFreeExpiredAndOwnLeases_WithTheirOutboxRows_LeavesLiveOnesOfOthers_AndReleasesOnlyItsOwn()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var cp = await TestControlPlane.StartAsync(time: time);
        var leases = cp.Services.GetRequiredService<LeaseStore>();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await cp.WithDbAsync(async db =>
        {
            db.Leases.AddRange(
                new Lease { ObjectType = "Probe", ObjectId = 1, Owner = "other-process", ExpiresAt = now + 60_000 },
                new Lease { ObjectType = "Probe", ObjectId = 2, Owner = "other-process", ExpiresAt = now - 1 },
                new Lease { ObjectType = "Probe", ObjectId = 3, Owner = leases.Owner, ExpiresAt = now + 60_000 });
            db.OutboxMessages.Add(new OutboxMessage { ObjectType = "Probe", ObjectId = 2, Operation = "Updated", CreatedAt = now, AvailableAt = now, Attempt = 1, Sequence = 3 });
            return await db.SaveChangesAsync();
        });
        ObjectKey[] keys = [new("Probe", 1), new("Probe", 2), new("Probe", 3), new("Probe", 4), new("Other", 4)];

        var claimed = await cp.WithDbAsync(db => leases.TryClaimAsync(db, keys, CancellationToken.None));

        claimed.Keys.Should().BeEquivalentTo(keys[1..]);
        claimed.Should().Contain(keys[1], new PendingRow(3, 1, "Updated"), "a claim reads the object's outbox row with it");
        keys[2..].Should().AllSatisfy(key => claimed[key].Should().BeNull("these objects have no outbox row"));
        var stored = await cp.WithDbAsync(db => db.Leases.OrderBy(l => l.ObjectType).ThenBy(l => l.ObjectId).ToListAsync());
        stored.Select(l => (l.ObjectType, l.ObjectId, l.Owner, l.ExpiresAt)).Should().Equal(
            ("Other", 4L, leases.Owner, now + (long)leases.Duration.TotalMilliseconds),
            ("Probe", 1L, "other-process", now + 60_000),
            ("Probe", 2L, leases.Owner, now + (long)leases.Duration.TotalMilliseconds),
            ("Probe", 3L, leases.Owner, now + (long)leases.Duration.TotalMilliseconds),
            ("Probe", 4L, leases.Owner, now + (long)leases.Duration.TotalMilliseconds));

        await cp.WithDbAsync(async db =>
        {
            await leases.ReleaseAsync(db, keys, CancellationToken.None);
            return 0;
        });
        (await cp.WithDbAsync(db => db.Leases.Select(l => l.ObjectId).ToListAsync())).Should().Equal([1L], "the live lease of another owner is not this process's to release");
    }

    private static async Task<(int Attempt, long AvailableAt)> WaitForAttemptAsync(TestControlPlane cp, int attempt)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        (int Attempt, long AvailableAt) last = default;
        while (DateTime.UtcNow < deadline)
        {
            last = await cp.WithDbAsync(async db => await db.OutboxMessages.Select(m => new ValueTuple<int, long>(m.Attempt, m.AvailableAt)).SingleAsync());
            if (last.Attempt == attempt)
            {
                return last;
            }

            await Task.Delay(10);
        }

        Assert.Fail($"outbox row never reached attempt {attempt}; last {last}");
        return last;
    }
}
