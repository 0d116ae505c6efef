using System.Diagnostics;
using System.Net.Http.Json;
using FluentAssertions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Threeport.Modules.Platform.Outbox;
using Threeport.Modules.Platform.Persistence;

namespace Threeport.Tests.Support;

// API writes that commit as one group: the test holds the write gate until every write has queued behind the first
// one (the leader), then lets them go. `beforeRelease` runs while they all wait (to arm a fault, say).
public static class WritesBehindTheGate
{
    // Widget creates, one per name.
    public static Task<HttpResponseMessage[]> CreateAsync(IServiceProvider services, HttpClient client, IReadOnlyList<string> names, Action? beforeRelease = null) =>
        SendAsync(services, names.Count, i => client.PostAsJsonAsync("/v0/widgets", new { Name = names[i], Color = "red" }), beforeRelease);

    public static async Task<HttpResponseMessage[]> SendAsync(IServiceProvider services, int count, Func<int, Task<HttpResponseMessage>> send, Action? beforeRelease = null)
    {
        var writer = services.GetRequiredService<OutboxWriter>();
        await using var holder = await services.GetRequiredService<IDbContextFactory<ThreeportDb>>().CreateDbContextAsync();
        List<Task<HttpResponseMessage>> writes;
        using (await services.GetRequiredService<SqliteWriteGate>().EnterAsync(holder, CancellationToken.None))
        {
            writes = Enumerable.Range(0, count).Select(send).ToList();
            for (var wait = Stopwatch.StartNew(); writer.QueuedSaves < count && wait.Elapsed < TimeSpan.FromSeconds(30);)
            {
                await Task.Delay(20);
            }

            writer.QueuedSaves.Should().Be(count, "every write queues while the gate is held");
            beforeRelease?.Invoke();
        }

        return await Task.WhenAll(writes).WaitAsync(TimeSpan.FromSeconds(30));
    }
}
