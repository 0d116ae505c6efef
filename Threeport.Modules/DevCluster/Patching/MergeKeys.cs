using System.Text.Json.Nodes;

namespace Threeport.Modules.DevCluster.Patching;

// Which lists merge by which key, by field name, as the Kubernetes types declare with
// patchMergeKey. Names are unique enough across the built-in types that no type context is needed;
// "ports" is the exception (containerPort in containers, port in services), resolved from the items.
internal static class MergeKeys
{
    private static readonly Dictionary<string, string[]> Keys = new(StringComparer.Ordinal)
    {
        ["containers"] = ["name"],
        ["initContainers"] = ["name"],
        ["ephemeralContainers"] = ["name"],
        ["ports"] = ["containerPort", "port"],
        ["env"] = ["name"],
        ["volumes"] = ["name"],
        ["volumeMounts"] = ["mountPath"],
        ["volumeDevices"] = ["devicePath"],
        ["imagePullSecrets"] = ["name"],
        ["hostAliases"] = ["ip"],
        ["conditions"] = ["type"],
        ["ownerReferences"] = ["uid"],
        ["topologySpreadConstraints"] = ["topologyKey"],
        ["secrets"] = ["name"],
        ["resourceClaims"] = ["name"],
        ["schedulingGates"] = ["name"],
        ["taints"] = ["key"],
        ["readinessGates"] = ["conditionType"],
    };

    // Lists of scalars that merge as sets instead of being replaced.
    private static readonly HashSet<string> SetLists = new(StringComparer.Ordinal) { "finalizers" };

    public static bool IsSetList(string field) => SetLists.Contains(field);

    // The merge key for this list field, judged from the items that will be merged; null = atomic list.
    public static string? For(string field, params JsonArray?[] lists)
    {
        if (!Keys.TryGetValue(field, out var candidates))
        {
            return null;
        }

        foreach (var key in candidates)
        {
            var items = lists.Where(l => l is not null).SelectMany(l => l!).ToList();
            if (items.Count > 0 && items.All(i => i is JsonObject o && (o.ContainsKey(key) || o.ContainsKey("$patch"))))
            {
                return key;
            }
        }

        return null;
    }
}
