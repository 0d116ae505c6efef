using Threeport.Modules.Platform.Objects;

namespace Threeport.Modules.Workloads.Model;

// One resource of a definition's manifest, as JSON; written by the definition's reconciler.
public sealed class WorkloadResourceDefinition : ThreeportObject
{
    [ControlPlaneOwned]
    public string JSONDefinition { get; set; } = "";

    [ControlPlaneOwned]
    public long WorkloadDefinitionID { get; set; }
}
