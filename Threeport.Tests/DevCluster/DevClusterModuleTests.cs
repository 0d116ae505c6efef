using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Threeport.Modules.DevCluster;

namespace Threeport.Tests.DevCluster;

public sealed class DevClusterModuleTests
{
    [Test]
    public async Task AddDevCluster_StartsServer_WritesKubeconfig_AndStopsWithHost()
    {
        var dir = Path.Combine(Path.GetTempPath(), "tpt-devcluster-" + Guid.NewGuid().ToString("N")[..8]);
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DevCluster:DataDirectory"] = dir,
            ["DevCluster:ReadinessDelay"] = "00:00:00.100",
        });
        builder.Services.AddDevCluster(builder.Configuration);
        using var host = builder.Build();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await host.StartAsync(cts.Token);

        var server = await host.Services.GetRequiredService<DevClusterHandle>().WhenStartedAsync(cts.Token);
        var kubeconfig = Path.Combine(dir, "dev-cluster.kubeconfig");
        File.ReadAllText(kubeconfig).Should().Contain(server.BaseAddress.ToString().TrimEnd('/')).And.Contain("current-context: threeport-dev");
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        (await http.GetStringAsync("/version", cts.Token)).Should().Contain("\"gitVersion\":\"v1.31");

        await host.StopAsync(cts.Token);
        var afterStop = async () => await http.GetStringAsync("/version", cts.Token);
        await afterStop.Should().ThrowAsync<HttpRequestException>();
        Directory.Delete(dir, true);
    }
}
