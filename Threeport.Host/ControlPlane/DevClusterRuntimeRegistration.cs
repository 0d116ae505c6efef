using Microsoft.EntityFrameworkCore;
using Threeport.Modules.DevCluster;
using Threeport.Modules.KubernetesRuntimes.Model;
using Threeport.Modules.Platform.Objects;
using Threeport.Modules.Platform.Outbox;
using Threeport.Modules.Platform.Persistence;

namespace Threeport.Host.ControlPlane;

// Registers the embedded dev cluster as the default runtime (Threeport names its genesis runtime
// threeport-<name>-0), or points the existing registration at this start's kubeconfig. Either way the
// runtime's reconciler checks it again, so its recorded address and version are current.
internal sealed class DevClusterRuntimeRegistration(
    UpOptions options,
    DevClusterHandle devCluster,
    IDbContextFactory<ThreeportDb> dbFactory,
    OutboxWriter outbox,
    ObjectTypeRegistry registry,
    TimeProvider time,
    ILogger<DevClusterRuntimeRegistration> log) : IHostedService
{
    public static string KubeconfigPath(UpOptions options) => Path.Combine(options.ResolveDataDirectory(), "dev-cluster.kubeconfig");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await devCluster.WhenStartedAsync(cancellationToken);
        var kubeconfig = KubeconfigPath(options);
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var definitionName = $"threeport-{options.Name}";
        var definition = await db.Set<KubernetesRuntimeDefinition>().FirstOrDefaultAsync(d => d.Name == definitionName, cancellationToken);
        var changes = new List<(ObjectType, ReconciledObject, Operation)>();
        if (definition is null)
        {
            definition = new KubernetesRuntimeDefinition { Name = definitionName, InfraProvider = KubernetesRuntimeDefinition.KindProvider, CreatedAt = now, UpdatedAt = now, Generation = 1 };
            db.Add(definition);
            await db.SaveChangesAsync(cancellationToken);
            changes.Add((registry.Get<KubernetesRuntimeDefinition>(), definition, Operation.Created));
        }

        var instanceName = $"{definitionName}-0";
        var instance = await db.Set<KubernetesRuntimeInstance>().FirstOrDefaultAsync(i => i.Name == instanceName, cancellationToken);
        if (instance is null)
        {
            instance = new KubernetesRuntimeInstance
            {
                Name = instanceName,
                KubernetesRuntimeDefinitionID = definition.ID,
                Location = "Local",
                DefaultRuntime = true,
                ThreeportControlPlaneHost = true,
                KubeconfigPath = kubeconfig,
                CreatedAt = now,
                UpdatedAt = now,
                Generation = 1,
            };
            db.Add(instance);
            changes.Add((registry.Get<KubernetesRuntimeInstance>(), instance, Operation.Created));
        }
        else
        {
            instance.KubeconfigPath = kubeconfig;
            instance.Kubeconfig = null;
            instance.Reconciled = false;
            instance.Generation++;
            instance.UpdatedAt = now;
            changes.Add((registry.Get<KubernetesRuntimeInstance>(), instance, Operation.Updated));
        }

        await outbox.SaveAsync(db, changes, cancellationToken);
        log.LogInformation("Registered the dev cluster as KubernetesRuntimeInstance {Name}", instanceName);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
