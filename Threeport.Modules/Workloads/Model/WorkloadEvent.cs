using Threeport.Modules.Platform.Objects;

namespace Threeport.Modules.Workloads.Model;

// Something the cluster (or the controller) said about an instance's resources.
public sealed class WorkloadEvent : ThreeportObject
{
    // The Kubernetes Event's uid, or a controller-made id for events the controller emits.
    [ControlPlaneOwned]
    public string RuntimeEventUID { get; set; } = "";

    [ControlPlaneOwned]
    public string Type { get; set; } = "";

    [ControlPlaneOwned]
    public string Reason { get; set; } = "";

    [ControlPlaneOwned]
    public string Message { get; set; } = "";

    [ControlPlaneOwned]
    public DateTimeOffset Timestamp { get; set; }

    [ControlPlaneOwned]
    public long WorkloadInstanceID { get; set; }

    [ControlPlaneOwned]
    public long? WorkloadResourceInstanceID { get; set; }
}
