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

    public static IReadOnlyList<T> Sort<T>(IEnumerable<T> items, Func<T, string> kind) =>
        items.Select((item, index) => (item, index)).OrderBy(x => RankOf(kind(x.item))).ThenBy(x => x.index).Select(x => x.item).ToList();
}
