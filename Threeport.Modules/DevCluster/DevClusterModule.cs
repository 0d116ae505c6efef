using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Threeport.Modules.DevCluster.Hosting;

namespace Threeport.Modules.DevCluster;

public static class DevClusterModule
{
    // For `tptctl up`: the dev cluster runs as a hosted service with options from "DevCluster".
    public static IServiceCollection AddDevCluster(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<DevClusterOptions>(configuration.GetSection("DevCluster"));
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<DevClusterHandle>();
        services.AddHostedService<DevClusterHostedService>();
        return services;
    }
}
