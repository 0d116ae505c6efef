using Threeport.Modules.Workloads.Manifests;
using Threeport.Modules.Workloads.Model;

namespace Threeport.Modules.Workloads.Reconcilers;

// Threeport's instance status from the resources' readiness: Healthy when everything is ready; until it first
// ran, Reconciling; once it ran, Unhealthy when some of what runs is not ready and Down when none is.
internal static class WorkloadStatus
{
    public static string Of(IReadOnlyCollection<WorkloadResourceInstance> resources, string? previous)
    {
        if (resources.All(r => r.Ready))
        {
            return WorkloadInstanceStatus.Healthy;
        }

        if (previous is not (WorkloadInstanceStatus.Healthy or WorkloadInstanceStatus.Unhealthy or WorkloadInstanceStatus.Down))
        {
            return WorkloadInstanceStatus.Reconciling;
        }

        var running = resources.Where(r => ResourceHealth.Runs(r.Kind)).ToList();
        return running.Count > 0 && running.All(r => !r.Ready) ? WorkloadInstanceStatus.Down : WorkloadInstanceStatus.Unhealthy;
    }
}
