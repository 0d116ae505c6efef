using Threeport.Modules.Platform.Client;

namespace Threeport.Host.Cli.Objects;

// A noun of the command grammar (`tptctl get workloads`, `tptctl create workload-instance`): the API
// collections it stands for, in creation order. Composites (workload, kubernetes-runtime) stand for a
// definition and an instance of the same name, as in Threeport.
public sealed record ObjectKind(string Singular, string Plural, string ConfigKey, string Title, IReadOnlyList<ApiRoute> Parts)
{
    public static readonly ObjectKind Workload = new("workload", "workloads", ObjectConfigParser.Workload, "workload",
        [ApiRoute.WorkloadDefinitions, ApiRoute.WorkloadInstances]);
    public static readonly ObjectKind WorkloadDefinition = new("workload-definition", "workload-definitions", ObjectConfigParser.WorkloadDefinition,
        "workload definition", [ApiRoute.WorkloadDefinitions]);
    public static readonly ObjectKind WorkloadInstance = new("workload-instance", "workload-instances", ObjectConfigParser.WorkloadInstance,
        "workload instance", [ApiRoute.WorkloadInstances]);
    public static readonly ObjectKind KubernetesRuntime = new("kubernetes-runtime", "kubernetes-runtimes", ObjectConfigParser.KubernetesRuntime,
        "kubernetes runtime", [ApiRoute.KubernetesRuntimeDefinitions, ApiRoute.KubernetesRuntimeInstances]);
    public static readonly ObjectKind KubernetesRuntimeDefinition = new("kubernetes-runtime-definition", "kubernetes-runtime-definitions",
        ObjectConfigParser.KubernetesRuntimeDefinition, "kubernetes runtime definition", [ApiRoute.KubernetesRuntimeDefinitions]);
    public static readonly ObjectKind KubernetesRuntimeInstance = new("kubernetes-runtime-instance", "kubernetes-runtime-instances",
        ObjectConfigParser.KubernetesRuntimeInstance, "kubernetes runtime instance", [ApiRoute.KubernetesRuntimeInstances]);

    public static readonly IReadOnlyList<ObjectKind> All =
        [Workload, WorkloadDefinition, WorkloadInstance, KubernetesRuntime, KubernetesRuntimeDefinition, KubernetesRuntimeInstance];

    public bool IsComposite => Parts.Count > 1;

    public static ObjectKind ForConfigKey(string key) => All.Single(k => k.ConfigKey == key);

    // `-n NAME` for a composite means the definition and the instance of that name.
    public IReadOnlyList<ObjectSpec> SpecsByName(string name) => Parts.Select(r => ObjectSpec.ByName(r, name)).ToList();

    public string SampleConfig => ConfigKey switch
    {
        ObjectConfigParser.Workload => "wordpress-workload-local.yaml",
        ObjectConfigParser.WorkloadDefinition => "wordpress-workload-definition-local.yaml",
        ObjectConfigParser.WorkloadInstance => "wordpress-workload-instance-local.yaml",
        ObjectConfigParser.KubernetesRuntime => "k8s-runtime.yaml",
        ObjectConfigParser.KubernetesRuntimeDefinition => "k8s-runtime-definition.yaml",
        _ => "k8s-runtime-instance.yaml",
    };

    public string SampleName => ConfigKey switch
    {
        ObjectConfigParser.Workload or ObjectConfigParser.WorkloadDefinition => "wordpress",
        ObjectConfigParser.WorkloadInstance => "wordpress-01",
        ObjectConfigParser.KubernetesRuntimeInstance => "eks-k8s-runtime-01",
        _ => "eks-k8s-runtime",
    };
}
