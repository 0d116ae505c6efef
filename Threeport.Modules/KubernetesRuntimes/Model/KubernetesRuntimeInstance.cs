using System.ComponentModel.DataAnnotations;
using Threeport.Modules.Platform.Objects;

namespace Threeport.Modules.KubernetesRuntimes.Model;

// One cluster workloads run on, and how to reach it: a kubeconfig file (and context), or an inline kubeconfig.
public sealed class KubernetesRuntimeInstance : ReconciledObject
{
    [Required]
    public string Name { get; set; } = "";

    [Required]
    public long? KubernetesRuntimeDefinitionID { get; set; }

    // Threeport's location names (Local, NorthAmerica:NewYork, ...); fixed once set.
    public string? Location { get; set; }

    // Used when a workload instance names no runtime.
    public bool DefaultRuntime { get; set; }

    // The runtime the control plane itself runs beside (the embedded dev cluster).
    public bool ThreeportControlPlaneHost { get; set; }

    public string? KubeconfigPath { get; set; }

    public string? KubeconfigContext { get; set; }

    // A whole kubeconfig document; sensitive: it may hold credentials.
    [Sensitive]
    public string? Kubeconfig { get; set; }

    // The API server address, as found in the kubeconfig.
    [ControlPlaneOwned]
    public string? APIEndpoint { get; set; }

    // The cluster's gitVersion, read by the last successful check.
    [ControlPlaneOwned]
    public string? ServerVersion { get; set; }

    [ControlPlaneOwned]
    public DateTimeOffset? LastReachedAt { get; set; }
}
