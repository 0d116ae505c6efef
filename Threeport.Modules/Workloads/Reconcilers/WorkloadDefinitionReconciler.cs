using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Threeport.Modules.Platform.Objects;
using Threeport.Modules.Platform.Outbox;
using Threeport.Modules.Platform.Persistence;
using Threeport.Modules.Platform.Reconciliation;
using Threeport.Modules.Workloads.Manifests;
using Threeport.Modules.Workloads.Model;

namespace Threeport.Modules.Workloads.Reconcilers;

// Splits the manifest into resource definitions. When an update changes them, every instance of the definition is
// marked for reconciliation, so an edited definition reaches what runs (Threeport stops at the split).
internal sealed class WorkloadDefinitionReconciler(
    ThreeportDb db,
    OutboxWriter outbox,
    ObjectTypeRegistry registry,
    TimeProvider time,
    ILogger<WorkloadDefinitionReconciler> log) : IReconciler<WorkloadDefinition>
{
    public async Task<ReconcileResult> ReconcileAsync(WorkloadDefinition obj, CancellationToken ct)
    {
        var stored = await db.Set<WorkloadResourceDefinition>().Where(r => r.WorkloadDefinitionID == obj.ID).OrderBy(r => r.ID).ToListAsync(ct);
        if (obj.DeletionScheduled is not null)
        {
            db.RemoveRange(stored);
            return ReconcileResult.Done;
        }

        var (resources, problems) = ManifestDocuments.Parse(obj.YAMLDocument);
        if (problems.Count > 0)
        {
            throw new InvalidOperationException(string.Join("; ", problems));
        }

        var split = resources.Select(r => r.Object.ToJsonString()).ToList();
        if (split.SequenceEqual(stored.Select(r => r.JSONDefinition)))
        {
            return ReconcileResult.Done;
        }

        var now = time.GetUtcNow();
        db.RemoveRange(stored);
        db.AddRange(split.Select(json => new WorkloadResourceDefinition
        {
            JSONDefinition = json,
            WorkloadDefinitionID = obj.ID,
            CreatedAt = now,
            UpdatedAt = now,
            Generation = 1,
        }));

        // Instances apply the manifest itself: until the definition is updated, every reconcile of theirs read the one it
        // was created with, and marking one created meanwhile would only apply it twice.
        var instances = obj.Generation > 1
            ? await db.Set<WorkloadInstance>().Where(i => i.WorkloadDefinitionID == obj.ID && i.DeletionScheduled == null).ToListAsync(ct)
            : [];
        var type = registry.Get<WorkloadInstance>();
        foreach (var instance in instances)
        {
            instance.Reconciled = false;
            instance.Generation++;
        }

        // The resource definitions and the instances' notifications commit together.
        await outbox.SaveAsync(db, instances.Select(i => (type, (ReconciledObject)i, Operation.Updated)).ToList(), ct);
        log.LogInformation("Split WorkloadDefinition {Name} into {Count} resources and marked {Instances} instances for reconciliation", obj.Name, split.Count, instances.Count);
        return ReconcileResult.Done;
    }
}
