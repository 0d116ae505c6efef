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
internal sealed class RuntimeConnections(IDbContextFactory<ThreeportDb> dbFactory, TableChanges changes, TimeProvider time) : IRuntimeConnections, IDisposable
{
    private readonly ConcurrentDictionary<long, Connection> connections = new();
    private string? table;
    private RuntimeRows? rows;

    public async Task<ClusterApi> GetAsync(long runtimeInstanceId, CancellationToken ct)
    {
        var row = (await RowsAsync(ct)).FirstOrDefault(r => r.ID == runtimeInstanceId)
            ?? throw new InvalidOperationException($"KubernetesRuntimeInstance {runtimeInstanceId} does not exist");
        if (connections.TryGetValue(runtimeInstanceId, out var current) && current.Version == Version(row.Generation, row.KubeconfigPath))
        {
            return current.Api;
        }

        KubernetesRuntimeInstance? instance;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            instance = await db.Set<KubernetesRuntimeInstance>().AsNoTracking().FirstOrDefaultAsync(i => i.ID == runtimeInstanceId, ct);
        }

        if (instance is null)
        {
            throw new InvalidOperationException($"KubernetesRuntimeInstance {runtimeInstanceId} does not exist");
        }

        var client = new k8s.Kubernetes(BuildConfiguration(instance), new TransientFaultHandler(time));
        var created = new Connection(Version(instance.Generation, instance.KubeconfigPath), new ClusterApi(client));
        connections.AddOrUpdate(runtimeInstanceId, created, (_, _) => created);
        if (current is not null)
        {
            current.Api.Client.Dispose();
        }

        return created.Api;
    }

    public async Task<long?> DefaultRuntimeIdAsync(CancellationToken ct) =>
        (await RowsAsync(ct)).Where(r => r.DefaultRuntime && !r.Deleting).Select(r => (long?)r.ID).Max();

    public async Task<IReadOnlyList<long>> RuntimeIdsAsync(CancellationToken ct) =>
        (await RowsAsync(ct)).Select(r => r.ID).ToList();

    // Every workload create and reconcile asks about its runtime, and runtimes rarely change: their rows (what a
    // connection is built from, never the kubeconfig itself) are read again only after a commit changed the table.
    private async Task<IReadOnlyList<RuntimeRow>> RowsAsync(CancellationToken ct)
    {
        var stamp = table is null ? null : changes.Stamp(table);
        if (stamp is not null && Volatile.Read(ref rows) is { } known && known.Stamp == stamp)
        {
            return known.Rows;
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (table is null)
        {
            table = db.Model.FindEntityType(typeof(KubernetesRuntimeInstance))!.GetTableName()!;
            stamp = changes.Stamp(table);
        }

        var read = await db.Set<KubernetesRuntimeInstance>().AsNoTracking()
            .Select(i => new RuntimeRow(i.ID, i.Generation, i.KubeconfigPath, i.DefaultRuntime, i.DeletionScheduled != null))
            .ToListAsync(ct);
        if (stamp is not null)
        {
            Volatile.Write(ref rows, new RuntimeRows(stamp.Value, read));
        }

        return read;
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
    private static string Version(long generation, string? kubeconfigPath) =>
        $"{generation}/{(kubeconfigPath is { } path && File.Exists(path) ? File.GetLastWriteTimeUtc(path).Ticks : 0)}";

    private sealed record Connection(string Version, ClusterApi Api);

    private sealed record RuntimeRow(long ID, long Generation, string? KubeconfigPath, bool DefaultRuntime, bool Deleting);

    private sealed record RuntimeRows(long Stamp, IReadOnlyList<RuntimeRow> Rows);
}
