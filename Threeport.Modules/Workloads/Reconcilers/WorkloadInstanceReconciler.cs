using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Threeport.Modules.Platform.Kubernetes;
using Threeport.Modules.Platform.Persistence;
using Threeport.Modules.Platform.Reconciliation;
using Threeport.Modules.Workloads.Manifests;
using Threeport.Modules.Workloads.Model;
using Threeport.Modules.Workloads.Watch;

namespace Threeport.Modules.Workloads.Reconcilers;

// Makes a runtime run what the instance's definition describes: every resource is server-side applied in
// dependency order (idempotent, so a retry or a drift repair is the same code path), resources that left the
// definition are pruned, and the instance's status is computed from what the cluster reports. On delete,
// everything it applied is removed, namespace last.
internal sealed class WorkloadInstanceReconciler(
    ThreeportDb db,
    IDbContextFactory<ThreeportDb> dbFactory,
    SqliteWriteGate writes,
    IRuntimeConnections runtimes,
    WorkloadEventWriter events,
    RuntimeWatcher watcher,
    OutcomeWrites outcome,
    TimeProvider time,
    ILogger<WorkloadInstanceReconciler> log) : IReconciler<WorkloadInstance>
{
    private static readonly TimeSpan EstablishedWait = TimeSpan.FromSeconds(10);

    // The operation of a record added before its first apply, until the cluster has answered it.
    internal const string Applying = "Applying";

    private static readonly CompiledQuery<Func<ThreeportDb, long, IAsyncEnumerable<WorkloadResourceInstance>>> Records =
        new(() => EF.CompileAsyncQuery((ThreeportDb db, long instanceId) => db.Set<WorkloadResourceInstance>().Where(r => r.WorkloadInstanceID == instanceId)));

    // The records of what an instance applied, tracked by `db`: read by every reconcile and readiness refresh.
    internal static async Task<List<WorkloadResourceInstance>> RecordsOfAsync(ThreeportDb db, long instanceId, CancellationToken ct)
    {
        var records = new List<WorkloadResourceInstance>();
        await foreach (var record in Records.For(db)(db, instanceId).WithCancellation(ct))
        {
            records.Add(record);
        }

        return records;
    }

    public async Task<ReconcileResult> ReconcileAsync(WorkloadInstance obj, CancellationToken ct)
    {
        var runtimeId = obj.KubernetesRuntimeInstanceID ?? throw new InvalidOperationException("the instance names no KubernetesRuntimeInstanceID");
        var api = await runtimes.GetAsync(runtimeId, ct);

        // What is applied to the cluster is a fact whatever becomes of this reconcile (a user change makes its status
        // write stale and it is discarded): it is recorded in its own transaction before it is applied, so a later
        // teardown always knows everything there is to remove. What the cluster answers goes with the outcome (below).
        var records = await dbFactory.CreateDbContextAsync(ct);
        outcome.Include(records);
        var applied = await RecordsOfAsync(records, obj.ID, ct);
        if (obj.DeletionScheduled is not null)
        {
            await TearDownAsync(api, obj, applied, records, ct);
            return ReconcileResult.Done;
        }

        watcher.Watch(runtimeId);
        var definition = (obj.WorkloadDefinitionID is { } definitionId ? await ObjectById<WorkloadDefinition>.ReadAsync(db, definitionId, ct) : null)
            ?? throw new InvalidOperationException($"WorkloadDefinition {obj.WorkloadDefinitionID} does not exist");
        var (resources, problems) = ManifestDocuments.ParseShared(definition.YAMLDocument);
        if (problems.Count > 0)
        {
            throw new InvalidOperationException($"WorkloadDefinition {definition.Name} is not valid: {string.Join("; ", problems)}");
        }

        var (desired, targetNamespace, generated) = Desired(obj, resources);
        var planned = new List<PlannedApply>();
        while (planned.Count < desired.Count)
        {
            // Up to and including the next CustomResourceDefinition: the kinds it defines resolve once it is established.
            var batch = new List<PlannedApply>();
            do
            {
                batch.Add(await PlanAsync(api, obj, definition, desired[planned.Count + batch.Count], applied, records, targetNamespace, generated, planned.Count + batch.Count, ct));
            }
            while (planned.Count + batch.Count < desired.Count && batch[^1].Type.Kind != "CustomResourceDefinition");

            // Recorded before they are applied, in one transaction: whatever becomes of this reconcile (a crash midway, a
            // user change that makes its status write stale), a later teardown knows everything it may have applied.
            await writes.SaveChangesAsync(records, ct);
            if (await ApplyAllAsync(api, obj, batch, records, ct) is { } waiting)
            {
                return ReconcileResult.RequeueAfter(TimeSpan.FromSeconds(1), $"waiting for CustomResourceDefinition {waiting} to be established");
            }

            planned.AddRange(batch);
        }

        var kept = planned.Select(p => p.Record).ToHashSet();
        foreach (var stale in applied.Where(a => !kept.Contains(a)).OrderByDescending(a => a.ApplyOrder))
        {
            await DeleteFromClusterAsync(api, stale, ct);
            records.Remove(stale);
            await writes.SaveChangesAsync(records, ct);
            log.LogInformation("Pruned {Kind} {Namespace}/{Name} of WorkloadInstance {Instance}", stale.Kind, stale.ResourceNamespace, stale.ResourceName, obj.Name);
        }

        obj.Namespace = targetNamespace;
        obj.Status = WorkloadStatus.Of(kept, previous: obj.Status);

        // The cluster's answers, still pending in `records`, commit with the status made from them, in the outcome's
        // transaction: one commit less per reconcile. Should the status write be stale, they are discarded with it, which
        // loses nothing: the records were stored before the applies, and the newer generation's reconcile, due at once,
        // applies and answers again.
        return ReconcileResult.Done;
    }

    // Threeport's namespace rule: the manifest's own Namespace objects, or one generated per instance that every
    // namespaced resource goes to (so two instances of one definition can run side by side).
    private static (IReadOnlyList<ManifestResource> Resources, string Namespace, bool Generated) Desired(WorkloadInstance obj, IReadOnlyList<ManifestResource> resources)
    {
        var declared = resources.Where(r => r.Kind == "Namespace" && r.ApiVersion == "v1").Select(r => r.Name).ToList();
        var list = resources.Select(r => r with { Object = (JsonObject)r.Object.DeepClone() }).ToList();
        if (declared.Count > 0)
        {
            return (ApplyOrder.Sort(list, r => r.Kind), declared[0], false);
        }

        var generated = GeneratedNamespace(obj);
        list.Insert(0, new ManifestResource(0, 0, new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Namespace",
            ["metadata"] = new JsonObject { ["name"] = generated },
        }));
        return (ApplyOrder.Sort(list, r => r.Kind), generated, true);
    }

    // Deterministic, so a retried first apply lands in the same namespace (Threeport draws a new random one).
    internal static string GeneratedNamespace(WorkloadInstance obj)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{obj.ID}/{obj.CreatedAt?.UtcTicks}"));
        const string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        var suffix = new string(hash.Take(10).Select(b => alphabet[b % alphabet.Length]).ToArray());
        var prefix = obj.Name.Length > 52 ? obj.Name[..52].TrimEnd('-') : obj.Name;
        return $"{prefix}-{suffix}";
    }

    // DesiredJson is Desired as recorded, written once for the record and the comparison after the apply.
    private sealed record PlannedApply(ResourceType Type, JsonObject Desired, string DesiredJson, WorkloadResourceInstance Record, int Order);

    // Resolves the resource's kind, places and labels it, and finds or adds its record.
    private async Task<PlannedApply> PlanAsync(
        ClusterApi api, WorkloadInstance obj, WorkloadDefinition definition, ManifestResource resource,
        List<WorkloadResourceInstance> applied, ThreeportDb records, string targetNamespace, bool generatedNamespace, int order, CancellationToken ct)
    {
        var desired = resource.Object;
        var metadata = (JsonObject)desired["metadata"]!;
        var type = await ClusterCallAsync(obj, resource.Kind, metadata, () => api.ResolveAsync(resource.ApiVersion, resource.Kind, ct), ct);
        if (type.Namespaced)
        {
            if (generatedNamespace || metadata["namespace"] is null)
            {
                metadata["namespace"] = targetNamespace;
            }
        }
        else
        {
            metadata.Remove("namespace");
        }

        ThreeportLabels.Apply(desired, definition.Name, obj.Name, obj.ID);
        var ns = type.Namespaced ? metadata["namespace"]!.GetValue<string>() : null;
        var record = applied.FirstOrDefault(a => a.Kind == type.Kind && a.APIVersion == type.ApiVersion && a.ResourceNamespace == ns && a.ResourceName == resource.Name);
        var desiredJson = desired.ToJsonString();
        if (record is null)
        {
            var now = time.GetUtcNow();
            record = new WorkloadResourceInstance
            {
                WorkloadInstanceID = obj.ID,
                Kind = type.Kind,
                APIVersion = type.ApiVersion,
                ResourceName = resource.Name,
                ResourceNamespace = ns,
                JSONDefinition = desiredJson,
                ApplyOrder = order,
                CreatedAt = now,
                UpdatedAt = now,
                Generation = 1,
                LastOperation = Applying,
            };
            applied.Add(record);
            records.Add(record);
        }

        return new PlannedApply(type, desired, desiredJson, record, order);
    }

    // Applies in order, a wave of independent resources together (one round trip to the cluster instead of one per
    // resource), and takes what the cluster answered into the records. The answers are saved at once when the
    // reconcile ends here (an apply failed, so the records of those that went before it or beside it are kept, or a
    // CustomResourceDefinition is not established yet); otherwise they go with the outcome. Returns the name of a
    // CustomResourceDefinition not established yet.
    private async Task<string?> ApplyAllAsync(ClusterApi api, WorkloadInstance obj, List<PlannedApply> planned, ThreeportDb records, CancellationToken ct)
    {
        var allAnswered = false;
        try
        {
            foreach (var wave in ApplyOrder.Waves(planned, p => p.Type.Kind))
            {
                var applies = wave.Select(plan => (Plan: plan, Live: ClusterCallAsync(obj, plan.Type.Kind, Metadata(plan),
                    () => api.ApplyAsync(plan.Type, plan.Desired, ThreeportLabels.FieldManager, ct), ct))).ToList();
                try
                {
                    await Task.WhenAll(applies.Select(a => a.Live));
                }
                finally
                {
                    foreach (var (plan, live) in applies.Where(a => a.Live.IsCompletedSuccessfully))
                    {
                        RecordApplied(plan.Record, plan.DesiredJson, live.Result, plan.Order);
                    }
                }

                if (wave is [{ Type.Kind: "CustomResourceDefinition" } crd] && Metadata(crd)["name"]!.GetValue<string>() is var name
                    && !await WaitEstablishedAsync(api, crd.Type, name, ct))
                {
                    return name;
                }
            }

            allAnswered = true;
            return null;
        }
        finally
        {
            if (!allAnswered && records.ChangeTracker.HasChanges() && !ct.IsCancellationRequested)
            {
                await writes.SaveChangesAsync(records, ct);
            }
        }
    }

    private static JsonObject Metadata(PlannedApply plan) => (JsonObject)plan.Desired["metadata"]!;

    // A call the cluster refused becomes a WorkloadEvent and fails the reconcile with the cluster's own message.
    private async Task<T> ClusterCallAsync<T>(WorkloadInstance obj, string kind, JsonObject metadata, Func<Task<T>> call, CancellationToken ct)
    {
        try
        {
            return await call();
        }
        catch (ClusterApiException ex)
        {
            var where = $"{kind} {metadata["namespace"]?.GetValue<string>() ?? ""}/{metadata["name"]?.GetValue<string>()}".Replace(" /", " ");
            await events.RecordFailureAsync(obj.ID, "ApplyFailed", $"{where}: {ex.ClusterMessage}", ct);
            throw new InvalidOperationException($"Failed to apply {where} to the runtime: {ex.Message}", ex);
        }
    }

    private void RecordApplied(WorkloadResourceInstance record, string json, JsonObject live, int order)
    {
        var generation = live["metadata"]?["generation"] is JsonValue g && g.TryGetValue<long>(out var gen) ? gen : (long?)null;
        var uid = live["metadata"]?["uid"]?.GetValue<string>();
        var status = live["status"]?.ToJsonString();
        var ready = ResourceHealth.IsReady(live);
        var operation = record.LastOperation == Applying ? "Created"
            : record.JSONDefinition == json && record.AppliedGeneration == generation ? "Unchanged" : "Updated";
        if (operation == "Unchanged" && record.LastOperation == operation && record.ResourceUID == uid
            && record.RuntimeDefinition == status && record.Ready == ready && record.ApplyOrder == order)
        {
            // Nothing to record: repeated reconciles of a settled instance write nothing.
            return;
        }

        record.LastOperation = operation;
        record.JSONDefinition = json;
        record.AppliedGeneration = generation;
        record.ResourceUID = uid;
        record.RuntimeDefinition = status;
        record.Ready = ready;
        record.ApplyOrder = order;
        record.UpdatedAt = time.GetUtcNow();
    }

    private async Task<bool> WaitEstablishedAsync(ClusterApi api, ResourceType crdType, string name, CancellationToken ct)
    {
        var deadline = time.GetUtcNow() + EstablishedWait;
        while (time.GetUtcNow() < deadline)
        {
            if (await api.GetAsync(crdType, null, name, ct) is { } crd && ResourceHealth.IsReady(crd))
            {
                return true;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), time, ct);
        }

        return false;
    }

    private async Task TearDownAsync(ClusterApi api, WorkloadInstance obj, List<WorkloadResourceInstance> applied, ThreeportDb records, CancellationToken ct)
    {
        foreach (var resource in applied.Where(a => a.Owned).OrderByDescending(a => a.ApplyOrder))
        {
            await DeleteFromClusterAsync(api, resource, ct);
        }

        // The generated namespace is this instance's alone: removing it also catches anything applied by a
        // process that died before recording it.
        await api.DeleteAsync(await api.ResolveAsync("v1", "Namespace", ct), null, GeneratedNamespace(obj), ct);
        records.RemoveRange(applied);
        await writes.SaveChangesAsync(records, ct);
        log.LogInformation("Removed {Count} resources of WorkloadInstance {Name}", applied.Count, obj.Name);
    }

    private static async Task DeleteFromClusterAsync(ClusterApi api, WorkloadResourceInstance resource, CancellationToken ct)
    {
        ResourceType type;
        try
        {
            type = await api.ResolveAsync(resource.APIVersion, resource.Kind, ct);
        }
        catch (ClusterApiException ex) when (ex.Status == System.Net.HttpStatusCode.NotFound)
        {
            // The kind is gone (its CRD was deleted), and with it every object of that kind.
            return;
        }

        await api.DeleteAsync(type, resource.ResourceNamespace, resource.ResourceName, ct);
    }
}
