using Threeport.Modules.KubernetesRuntimes.Model;
using Threeport.Modules.Platform.Reconciliation;

namespace Threeport.Modules.KubernetesRuntimes.Reconcilers;

// kind definitions describe clusters that already exist: there is nothing to provision.
internal sealed class KubernetesRuntimeDefinitionReconciler : IReconciler<KubernetesRuntimeDefinition>
{
    public Task<ReconcileResult> ReconcileAsync(KubernetesRuntimeDefinition obj, CancellationToken ct) => Task.FromResult(ReconcileResult.Done);
}
