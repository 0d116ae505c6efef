namespace Threeport.Modules.DevCluster.Simulation;

// Something for the simulated controllers to look at: an object that changed or whose timer fired.
internal sealed record WorkItem(string ResourceKey, string Namespace, string Name, bool TimerFired = false, bool Deleted = false)
{
    // The object as the change left it (for deletions, its last state); null for a nudge (a timer, an owner to look at).
    public byte[]? Json { get; init; }

    public (string ResourceKey, string Namespace, string Name) Key => (ResourceKey, Namespace, Name);

    // The same object's later item, folded into this one while it waits: a later change says what the object is now;
    // a nudge only adds that a timer fired.
    public WorkItem Merge(WorkItem later) => later.Json is null
        ? this with { TimerFired = TimerFired || later.TimerFired }
        : later with { TimerFired = TimerFired || later.TimerFired };
}
