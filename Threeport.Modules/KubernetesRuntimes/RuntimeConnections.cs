using System.Collections.Concurrent;
using System.Text;
using k8s;
using Microsoft.EntityFrameworkCore;
using Threeport.Modules.KubernetesRuntimes.Model;
using Threeport.Modules.Platform.Kubernetes;
using Threeport.Modules.Platform.Persistence;

namespace Threeport.Modules.KubernetesRuntimes;

// One KubernetesClient (and so one HTTP connection pool) per runtime instance, built on first use and
// rebuilt only when the instance or its kubeconfig file changes.
internal sealed class RuntimeConnections(IDbContextFactory<ThreeportDb> dbFactory, TimeProvider time) : IRuntimeConnections, IDisposable
{
    private readonly ConcurrentDictionary<long, Connection> connections = new();

    public async Task<ClusterApi> GetAsync(long runtimeInstanceId, CancellationToken ct)
    {
        KubernetesRuntimeInstance? instance;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            instance = await db.Set<KubernetesRuntimeInstance>().AsNoTracking().FirstOrDefaultAsync(i => i.ID == runtimeInstanceId, ct);
        }

        if (instance is null)
        {
            throw new InvalidOperationException($"KubernetesRuntimeInstance {runtimeInstanceId} does not exist");
        }

        var version = Version(instance);
        if (connections.TryGetValue(runtimeInstanceId, out var current) && current.Version == version)
        {
            return current.Api;
        }

        var client = new k8s.Kubernetes(BuildConfiguration(instance), new TransientFaultHandler(time));
        var created = new Connection(version, new ClusterApi(client));
        connections.AddOrUpdate(runtimeInstanceId, created, (_, _) => created);
        if (current is not null)
        {
            current.Api.Client.Dispose();
        }

        return created.Api;
    }

    public async Task<long?> DefaultRuntimeIdAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Set<KubernetesRuntimeInstance>().AsNoTracking()
            .Where(i => i.DefaultRuntime && i.DeletionScheduled == null)
            .OrderByDescending(i => i.ID)
            .Select(i => (long?)i.ID)
            .FirstOrDefaultAsync(ct);
    }

    public async Task<IReadOnlyList<long>> RuntimeIdsAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Set<KubernetesRuntimeInstance>().AsNoTracking().Select(i => i.ID).ToListAsync(ct);
    }

    public void Forget(long runtimeInstanceId)
    {
        if (connections.TryRemove(runtimeInstanceId, out var connection))
        {
            connection.Api.Client.Dispose();
        }
    }

    public void Dispose()
    {
        foreach (var connection in connections.Values)
        {
            connection.Api.Client.Dispose();
        }
    }

    internal static KubernetesClientConfiguration BuildConfiguration(KubernetesRuntimeInstance instance)
    {
        if (instance.Kubeconfig is { } inline)
        {
            using var stream = new MemoryStream(Encoding.UTF8.GetBytes(inline));
            return KubernetesClientConfiguration.BuildConfigFromConfigFile(stream, instance.KubeconfigContext);
        }

        return KubernetesClientConfiguration.BuildConfigFromConfigFile(instance.KubeconfigPath, instance.KubeconfigContext);
    }

    // What a connection was built from: the instance's generation and its kubeconfig file's last write.
    private static string Version(KubernetesRuntimeInstance instance) =>
        $"{instance.Generation}/{(instance.KubeconfigPath is { } path && File.Exists(path) ? File.GetLastWriteTimeUtc(path).Ticks : 0)}";

    private sealed record Connection(string Version, ClusterApi Api);
}
