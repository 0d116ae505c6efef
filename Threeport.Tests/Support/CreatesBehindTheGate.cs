using System.Diagnostics;
using System.Net.Http.Json;
using FluentAssertions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Threeport.Modules.Platform.Outbox;
using Threeport.Modules.Platform.Persistence;

namespace Threeport.Tests.Support;

// Widget creates that commit as one group: the test holds the write gate until every create has queued behind the
// first one (the leader), then lets them go. `beforeRelease` runs while they all wait (to arm a fault, say).
public static class CreatesBehindTheGate
{
    public static async Task<HttpResponseMessage[]> SendAsync(IServiceProvider services, HttpClient client, IReadOnlyList<string> names, Action? beforeRelease = null)
    {
        var writer = services.GetRequiredService<OutboxWriter>();
        await using var holder = await services.GetRequiredService<IDbContextFactory<ThreeportDb>>().CreateDbContextAsync();
        List<Task<HttpResponseMessage>> creates;
        using (await services.GetRequiredService<SqliteWriteGate>().EnterAsync(holder, CancellationToken.None))
        {
            creates = names.Select(name => client.PostAsJsonAsync("/v0/widgets", new { Name = name, Color = "red" })).ToList();
            for (var wait = Stopwatch.StartNew(); writer.QueuedSaves < names.Count && wait.Elapsed < TimeSpan.FromSeconds(30);)
            {
                await Task.Delay(20);
            }

            writer.QueuedSaves.Should().Be(names.Count, "every create queues while the gate is held");
            beforeRelease?.Invoke();
        }

        return await Task.WhenAll(creates).WaitAsync(TimeSpan.FromSeconds(30));
    }
}
