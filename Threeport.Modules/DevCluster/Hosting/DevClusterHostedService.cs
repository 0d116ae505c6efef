using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Threeport.Modules.DevCluster.Hosting;

// Starts the dev cluster with the host, writes <DataDirectory>/dev-cluster.kubeconfig, stops it on shutdown.
internal sealed class DevClusterHostedService(
    IOptions<DevClusterOptions> options,
    DevClusterHandle handle,
    ILoggerFactory loggerFactory,
    TimeProvider timeProvider) : IHostedService
{
    private DevClusterServer? server;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            var o = options.Value;
            o.DataDirectory ??= Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "threeport");
            server = await DevClusterServer.StartAsync(o, loggerFactory, timeProvider, cancellationToken);
            server.WriteKubeconfig(Path.Combine(o.DataDirectory, "dev-cluster.kubeconfig"));
            handle.SetStarted(server);
        }
        catch (Exception e)
        {
            handle.SetFailed(e);
            throw;
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (server is not null)
        {
            await server.StopAsync(cancellationToken);
        }
    }
}
