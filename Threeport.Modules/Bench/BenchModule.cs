using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Threeport.Modules.Platform;
using Threeport.Modules.Platform.Objects;

namespace Threeport.Modules.Bench;

// The benchmark's side of `tptctl bench`: a no-op reconciled type and the /bench routes that read measurements
// back. Registered only when Threeport:Bench:Enabled is true, which only `tptctl bench` sets on its own child.
public static class BenchModule
{
    public const string Controller = "Bench";

    public static IServiceCollection AddBench(this IServiceCollection services, IConfiguration configuration)
    {
        var settings = configuration.GetSection(BenchSettings.Section).Get<BenchSettings>() ?? new BenchSettings();
        if (!settings.Enabled)
        {
            return services;
        }

        services.AddSingleton<BenchRecorder>();
        services.AddSingleton<BareResponses>();
        services.AddObjectType<BenchObject>(Controller).ReconciledBy<BenchReconciler>();
        return services;
    }

    public static IEndpointRouteBuilder MapBench(this IEndpointRouteBuilder app)
    {
        // Resolved now so the recorder hears every commit from the first request on.
        if (app.ServiceProvider.GetService<BenchRecorder>() is null)
        {
            return app;
        }

        app.MapObjectApi<BenchObject>();
        BenchEndpoints.Map(app);
        return app;
    }
}
