using System.ComponentModel.DataAnnotations;
using Threeport.Modules.Platform.Objects;

namespace Threeport.Modules.Workloads.Model;

// A definition running on one runtime.
public sealed class WorkloadInstance : ReconciledObject
{
    [Required]
    public string Name { get; set; } = "";

    [Required]
    public long? WorkloadDefinitionID { get; set; }

    // The default runtime when not given; fixed once set, since moving would orphan what runs.
    public long? KubernetesRuntimeInstanceID { get; set; }

    // Threeport's values: Reconciling, Healthy, Unhealthy, Down, Error; computed from the live resources.
    [ControlPlaneOwned]
    public string? Status { get; set; }

    // The namespace the instance's namespaced resources run in.
    [ControlPlaneOwned]
    public string? Namespace { get; set; }
}
