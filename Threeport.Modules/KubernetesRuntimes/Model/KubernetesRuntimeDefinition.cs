using System.ComponentModel.DataAnnotations;
using Threeport.Modules.Platform.Objects;

namespace Threeport.Modules.KubernetesRuntimes.Model;

// A kind of cluster: how it is provided. Only providers reachable from here are accepted.
public sealed class KubernetesRuntimeDefinition : ReconciledObject
{
    public const string KindProvider = "kind";

    [Required]
    public string Name { get; set; } = "";

    // "kind": an existing cluster (kind, the embedded dev cluster, any cluster by kubeconfig).
    [Required]
    public string InfraProvider { get; set; } = "";

    public string? InfraProviderAccountName { get; set; }

    public bool? HighAvailability { get; set; }

    public string? NodeSize { get; set; }

    public string? NodeProfile { get; set; }

    public int? NodeMaximum { get; set; }
}
