namespace Threeport.Modules.Platform.Client;

// One REST collection of the Threeport v0 API: `Type` is the envelope's Type and the object's type name,
// `Path` the kebab-case plural under /v0, `Title` how people call it in messages.
public sealed record ApiRoute(string Type, string Path, string Title)
{
    public static readonly ApiRoute WorkloadDefinitions = new("WorkloadDefinition", "workload-definitions", "workload definition");
    public static readonly ApiRoute WorkloadInstances = new("WorkloadInstance", "workload-instances", "workload instance");
    public static readonly ApiRoute WorkloadResourceDefinitions = new("WorkloadResourceDefinition", "workload-resource-definitions", "workload resource definition");
    public static readonly ApiRoute WorkloadResourceInstances = new("WorkloadResourceInstance", "workload-resource-instances", "workload resource instance");
    public static readonly ApiRoute WorkloadEvents = new("WorkloadEvent", "workload-events", "workload event");
    public static readonly ApiRoute KubernetesRuntimeDefinitions = new("KubernetesRuntimeDefinition", "kubernetes-runtime-definitions", "kubernetes runtime definition");
    public static readonly ApiRoute KubernetesRuntimeInstances = new("KubernetesRuntimeInstance", "kubernetes-runtime-instances", "kubernetes runtime instance");
    public static readonly ApiRoute Events = new("Event", "events", "event");

    public string RelativeUri => "v0/" + Path;

    public override string ToString() => Path;
}
