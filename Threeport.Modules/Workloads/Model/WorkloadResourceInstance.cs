using Threeport.Modules.Platform.Objects;

namespace Threeport.Modules.Workloads.Model;

// One resource of an instance as applied to its runtime, with what the cluster reports about it.
public sealed class WorkloadResourceInstance : ThreeportObject
{
    [ControlPlaneOwned]
    public long WorkloadInstanceID { get; set; }

    // The resource as applied (labels and namespace added).
    [ControlPlaneOwned]
    public string JSONDefinition { get; set; } = "";

    [ControlPlaneOwned]
    public string APIVersion { get; set; } = "";

    [ControlPlaneOwned]
    public string Kind { get; set; } = "";

    [ControlPlaneOwned]
    public string ResourceName { get; set; } = "";

    [ControlPlaneOwned]
    public string? ResourceNamespace { get; set; }

    // Applying (recorded before its first apply), Created, Updated, Unchanged or Failed.
    [ControlPlaneOwned]
    public string? LastOperation { get; set; }

    // The live object's status, as the cluster last reported it (JSON).
    [ControlPlaneOwned]
    public string? RuntimeDefinition { get; set; }

    // Whether the cluster reports the resource ready (deployments available, pods ready, claims bound).
    [ControlPlaneOwned]
    public bool Ready { get; set; }

    // metadata.generation after our last apply: a higher one means someone else changed the spec.
    [ControlPlaneOwned]
    public long? AppliedGeneration { get; set; }

    [ControlPlaneOwned]
    public string? ResourceUID { get; set; }

    // Position in apply order; teardown runs backwards.
    [ControlPlaneOwned]
    public int ApplyOrder { get; set; }

    // Whether deleting the instance deletes this resource (false for a namespace that existed before).
    [ControlPlaneOwned]
    public bool Owned { get; set; } = true;
}
