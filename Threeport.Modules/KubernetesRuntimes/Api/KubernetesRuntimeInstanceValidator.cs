using k8s;
using Microsoft.EntityFrameworkCore;
using Threeport.Modules.KubernetesRuntimes.Model;
using Threeport.Modules.Platform.Objects;
using Threeport.Modules.Platform.Persistence;

namespace Threeport.Modules.KubernetesRuntimes.Api;

internal sealed class KubernetesRuntimeInstanceValidator : IObjectValidator<KubernetesRuntimeInstance>
{
    public async Task<IReadOnlyList<string>> ValidateAsync(KubernetesRuntimeInstance candidate, KubernetesRuntimeInstance? existing, ThreeportDb db, CancellationToken ct)
    {
        var problems = new List<string>();
        if (!await db.Set<KubernetesRuntimeDefinition>().AnyAsync(d => d.ID == candidate.KubernetesRuntimeDefinitionID, ct))
        {
            problems.Add($"KubernetesRuntimeDefinitionID {candidate.KubernetesRuntimeDefinitionID} does not exist: create the definition first");
        }

        if (candidate.Location is { } location && !RuntimeLocations.All.Contains(location))
        {
            problems.Add($"Location '{location}' is not known; use one of {string.Join(", ", RuntimeLocations.All)}");
        }

        if (existing?.Location is { } before && candidate.Location != before)
        {
            problems.Add($"Location cannot change once set (it is {before}): create another runtime instance instead");
        }

        problems.AddRange(CheckConnection(candidate));
        return problems;
    }

    private static IEnumerable<string> CheckConnection(KubernetesRuntimeInstance candidate)
    {
        switch (candidate)
        {
            case { KubeconfigPath: not null, Kubeconfig: not null }:
                yield return "give either KubeconfigPath or Kubeconfig, not both";
                break;
            case { KubeconfigPath: null, Kubeconfig: null }:
                yield return "say how to reach the cluster: KubeconfigPath (a kubeconfig file on the control plane's machine, with KubeconfigContext if not the current one) or Kubeconfig (the document itself)";
                break;
            case { KubeconfigPath: { } path } when !File.Exists(path):
                yield return $"kubeconfig file {path} does not exist on the control plane's machine";
                break;
            default:
                if (Load(candidate) is { } problem)
                {
                    yield return problem;
                }

                break;
        }
    }

    private static string? Load(KubernetesRuntimeInstance candidate)
    {
        try
        {
            RuntimeConnections.BuildConfiguration(candidate);
            return null;
        }
        catch (Exception ex) when (ex is k8s.Exceptions.KubeConfigException or IOException or YamlDotNet.Core.YamlException or ArgumentException or InvalidOperationException)
        {
            return $"the kubeconfig cannot be used: {ex.Message}";
        }
    }
}
