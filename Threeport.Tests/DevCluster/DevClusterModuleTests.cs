using k8s;
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
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
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

public sealed class DevClusterTlsTests
{
    [Test]
    public async Task UseTls_ServesHttps_TrustedThroughTheKubeconfig()
    {
        var dir = Path.Combine(Path.GetTempPath(), "tpt-devcluster-" + Guid.NewGuid().ToString("N")[..8]);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var server = await DevClusterServer.StartAsync(new DevClusterOptions { UseTls = true, DataDirectory = dir },
            Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, TimeProvider.System, cts.Token);
        server.BaseAddress.Scheme.Should().Be("https");
        server.KubeconfigYaml.Should().Contain("certificate-authority-data:");
        var config = k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile(server.WriteKubeconfig(Path.Combine(dir, "kubeconfig")));
        using var client = new k8s.Kubernetes(config);
        (await client.CoreV1.ListNamespaceAsync(cancellationToken: cts.Token)).Items.Should().Contain(n => n.Metadata.Name == "kube-system");
        Directory.Delete(dir, true);
    }
}
