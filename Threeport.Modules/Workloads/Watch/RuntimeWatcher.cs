using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Threeport.Modules.Platform;
using Threeport.Modules.Platform.Kubernetes;
using static Threeport.Modules.Platform.Kubernetes.JsonElementFields;
using Threeport.Modules.Platform.Objects;
using Threeport.Modules.Platform.Outbox;
using Threeport.Modules.Platform.Persistence;
using Threeport.Modules.Workloads.Manifests;
using Threeport.Modules.Workloads.Model;
using Threeport.Modules.Workloads.Reconcilers;

namespace Threeport.Modules.Workloads.Watch;

// Our version of Threeport's in-cluster agent: per runtime that runs workloads, watches the resources the
// control plane applied and the cluster's Events. A resource deleted or changed by someone else gets its
// instance reconciled (drift repair through the one apply path); a change of readiness is recorded and the
// instance's status refreshed, by a reconcile only if one is pending anyway (docs/decisions/0006); Events about
// an instance's resources become WorkloadEvents.
internal sealed class RuntimeWatcher(
    IRuntimeConnections runtimes,
    IDbContextFactory<ThreeportDb> dbFactory,
    OutboxWriter outbox,
    SqliteWriteGate writes,
    WorkloadEventWriter events,
    IOptions<PlatformSettings> settings,
    TimeProvider time,
    ILogger<RuntimeWatcher> log) : BackgroundService
{
    private static readonly Threeport.Modules.Platform.Reconciliation.Backoff RetryDelay = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));

    private static readonly (string ApiVersion, string Kind)[] WatchedKinds =
    [
        ("apps/v1", "Deployment"), ("apps/v1", "StatefulSet"), ("apps/v1", "DaemonSet"), ("batch/v1", "Job"),
        ("v1", "Service"), ("v1", "ConfigMap"), ("v1", "Secret"), ("v1", "PersistentVolumeClaim"), ("v1", "ServiceAccount"),
    ];

    private const int EventBatch = 256;

    // The two reads of every watch event (a few per instance as its Deployment rolls out), compiled once.
    private static readonly CompiledQuery<Func<ThreeportDb, long, long, CancellationToken, Task<bool>>> LiveOnRuntime =
        new(() => EF.CompileAsyncQuery((ThreeportDb db, long instanceId, long runtimeId, CancellationToken _) =>
            db.Set<WorkloadInstance>().Where(i => i.ID == instanceId && i.KubernetesRuntimeInstanceID == runtimeId).Select(i => i.DeletionScheduled == null).FirstOrDefault()));

    private static readonly CompiledQuery<Func<ThreeportDb, long, string, string?, string?, CancellationToken, Task<WorkloadResourceInstance?>>> RecordOf =
        new(() => EF.CompileAsyncQuery((ThreeportDb db, long instanceId, string kind, string? ns, string? name, CancellationToken _) =>
            db.Set<WorkloadResourceInstance>().AsNoTracking()
                .FirstOrDefault(r => r.WorkloadInstanceID == instanceId && r.Kind == kind && r.ResourceNamespace == ns && r.ResourceName == name)));

    // The resources a batch of cluster Events may be about, through the (Kind, ResourceNamespace, ResourceName) index;
    // compiled, since a rollout's Events come in small batches and translating the query cost more than running it.
    private static readonly CompiledQuery<Func<ThreeportDb, long, string[], string[], IAsyncEnumerable<WorkloadResourceInstance>>> Candidates =
        new(() => EF.CompileAsyncQuery((ThreeportDb db, long runtimeId, string[] kinds, string[] namespaces) =>
            db.Set<WorkloadResourceInstance>().AsNoTracking()
                .Where(r => kinds.Contains(r.Kind) && namespaces.Contains(r.ResourceNamespace!)
                    && db.Set<WorkloadInstance>().Any(i => i.ID == r.WorkloadInstanceID && i.KubernetesRuntimeInstanceID == runtimeId))));

    // The cluster-scoped resources of those kinds, read too for a batch with Events about cluster-scoped objects.
    private static readonly CompiledQuery<Func<ThreeportDb, long, string[], IAsyncEnumerable<WorkloadResourceInstance>>> ClusterScopedCandidates =
        new(() => EF.CompileAsyncQuery((ThreeportDb db, long runtimeId, string[] kinds) =>
            db.Set<WorkloadResourceInstance>().AsNoTracking()
                .Where(r => kinds.Contains(r.Kind) && r.ResourceNamespace == null
                    && db.Set<WorkloadInstance>().Any(i => i.ID == r.WorkloadInstanceID && i.KubernetesRuntimeInstanceID == runtimeId))));

    private const int LastSeenLimit = 100_000;

    private readonly ConcurrentDictionary<long, bool> watching = new();

    // Per instance and object uid, the generation and readiness of the object's last event that was checked.
    private readonly ConcurrentDictionary<(long Instance, string Uid), (long? Generation, bool Ready)> lastSeen = new();

    // Runtimes to watch, asked for by reconciles and by the rescan; ExecuteAsync alone starts their watches.
    private readonly Channel<long> asked = Channel.CreateUnbounded<long>(new UnboundedChannelOptions { SingleReader = true });

    // Called before a reconcile applies to a runtime: the watch of a runtime's first instance starts now, not at
    // the next rescan, so its readiness is seen as it changes and the watch's first list is short.
    public void Watch(long runtimeId)
    {
        if (!watching.ContainsKey(runtimeId))
        {
            asked.Writer.TryWrite(runtimeId);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var rescans = RescanAsync(stoppingToken);
        var watches = new List<Task>();
        try
        {
            await foreach (var runtimeId in asked.Reader.ReadAllAsync(stoppingToken))
            {
                if (watching.TryAdd(runtimeId, true))
                {
                    log.LogInformation("Watching KubernetesRuntimeInstance {Runtime} for workload changes", runtimeId);
                    watches.AddRange(WatchedKinds.Select(k => WatchKindAsync(runtimeId, k.ApiVersion, k.Kind, stoppingToken)));
                    watches.Add(WatchEventsAsync(runtimeId, stoppingToken));
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown.
        }

        await rescans;
        await Task.WhenAll(watches);
    }

    // Runtimes with instances that no reconcile asked for since this process started (after a restart).
    private async Task RescanAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(settings.Value.WatchRescanInterval, time);
        try
        {
            do
            {
                foreach (var runtimeId in await RuntimesWithWorkloadsAsync(ct))
                {
                    Watch(runtimeId);
                }
            }
            while (await timer.WaitForNextTickAsync(ct));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Shutdown.
        }
    }

    private async Task<IReadOnlyList<long>> RuntimesWithWorkloadsAsync(CancellationToken ct)
    {
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            return await db.Set<WorkloadInstance>().Where(i => i.KubernetesRuntimeInstanceID != null)
                .Select(i => i.KubernetesRuntimeInstanceID!.Value).Distinct().ToListAsync(ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            log.LogWarning("Failed to list runtimes to watch: {Error}", ex.Message);
            return [];
        }
    }

    // The informer pattern: list, compare with what was applied (catching changes made while nobody watched),
    // then watch from the list's resourceVersion, and resume from the last version seen when a watch ends.
    private Task WatchKindAsync(long runtimeId, string apiVersion, string kind, CancellationToken ct)
    {
        string? resourceVersion = null;
        return KeepWatchingAsync(runtimeId, kind, async api =>
        {
            var type = await api.ResolveAsync(apiVersion, kind, ct);
            var selector = $"{ThreeportLabels.ManagedBy}=threeport";
            if (resourceVersion is null)
            {
                // What was applied is read before the cluster is listed: a resource applied after the list was
                // taken is missing from it, and must not look deleted.
                var applied = await AppliedAsync(runtimeId, kind, ct);
                var list = await api.ListAsync(type, null, selector, ct);
                resourceVersion = list?["metadata"]?["resourceVersion"]?.GetValue<string>();
                await ResyncAsync(runtimeId, kind, applied, list?["items"] as JsonArray ?? [], ct);
            }

            try
            {
                await foreach (var (eventType, obj) in api.WatchAsync(type, selector, resourceVersion, ct))
                {
                    resourceVersion = obj["metadata"]?["resourceVersion"]?.GetValue<string>() ?? resourceVersion;
                    await OnResourceAsync(runtimeId, eventType, obj, kind, ct);
                }
            }
            catch (Exception) when (!ct.IsCancellationRequested)
            {
                // Anything but a normal end (410 Gone, a dropped connection) lists again.
                resourceVersion = null;
                throw;
            }
        }, ct);
    }

    private async Task ResyncAsync(long runtimeId, string kind, IReadOnlyList<AppliedResource> applied, JsonArray items, CancellationToken ct)
    {
        var live = new HashSet<(string?, string?)>();
        foreach (var item in items.OfType<JsonObject>())
        {
            live.Add((item["metadata"]?["namespace"]?.GetValue<string>(), item["metadata"]?["name"]?.GetValue<string>()));
            await OnResourceAsync(runtimeId, "ADDED", item, kind, ct);
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        foreach (var instanceId in applied.Where(r => !live.Contains((r.Namespace, r.Name))).Select(r => r.InstanceId).Distinct())
        {
            log.LogInformation("Requeued WorkloadInstance {Instance}: a {Kind} it applied is gone from the cluster", instanceId, kind);
            await outbox.NotifyAsync(db, new ObjectKey(nameof(WorkloadInstance), instanceId), Operation.Updated, ct);
        }
    }

    // A record still Applying belongs to a reconcile that is under way, or that failed or died midway and will
    // run again: its resource may not exist yet, and asking for another reconcile would only repeat the apply.
    private async Task<IReadOnlyList<AppliedResource>> AppliedAsync(long runtimeId, string kind, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Set<WorkloadResourceInstance>().AsNoTracking()
            .Where(r => r.Kind == kind && r.LastOperation != WorkloadInstanceReconciler.Applying)
            .Join(db.Set<WorkloadInstance>().Where(i => i.KubernetesRuntimeInstanceID == runtimeId && i.DeletionScheduled == null), r => r.WorkloadInstanceID, i => i.ID, (r, _) => r)
            .Select(r => new AppliedResource(r.WorkloadInstanceID, r.ResourceNamespace, r.ResourceName))
            .ToListAsync(ct);
    }

    private sealed record AppliedResource(long InstanceId, string? Namespace, string? Name);

    // Events come in bursts (a Deployment rolling out makes about ten): the watch hands them to a recorder that
    // takes whatever has arrived meanwhile, so a burst costs one read and one write instead of several each.
    private Task WatchEventsAsync(long runtimeId, CancellationToken ct) =>
        KeepWatchingAsync(runtimeId, "Event", async api =>
        {
            var type = await api.ResolveAsync("v1", "Event", ct);
            var arrived = Channel.CreateBounded<ClusterEvent>(new BoundedChannelOptions(EventBatch * 4) { SingleReader = true, SingleWriter = true });
            using var recorderFailed = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var recorder = RecordClusterEventsAsync(runtimeId, arrived.Reader, recorderFailed);
            try
            {
                await foreach (var clusterEvent in api.WatchAsync<ClusterEvent>(type, null, null, ClusterEvent.TryRead, recorderFailed.Token))
                {
                    await arrived.Writer.WriteAsync(clusterEvent, recorderFailed.Token);
                }
            }
            finally
            {
                arrived.Writer.TryComplete();
                await recorder;
            }
        }, ct);

    // A batch that cannot be recorded ends the watch: watching again from the start delivers its events again.
    private async Task RecordClusterEventsAsync(long runtimeId, ChannelReader<ClusterEvent> arrived, CancellationTokenSource watch)
    {
        var batch = new List<ClusterEvent>(EventBatch);
        try
        {
            while (await arrived.WaitToReadAsync(watch.Token))
            {
                batch.Clear();
                while (batch.Count < EventBatch && arrived.TryRead(out var clusterEvent))
                {
                    batch.Add(clusterEvent);
                }

                await OnClusterEventsAsync(runtimeId, batch, watch.Token);
            }
        }
        catch (Exception ex) when (!watch.IsCancellationRequested)
        {
            log.LogWarning("Failed to record {Count} cluster events of runtime {Runtime}; watching them again: {Error}", batch.Count, runtimeId, ex.Message);
            await watch.CancelAsync();
        }
        catch (OperationCanceledException)
        {
            // The watch ended.
        }
    }

    // A watch ends when the server closes it or the cluster is unreachable: start it again after a pause that
    // grows while the cluster keeps failing, until the runtime is gone or the control plane stops.
    private async Task KeepWatchingAsync(long runtimeId, string what, Func<ClusterApi, Task> watch, CancellationToken ct)
    {
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            var started = time.GetUtcNow();
            try
            {
                if (!(await runtimes.RuntimeIdsAsync(ct)).Contains(runtimeId))
                {
                    watching.TryRemove(runtimeId, out _);
                    return;
                }

                await watch(await runtimes.GetAsync(runtimeId, ct));
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                log.LogDebug("Watch of {What} on runtime {Runtime} ended: {Error}", what, runtimeId, ex.Message);
            }

            // A watch that ran a while ended normally (the server's timeout); one that ended at once failed.
            failures = time.GetUtcNow() - started > TimeSpan.FromSeconds(5) ? 0 : failures + 1;
            try
            {
                await Task.Delay(RetryDelay.Next(Math.Max(1, failures), Random.Shared.NextDouble()), time, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task OnResourceAsync(long runtimeId, string eventType, JsonObject obj, string kind, CancellationToken ct)
    {
        if (obj["metadata"]?["labels"]?[ThreeportLabels.WorkloadInstance]?.GetValue<string>() is not { } label || !long.TryParse(label, out var instanceId))
        {
            return;
        }

        var generation = obj["metadata"]?["generation"] is JsonValue g && g.TryGetValue<long>(out var gen) ? gen : (long?)null;
        if (eventType != "DELETED" && generation is null or 1 && !ResourceHealth.ReportsReadiness(kind))
        {
            // A ConfigMap, Service, Secret or ServiceAccount at its first generation tells nothing: it is ready once it
            // exists (its apply's answer said so), and only a later generation can be a change made outside Threeport.
            // That is every one an instance's apply adds: two reads saved for each.
            return;
        }

        if (Repeats(instanceId, eventType, obj, generation, kind))
        {
            return;
        }

        var name = obj["metadata"]?["name"]?.GetValue<string>();
        var ns = obj["metadata"]?["namespace"]?.GetValue<string>();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await LiveOnRuntime.For(db)(db, instanceId, runtimeId, ct))
        {
            return;
        }

        var record = await RecordOf.For(db)(db, instanceId, kind, ns, name, ct);
        if (record is null)
        {
            // The event overtook the record of the apply that caused it: reconcile again, so that what the
            // cluster now reports (readiness above all) is not missed.
            await outbox.NotifyAsync(db, new ObjectKey(nameof(WorkloadInstance), instanceId), Operation.Updated, ct);
            return;
        }

        var drifted = eventType == "DELETED" || (generation is not null && record.AppliedGeneration is not null && generation > record.AppliedGeneration);
        // A kind ready as soon as it exists never changes readiness: its apply's answer already says so.
        var readinessChanged = eventType != "DELETED" && ResourceHealth.ReportsReadiness(kind) && ResourceHealth.IsReady(obj) != record.Ready;
        if (drifted)
        {
            log.LogInformation("Requeued WorkloadInstance {Instance}: {Kind} {Namespace}/{Name} changed outside Threeport", instanceId, kind, ns, name);
            await outbox.NotifyAsync(db, new ObjectKey(nameof(WorkloadInstance), instanceId), Operation.Updated, ct);
        }
        else if (readinessChanged)
        {
            await RefreshReadinessAsync(db, instanceId, record.ID, obj, $"{kind} {ns}/{name}", ct);
        }
    }

    // A change that shows the generation and readiness the object's previous event showed, which was checked already:
    // a Deployment rolling out changes four times, and the two in the middle (its ReplicaSet made, its pods made)
    // tell nothing new. Whatever the database held then was either in line with that, or was put right (a refresh)
    // or left to a pending reconcile; a later record written by a reconcile comes from an apply whose answer a later
    // event contradicts if it is outdated. Only changes in a watch's order are skipped: a watch that starts over sends
    // ADDED events, which are always checked.
    private bool Repeats(long instanceId, string eventType, JsonObject obj, long? generation, string kind)
    {
        if (!ResourceHealth.ReportsReadiness(kind) || obj["metadata"]?["uid"]?.GetValue<string>() is not { } uid)
        {
            return false;
        }

        if (eventType == "DELETED")
        {
            lastSeen.TryRemove((instanceId, uid), out _);
            return false;
        }

        var seen = (generation, ResourceHealth.IsReady(obj));
        var repeats = eventType == "MODIFIED" && lastSeen.TryGetValue((instanceId, uid), out var before) && before == seen;
        if (!repeats && lastSeen.Count >= LastSeenLimit)
        {
            // Objects deleted while nobody watched leave their entries; starting over costs one check each.
            lastSeen.Clear();
        }

        lastSeen[(instanceId, uid)] = seen;
        return repeats;
    }

    // Readiness is something observed, not something to apply: a reconcile for it would re-apply every resource to
    // change nothing. When no reconcile of the instance is pending or running (its outbox row lives from the
    // notification until a reconcile commits its outcome), the record and the instance's status are updated here
    // in one transaction. Otherwise the coming reconcile must compute the status, and is told to (as for drift):
    // holding the write gate from the check to the commit keeps a reconcile from starting or finishing in between.
    private async Task RefreshReadinessAsync(ThreeportDb db, long instanceId, long recordId, JsonObject live, string resource, CancellationToken ct)
    {
        var key = new ObjectKey(nameof(WorkloadInstance), instanceId);
        using var write = await writes.EnterAsync(db, ct);
        if (await PendingRow.ReadAsync(db, key, ct) is not null)
        {
            log.LogInformation("Requeued WorkloadInstance {Instance}: {Resource} changed readiness", instanceId, resource);
            await outbox.NotifyAsync(db, key, Operation.Updated, ct);
            return;
        }

        var instance = await ObjectById<WorkloadInstance>.LoadAsync(db, instanceId, ct);
        var records = await WorkloadInstanceReconciler.RecordsOfAsync(db, instanceId, ct);
        if (instance is not { DeletionScheduled: null } || records.FirstOrDefault(r => r.ID == recordId) is not { } record)
        {
            // Deleted, being deleted, or the resource was pruned since the event was read: nothing to refresh.
            return;
        }

        record.Ready = ResourceHealth.IsReady(live);
        record.RuntimeDefinition = live["status"]?.ToJsonString();
        record.UpdatedAt = time.GetUtcNow();
        instance.Status = WorkloadStatus.Of(records, previous: instance.Status);
        // As plain statements: still inside this turn of the gate, which this context holds.
        await writes.SaveChangesAsync(db, ct);
        log.LogInformation("Refreshed WorkloadInstance {Instance}: {Resource} changed readiness, status {Status}", instanceId, resource, instance.Status);
    }

    private async Task OnClusterEventsAsync(long runtimeId, List<ClusterEvent> about, CancellationToken ct)
    {
        // Through the (Kind, ResourceNamespace, ResourceName) index: read from the runtime's instances, every batch went
        // through all their resources, and a run of thousands of instances grew quadratic.
        var kinds = about.SelectMany(e => e.Kind is "Pod" or "ReplicaSet" ? ResourceHealth.RunningKinds : [e.Kind]).Distinct().ToArray();
        var namespaces = about.Select(e => e.Namespace).OfType<string>().Distinct().ToArray();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var read = new List<WorkloadResourceInstance>();
        await foreach (var record in Candidates.For(db)(db, runtimeId, kinds, namespaces).WithCancellation(ct))
        {
            read.Add(record);
        }

        if (about.Any(e => e.Namespace is null))
        {
            await foreach (var record in ClusterScopedCandidates.For(db)(db, runtimeId, kinds).WithCancellation(ct))
            {
                read.Add(record);
            }
        }

        var candidates = read.ToLookup(r => r.ResourceNamespace);
        var occurrences = new List<WorkloadEventWriter.Occurrence>();
        foreach (var e in about)
        {
            // Pods and ReplicaSets are named after the workload that made them.
            var inNamespace = candidates[e.Namespace];
            var owner = inNamespace.FirstOrDefault(r => r.Kind == e.Kind && r.ResourceName == e.Name)
                ?? inNamespace.FirstOrDefault(r => e.Kind is "Pod" or "ReplicaSet" && ResourceHealth.Runs(r.Kind) && e.Name.StartsWith(r.ResourceName + "-", StringComparison.Ordinal));
            if (owner is not null)
            {
                occurrences.Add(new WorkloadEventWriter.Occurrence(
                    owner.WorkloadInstanceID, owner.ID, e.Uid, e.Type, e.Reason, $"{e.Kind} {e.Name}: {e.Message}", e.Timestamp ?? time.GetUtcNow()));
            }
        }

        await events.RecordAsync(occurrences, ct);
    }

    // The fields of a Kubernetes Event (core/v1 or events.k8s.io/v1) that a WorkloadEvent keeps, read from the
    // watch's line without building the Event as objects first: about ten arrive for every instance rolled out.
    private sealed record ClusterEvent(string Kind, string Name, string? Namespace, string Uid, string Type, string Reason, string Message, DateTimeOffset? Timestamp)
    {
        private static readonly string[] TimestampFields = ["lastTimestamp", "eventTime", "firstTimestamp"];

        // ADDED and MODIFIED events that name the object they are about; anything else is skipped.
        public static bool TryRead(ReadOnlySequence<byte> line, [MaybeNullWhen(false)] out ClusterEvent clusterEvent)
        {
            clusterEvent = null;
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (Text(root, "type") is not ("ADDED" or "MODIFIED") || !Child(root, "object", out var obj))
            {
                return false;
            }

            var hasInvolved = Child(obj, "involvedObject", out var involved) || Child(obj, "regarding", out involved);
            var hasMetadata = Child(obj, "metadata", out var metadata);
            if (!hasInvolved || !hasMetadata || Text(involved, "kind") is not { } kind || Text(involved, "name") is not { } name || Text(metadata, "uid") is not { } uid)
            {
                return false;
            }

            clusterEvent = new ClusterEvent(
                kind,
                name,
                Text(involved, "namespace") ?? Text(metadata, "namespace"),
                uid,
                Text(obj, "type") ?? "Normal",
                Text(obj, "reason") ?? "",
                Text(obj, "message") ?? Text(obj, "note") ?? "",
                TimestampOf(obj, metadata));
            return true;
        }

        private static DateTimeOffset? TimestampOf(JsonElement clusterEvent, JsonElement metadata)
        {
            foreach (var field in TimestampFields)
            {
                if (Text(clusterEvent, field) is { } text && DateTimeOffset.TryParse(text, out var at))
                {
                    return at;
                }
            }

            return Text(metadata, "creationTimestamp") is { } created && DateTimeOffset.TryParse(created, out var createdAt) ? createdAt : null;
        }
    }
}
