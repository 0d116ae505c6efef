using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;
using Threeport.Modules.Platform.Leases;
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
