using System.Text.Json.Nodes;

namespace Threeport.Modules.DevCluster.Patching;

// RFC 7386 JSON merge patch: objects merge, null deletes, everything else replaces.
internal static class MergePatch
{
    public static JsonObject Apply(JsonObject target, JsonObject patch)
    {
        var result = target.DeepClone().AsObject();
        MergeInto(result, patch);
        return result;
    }

    private static void MergeInto(JsonObject target, JsonObject patch)
    {
        foreach (var (key, value) in patch)
        {
            if (value is null)
            {
                target.Remove(key);
            }
            else if (value is JsonObject po && target[key] is JsonObject to)
            {
                MergeInto(to, po);
            }
            else if (value is JsonObject newObject)
            {
                var fresh = new JsonObject();
                MergeInto(fresh, newObject);
                target[key] = fresh;
            }
            else
            {
                target[key] = value.DeepClone();
            }
        }
    }
}
