using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Threeport.Modules.KubernetesRuntimes.Api;
using Threeport.Modules.KubernetesRuntimes.Model;
using Threeport.Modules.KubernetesRuntimes.Reconcilers;
using Threeport.Modules.Platform;
using Threeport.Modules.Platform.Kubernetes;
using Threeport.Modules.Platform.Objects;

namespace Threeport.Modules.KubernetesRuntimes;

// The KubernetesRuntime controller: the clusters workloads run on, and the clients that reach them.
public static class KubernetesRuntimesModule
{
    public const string Controller = "KubernetesRuntime";

    public static IServiceCollection AddKubernetesRuntimes(this IServiceCollection services)
    {
        services.AddSingleton<RuntimeConnections>();
        services.AddSingleton<IRuntimeConnections>(sp => sp.GetRequiredService<RuntimeConnections>());
        services.AddObjectType<KubernetesRuntimeDefinition>(Controller)
            .ValidatedBy<KubernetesRuntimeDefinitionValidator>()
            .ReconciledBy<KubernetesRuntimeDefinitionReconciler>()
            .RefuseDeleteWhileReferencedBy<KubernetesRuntimeInstance>(i => i.KubernetesRuntimeDefinitionID, "kubernetes runtime definition has related kubernetes runtime instances - delete them first");
        services.AddObjectType<KubernetesRuntimeInstance>(Controller)
            .ValidatedBy<KubernetesRuntimeInstanceValidator>()
            .ReconciledBy<KubernetesRuntimeInstanceReconciler>();
        return services;
    }

    public static IEndpointRouteBuilder MapKubernetesRuntimes(this IEndpointRouteBuilder app)
    {
        app.MapObjectApi<KubernetesRuntimeDefinition>();
        app.MapObjectApi<KubernetesRuntimeInstance>();
        return app;
    }
}
