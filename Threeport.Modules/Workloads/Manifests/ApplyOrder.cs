namespace Threeport.Modules.Workloads.Manifests;

// The order resources are applied in, so each finds what it needs already there; teardown is the reverse.
public static class ApplyOrder
{
    private static readonly string[][] Ranks =
    [
        ["Namespace"],
        ["CustomResourceDefinition"],
        ["ServiceAccount"],
        ["ClusterRole", "Role"],
        ["ClusterRoleBinding", "RoleBinding"],
        ["ConfigMap"],
        ["Secret"],
        ["PersistentVolume", "PersistentVolumeClaim", "StorageClass"],
        ["Service"],
        ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"],
        ["Ingress"],
    ];

    // From ConfigMaps on, nothing Kubernetes checks at apply time depends on another of these being there (a pod waits
    // for its ConfigMap or claim, a Service finds its pods whenever they come), so they can go to the cluster together.
    private static readonly int FirstIndependentRank = RankOf("ConfigMap");

    private static readonly int LastIndependentRank = RankOf("Ingress");

    public static int RankOf(string kind)
    {
        for (var rank = 0; rank < Ranks.Length; rank++)
        {
            if (Ranks[rank].Contains(kind))
            {
                return rank;
            }
        }

        return Ranks.Length;
    }

    // Groups of `sorted` (in apply order) to apply one after the other, each group's items together: one group of
    // all the consecutive independent kinds, every other item alone (a namespace, a CRD, RBAC and kinds this
    // order does not know keep their one-by-one order).
    public static IReadOnlyList<IReadOnlyList<T>> Waves<T>(IReadOnlyList<T> sorted, Func<T, string> kind)
    {
        var waves = new List<IReadOnlyList<T>>();
        List<T>? together = null;
        foreach (var item in sorted)
        {
            var rank = RankOf(kind(item));
            if (rank < FirstIndependentRank || rank > LastIndependentRank)
            {
                together = null;
                waves.Add([item]);
            }
            else if (together is null)
            {
                together = [item];
                waves.Add(together);
            }
            else
            {
                together.Add(item);
            }
        }

        return waves;
    }

    public static IReadOnlyList<T> Sort<T>(IEnumerable<T> items, Func<T, string> kind) =>
        items.Select((item, index) => (item, index)).OrderBy(x => RankOf(kind(x.item))).ThenBy(x => x.index).Select(x => x.item).ToList();
}
