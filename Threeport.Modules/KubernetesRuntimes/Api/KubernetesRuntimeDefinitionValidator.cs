using Threeport.Modules.KubernetesRuntimes.Model;
using Threeport.Modules.Platform.Objects;
using Threeport.Modules.Platform.Persistence;

namespace Threeport.Modules.KubernetesRuntimes.Api;

internal sealed class KubernetesRuntimeDefinitionValidator : IObjectValidator<KubernetesRuntimeDefinition>
{
    public Task<IReadOnlyList<string>> ValidateAsync(KubernetesRuntimeDefinition candidate, KubernetesRuntimeDefinition? existing, ThreeportDb db, CancellationToken ct)
    {
        IReadOnlyList<string> problems = candidate.InfraProvider switch
        {
            KubernetesRuntimeDefinition.KindProvider => [],
            "eks" => ["InfraProvider eks needs AWS, which this control plane cannot reach: use InfraProvider kind for an existing cluster reached through its kubeconfig (the embedded dev cluster is one)"],
            var other => [$"InfraProvider '{other}' is not supported: use kind (an existing cluster reached through its kubeconfig)"],
        };
        return Task.FromResult(problems);
    }
}
