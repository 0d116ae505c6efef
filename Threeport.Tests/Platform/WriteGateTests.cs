using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Threeport.Modules.Platform.Persistence;
using Threeport.Tests.Support;

namespace Threeport.Tests.Platform;

// Every write of the process queues on one gate, so writers wait in order instead of in SQLite's busy handler.
public sealed class WriteGateTests
{
    [Test]
    public async Task AContextThatHoldsTheGate_EntersAgain_WhileAnotherContextWaitsForIt()
    {
        await using var cp = await TestControlPlane.StartAsync();
        var gate = cp.Services.GetRequiredService<SqliteWriteGate>();
        var factory = cp.Services.GetRequiredService<IDbContextFactory<ThreeportDb>>();
        await using var first = await factory.CreateDbContextAsync();
        await using var second = await factory.CreateDbContextAsync();

        var outer = await gate.EnterAsync(first, CancellationToken.None);
        var inner = gate.EnterAsync(first, CancellationToken.None);
        inner.IsCompleted.Should().BeTrue("the context already holds the gate");
        var waiting = gate.EnterAsync(second, CancellationToken.None).AsTask();

        (await inner).Dispose();
        await Task.Delay(100);
        waiting.IsCompleted.Should().BeFalse("leaving a nested entry does not release the gate");

        outer.Dispose();
        (await waiting.WaitAsync(TimeSpan.FromSeconds(10))).Dispose();
    }

    [Test]
    public async Task AnApiCreate_WaitsForTheGate_AndIsStoredOnceItIsFree()
    {
        await using var cp = await TestControlPlane.StartAsync();
        var gate = cp.Services.GetRequiredService<SqliteWriteGate>();
        await using var holder = await cp.Services.GetRequiredService<IDbContextFactory<ThreeportDb>>().CreateDbContextAsync();

        // A first create warms the path up, so the second one would finish in milliseconds if it did not queue.
        await cp.CreateWidgetAsync();
        var held = await gate.EnterAsync(holder, CancellationToken.None);
        var create = cp.Client.PostAsJsonAsync("/v0/widgets", new { Name = TestControlPlane.Unique("queued"), Color = "red" });
        await Task.WhenAny(create, Task.Delay(TimeSpan.FromSeconds(2)));
        create.IsCompleted.Should().BeFalse("the create queues behind the writer that holds the gate");

        held.Dispose();
        (await create.WaitAsync(TimeSpan.FromSeconds(30))).StatusCode.Should().Be(HttpStatusCode.Created);
    }
}
