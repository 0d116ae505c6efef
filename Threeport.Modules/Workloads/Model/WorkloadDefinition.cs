using System.ComponentModel.DataAnnotations;
using Threeport.Modules.Platform.Objects;

namespace Threeport.Modules.Workloads.Model;

// What to run: a multi-document Kubernetes manifest.
public sealed class WorkloadDefinition : ReconciledObject
{
    [Required]
    public string Name { get; set; } = "";

    [Required]
    public string YAMLDocument { get; set; } = "";
}
