using Threeport.Modules.Platform.Objects;
using Threeport.Modules.Platform.Persistence;
using Threeport.Modules.Workloads.Manifests;
using Threeport.Modules.Workloads.Model;

namespace Threeport.Modules.Workloads.Api;

// A manifest that cannot be applied is refused when it is written, not discovered by a reconciler later.
internal sealed class WorkloadDefinitionValidator : IObjectValidator<WorkloadDefinition>
{
    public Task<IReadOnlyList<string>> ValidateAsync(WorkloadDefinition candidate, WorkloadDefinition? existing, ThreeportDb db, CancellationToken ct) =>
        Task.FromResult(ManifestDocuments.Parse(candidate.YAMLDocument).Problems);
}
