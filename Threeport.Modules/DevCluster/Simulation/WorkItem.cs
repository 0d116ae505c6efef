namespace Threeport.Modules.DevCluster.Simulation;

// Something for the simulated controllers to look at: an object that changed or whose timer fired.
internal sealed record WorkItem(string ResourceKey, string Namespace, string Name, bool TimerFired = false, bool Deleted = false, string[]? OwnerUids = null)
{
    // The object as the change left it (for deletions, its last state).
    public byte[]? Json { get; init; }
}
