using Microsoft.EntityFrameworkCore;
using Threeport.Modules.Platform.Kubernetes;
using Threeport.Modules.Platform.Objects;
using Threeport.Modules.Platform.Persistence;
using Threeport.Modules.Workloads.Model;

namespace Threeport.Modules.Workloads.Api;

// Checks the references, and fills in the default runtime when none is named (as Threeport's CLI does).
internal sealed class WorkloadInstanceValidator(IRuntimeConnections runtimes, ObjectReferences references) : IObjectValidator<WorkloadInstance>
{
    private const string RuntimeType = "KubernetesRuntimeInstance";

    // Every create asks: translating the expression each time was 2 % of the CPU of creating instances at c=32.
    private static readonly CompiledQuery<Func<ThreeportDb, long?, CancellationToken, Task<bool>>> DefinitionExists =
        new(() => EF.CompileAsyncQuery((ThreeportDb db, long? id, CancellationToken ct) =>
            db.Set<WorkloadDefinition>().Any(d => d.ID == id && d.DeletionScheduled == null)));

    public async Task<IReadOnlyList<string>> ValidateAsync(WorkloadInstance candidate, WorkloadInstance? existing, ThreeportDb db, CancellationToken ct)
    {
        var problems = new List<string>();
        if (!await DefinitionExists.For(db)(db, candidate.WorkloadDefinitionID, ct))
        {
            problems.Add($"WorkloadDefinitionID {candidate.WorkloadDefinitionID} does not exist: create the workload definition first");
        }

        if (existing?.KubernetesRuntimeInstanceID is { } before && candidate.KubernetesRuntimeInstanceID != before)
        {
            problems.Add($"KubernetesRuntimeInstanceID cannot change (it is {before}): delete the instance and create one on the other runtime");
            return problems;
        }

        if (candidate.KubernetesRuntimeInstanceID is null)
        {
            candidate.KubernetesRuntimeInstanceID = await runtimes.DefaultRuntimeIdAsync(ct);
            if (candidate.KubernetesRuntimeInstanceID is null)
            {
                problems.Add("no KubernetesRuntimeInstanceID was given and there is no default runtime: name one, or create a KubernetesRuntimeInstance with DefaultRuntime true");
            }
        }
        else if (!await references.ExistsAsync(db, RuntimeType, candidate.KubernetesRuntimeInstanceID.Value, ct))
        {
            problems.Add($"KubernetesRuntimeInstanceID {candidate.KubernetesRuntimeInstanceID} does not exist");
        }

        return problems;
    }
}
