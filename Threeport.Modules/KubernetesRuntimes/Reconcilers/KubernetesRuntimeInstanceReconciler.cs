using Microsoft.Extensions.Logging;
using Threeport.Modules.KubernetesRuntimes.Model;
using Threeport.Modules.Platform.Reconciliation;

namespace Threeport.Modules.KubernetesRuntimes.Reconcilers;

// Checks that the cluster answers and records its version; an unreachable cluster fails the reconcile, which
// records an Event and retries with backoff until it answers.
internal sealed class KubernetesRuntimeInstanceReconciler(RuntimeConnections connections, TimeProvider time, ILogger<KubernetesRuntimeInstanceReconciler> log)
    : IReconciler<KubernetesRuntimeInstance>
{
    public async Task<ReconcileResult> ReconcileAsync(KubernetesRuntimeInstance obj, CancellationToken ct)
    {
        if (obj.DeletionScheduled is not null)
        {
            connections.Forget(obj.ID);
            return ReconcileResult.Done;
        }

        var api = await connections.GetAsync(obj.ID, ct);
        obj.ServerVersion = await api.ServerVersionAsync(ct);
        obj.APIEndpoint = api.Client.BaseUri.ToString().TrimEnd('/');
        obj.LastReachedAt = time.GetUtcNow();
        log.LogInformation("Reached KubernetesRuntimeInstance {Name} at {Endpoint}, version {Version}", obj.Name, obj.APIEndpoint, obj.ServerVersion);
        return ReconcileResult.Done;
    }
}
