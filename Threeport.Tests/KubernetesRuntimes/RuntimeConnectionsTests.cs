using FluentAssertions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;
using Threeport.Modules.KubernetesRuntimes;
using Threeport.Modules.KubernetesRuntimes.Model;
using Threeport.Tests.Support;

namespace Threeport.Tests.KubernetesRuntimes;

// Runtime rows are kept between calls; whatever commits a change to them (EF, ExecuteUpdate, plain SQL) must be
// seen by the next call, or a workload would go to a runtime that is no longer the default, or keep a stale client.
public sealed class RuntimeConnectionsTests
{
    [Test]
    public async Task EveryCommittedChangeToARuntime_IsSeenByTheNextCall()
    {
        await using var cp = await TestControlPlane.StartAsync(withWidgets: false, devCluster: true);
        var runtimes = cp.Services.GetRequiredService<RuntimeConnections>();
        var id = (await runtimes.DefaultRuntimeIdAsync(CancellationToken.None))!.Value;
        var api = await runtimes.GetAsync(id, CancellationToken.None);
        (await runtimes.GetAsync(id, CancellationToken.None)).Should().BeSameAs(api, "nothing changed");

        await cp.WithDbAsync(db => db.Set<KubernetesRuntimeInstance>().Where(i => i.ID == id).ExecuteUpdateAsync(set => set.SetProperty(i => i.DefaultRuntime, false)));
        (await runtimes.DefaultRuntimeIdAsync(CancellationToken.None)).Should().BeNull();

        await cp.WithDbAsync(db => db.Database.ExecuteSqlAsync($"UPDATE KubernetesRuntimeInstance SET DefaultRuntime = 1, Generation = Generation + 1 WHERE ID = {id}"));
        (await runtimes.DefaultRuntimeIdAsync(CancellationToken.None)).Should().Be(id);
        (await runtimes.GetAsync(id, CancellationToken.None)).Should().NotBeSameAs(api, "a new generation gets a new client");

        var second = await cp.WithDbAsync(async db =>
        {
            var copy = await db.Set<KubernetesRuntimeInstance>().AsNoTracking().SingleAsync(i => i.ID == id);
            copy.ID = 0;
            copy.Name = TestControlPlane.Unique("second");
            db.Add(copy);
            await db.SaveChangesAsync();
            return copy.ID;
        });
        (await runtimes.RuntimeIdsAsync(CancellationToken.None)).Should().BeEquivalentTo([id, second]);
        (await runtimes.DefaultRuntimeIdAsync(CancellationToken.None)).Should().Be(second, "the newest default wins");

        await cp.WithDbAsync(db => db.Set<KubernetesRuntimeInstance>().Where(i => i.ID == second).ExecuteDeleteAsync());
        await FluentActions.Awaiting(() => runtimes.GetAsync(second, CancellationToken.None))
            .Should().ThrowAsync<InvalidOperationException>().WithMessage($"*{second} does not exist*");
        (await runtimes.RuntimeIdsAsync(CancellationToken.None)).Should().Equal(id);
    }
}
