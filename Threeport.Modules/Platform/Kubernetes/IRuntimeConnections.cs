namespace Threeport.Modules.Platform.Kubernetes;

// How one module reaches the clusters another module records: the KubernetesRuntimes module implements it,
// the Workloads module uses it, and neither sees the other's types.
public interface IRuntimeConnections
{
    // The API of runtime instance `runtimeInstanceId`, built once and reused until the instance changes.
    Task<ClusterApi> GetAsync(long runtimeInstanceId, CancellationToken ct);

    // The runtime used when an object names none (DefaultRuntime=true), or null when there is none.
    Task<long?> DefaultRuntimeIdAsync(CancellationToken ct);

    // IDs of the runtime instances that exist (for watchers).
    Task<IReadOnlyList<long>> RuntimeIdsAsync(CancellationToken ct);
}
