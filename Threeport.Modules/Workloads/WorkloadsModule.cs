using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Threeport.Modules.Platform;
using Threeport.Modules.Platform.Objects;
using Threeport.Modules.Workloads.Api;
using Threeport.Modules.Workloads.Model;
using Threeport.Modules.Workloads.Reconcilers;
using Threeport.Modules.Workloads.Watch;

namespace Threeport.Modules.Workloads;

// The Workload controller: definitions split into resources, instances applied to runtimes and watched.
public static class WorkloadsModule
{
    public const string Controller = "Workload";

    public static IServiceCollection AddWorkloads(this IServiceCollection services)
    {
        services.AddSingleton<WorkloadEventWriter>();
        services.AddObjectType<WorkloadDefinition>(Controller)
            .ValidatedBy<WorkloadDefinitionValidator>()
            .ReconciledBy<WorkloadDefinitionReconciler>()
            .RefuseDeleteWhileReferencedBy<WorkloadInstance>(i => i.WorkloadDefinitionID, "workload definition has related workload instances - cannot be deleted");
        services.AddObjectType<WorkloadResourceDefinition>(Controller);
        services.AddObjectType<WorkloadInstance>(Controller)
            .ValidatedBy<WorkloadInstanceValidator>()
            .ReconciledBy<WorkloadInstanceReconciler>();
        services.AddObjectType<WorkloadResourceInstance>(Controller);
        services.AddObjectType<WorkloadEvent>(Controller);
        services.AddDeleteGuard("KubernetesRuntimeInstance", async (db, id, ct) =>
            await db.Set<WorkloadInstance>().AnyAsync(i => i.KubernetesRuntimeInstanceID == id, ct)
                ? "kubernetes runtime instance has workload instances - delete them first"
                : null);
        services.AddSingleton<RuntimeWatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<RuntimeWatcher>());
        return services;
    }

    public static IEndpointRouteBuilder MapWorkloads(this IEndpointRouteBuilder app)
    {
        app.MapObjectApi<WorkloadDefinition>();
        app.MapObjectApi<WorkloadResourceDefinition>();
        app.MapObjectApi<WorkloadInstance>();
        app.MapObjectApi<WorkloadResourceInstance>();
        app.MapObjectApi<WorkloadEvent>();
        return app;
    }
}
