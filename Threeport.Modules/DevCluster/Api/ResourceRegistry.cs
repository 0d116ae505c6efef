namespace Threeport.Modules.DevCluster.Api;

// The table of servable resources. Built-ins are fixed; CRDs add and remove rows at runtime.
// Readers take an immutable snapshot, so discovery never blocks writers.
internal sealed class ResourceRegistry
{
    private readonly object gate = new();
    private IReadOnlyList<ResourceType> all;
    private long generation;

    public ResourceRegistry()
    {
        all = BuiltIns();
    }

    public IReadOnlyList<ResourceType> All => Volatile.Read(ref all);

    // Changes whenever a CRD adds or removes resources; used as the openapi hash.
    public long Generation => Interlocked.Read(ref generation);

    public ResourceType? Find(string group, string version, string plural)
    {
        foreach (var t in All)
        {
            if (t.Group == group && t.Version == version && t.Plural == plural)
            {
                return t;
            }
        }

        return null;
    }

    public ResourceType? FindByKey(string key)
    {
        foreach (var t in All)
        {
            if (t.Key == key)
            {
                return t;
            }
        }

        return null;
    }

    public ResourceType? FindByKind(string apiVersion, string kind)
    {
        foreach (var t in All)
        {
            if (t.GroupVersion == apiVersion && t.Kind == kind)
            {
                return t;
            }
        }

        return null;
    }

    public ResourceType Required(string group, string plural) =>
        All.First(t => t.Group == group && t.Plural == plural);

    // Replaces every row that came from the CRD named crdName with the given rows.
    public void SetCustom(string crdName, IReadOnlyList<ResourceType> rows)
    {
        lock (gate)
        {
            var next = all.Where(t => !(t.IsCustom && CrdName(t) == crdName)).Concat(rows).ToList();
            Volatile.Write(ref all, next);
            Interlocked.Increment(ref generation);
        }
    }

    public static string CrdName(ResourceType t) => t.Plural + "." + t.Group;

    private static List<ResourceType> BuiltIns()
    {
        var all = new[] { "all" };
        string[] none = [];
        return
        [
            new("", "v1", "namespaces", "namespace", "Namespace", false, ["ns"], none, true, false),
            new("", "v1", "configmaps", "configmap", "ConfigMap", true, ["cm"], none, false, false),
            new("", "v1", "secrets", "secret", "Secret", true, none, none, false, false),
            new("", "v1", "services", "service", "Service", true, ["svc"], all, true, false),
            new("", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", true, ["sa"], none, false, false),
            new("", "v1", "pods", "pod", "Pod", true, ["po"], all, true, false),
            new("", "v1", "persistentvolumeclaims", "persistentvolumeclaim", "PersistentVolumeClaim", true, ["pvc"], none, true, false),
            new("", "v1", "persistentvolumes", "persistentvolume", "PersistentVolume", false, ["pv"], none, true, false),
            new("", "v1", "events", "event", "Event", true, ["ev"], none, false, false),
            new("", "v1", "endpoints", "endpoints", "Endpoints", true, ["ep"], none, false, false),
            new("", "v1", "nodes", "node", "Node", false, ["no"], none, true, false),
            new("", "v1", "resourcequotas", "resourcequota", "ResourceQuota", true, ["quota"], none, true, false),
            new("", "v1", "limitranges", "limitrange", "LimitRange", true, ["limits"], none, false, false),
            new("apps", "v1", "deployments", "deployment", "Deployment", true, ["deploy"], all, true, true),
            new("apps", "v1", "statefulsets", "statefulset", "StatefulSet", true, ["sts"], all, true, true),
            new("apps", "v1", "daemonsets", "daemonset", "DaemonSet", true, ["ds"], all, true, false),
            new("apps", "v1", "replicasets", "replicaset", "ReplicaSet", true, ["rs"], all, true, true),
            new("apps", "v1", "controllerrevisions", "controllerrevision", "ControllerRevision", true, none, none, false, false),
            new("batch", "v1", "jobs", "job", "Job", true, none, all, true, false),
            new("batch", "v1", "cronjobs", "cronjob", "CronJob", true, ["cj"], all, true, false),
            new("networking.k8s.io", "v1", "ingresses", "ingress", "Ingress", true, ["ing"], none, true, false),
            new("networking.k8s.io", "v1", "ingressclasses", "ingressclass", "IngressClass", false, none, none, false, false),
            new("networking.k8s.io", "v1", "networkpolicies", "networkpolicy", "NetworkPolicy", true, ["netpol"], none, false, false),
            new("rbac.authorization.k8s.io", "v1", "roles", "role", "Role", true, none, none, false, false),
            new("rbac.authorization.k8s.io", "v1", "rolebindings", "rolebinding", "RoleBinding", true, none, none, false, false),
            new("rbac.authorization.k8s.io", "v1", "clusterroles", "clusterrole", "ClusterRole", false, none, none, false, false),
            new("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding", false, none, none, false, false),
            new("policy", "v1", "poddisruptionbudgets", "poddisruptionbudget", "PodDisruptionBudget", true, ["pdb"], none, true, false),
            new("autoscaling", "v2", "horizontalpodautoscalers", "horizontalpodautoscaler", "HorizontalPodAutoscaler", true, ["hpa"], all, true, false),
            new("storage.k8s.io", "v1", "storageclasses", "storageclass", "StorageClass", false, ["sc"], none, false, false),
            new("coordination.k8s.io", "v1", "leases", "lease", "Lease", true, none, none, false, false),
            new("apiextensions.k8s.io", "v1", "customresourcedefinitions", "customresourcedefinition", "CustomResourceDefinition", false, ["crd", "crds"], none, true, false),
        ];
    }
}
