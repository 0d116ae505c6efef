using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Threeport.Modules.DevCluster.Api;

namespace Threeport.Modules.DevCluster.Patching;

// Field ownership paths in the managedFields (FieldsV1) vocabulary: "f:spec" for a field,
// "k:{\"name\":\"web\"}" for an item of a keyed list. A path is its segments joined by \u001f;
// only leaves are tracked (scalars, atomic lists, empty objects).
internal static class FieldPaths
{
    private const char Separator = '\u001f';

    private static readonly HashSet<string> IgnoredMetadata = new(StringComparer.Ordinal)
    {
        "name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "deletionTimestamp", "selfLink",
    };

    public static HashSet<string> Leaves(JsonObject obj)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in obj)
        {
            if (key is "apiVersion" or "kind")
            {
                continue;
            }

            if (key == "metadata" && value is JsonObject meta)
            {
                foreach (var (mk, mv) in meta)
                {
                    if (!IgnoredMetadata.Contains(mk))
                    {
                        Walk(mk, mv, "f:metadata" + Separator + "f:" + mk, result);
                    }
                }

                continue;
            }

            Walk(key, value, "f:" + key, result);
        }

        return result;
    }

    public static JsonObject ToFieldsV1(IEnumerable<string> leaves)
    {
        var root = new JsonObject();
        foreach (var leaf in leaves)
        {
            var node = root;
            foreach (var seg in leaf.Split(Separator))
            {
                if (node[seg] is not JsonObject child)
                {
                    child = new JsonObject();
                    node[seg] = child;
                }

                node = child;
            }
        }

        return root;
    }

    public static HashSet<string> FromFieldsV1(JsonNode? fields)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        if (fields is JsonObject o)
        {
            Collect(o, "", result);
        }

        return result;
    }

    public static JsonNode? ValueAt(JsonNode? node, string path)
    {
        foreach (var seg in path.Split(Separator))
        {
            node = Step(node, seg, out _, out _);
            if (node is null)
            {
                return null;
            }
        }

        return node;
    }

    public static void RemoveAt(JsonObject root, string path)
    {
        var segs = path.Split(Separator);
        JsonNode? node = root;
        for (var i = 0; i < segs.Length - 1 && node is not null; i++)
        {
            node = Step(node, segs[i], out _, out _);
        }

        if (node is null)
        {
            return;
        }

        Step(node, segs[^1], out var parent, out var index);
        switch (parent)
        {
            case JsonObject po when segs[^1].StartsWith("f:", StringComparison.Ordinal):
                po.Remove(segs[^1][2..]);
                break;
            case JsonArray pa when index >= 0:
                pa.RemoveAt(index);
                break;
        }
    }

    // .spec.replicas, .spec.template.spec.containers[name="web"].image: the form conflict messages use.
    public static string Display(string path)
    {
        var sb = new StringBuilder();
        foreach (var seg in path.Split(Separator))
        {
            if (seg.StartsWith("f:", StringComparison.Ordinal))
            {
                sb.Append('.').Append(seg[2..]);
            }
            else if (JsonNode.Parse(seg[2..]) is JsonObject k)
            {
                sb.Append('[').Append(string.Join(",", k.Select(kv => $"{kv.Key}={kv.Value?.ToJsonString(ObjectJson.Options)}"))).Append(']');
            }
        }

        return sb.ToString();
    }

    private static void Walk(string field, JsonNode? value, string path, HashSet<string> result)
    {
        switch (value)
        {
            case JsonObject o when o.Count > 0:
                foreach (var (k, v) in o)
                {
                    Walk(k, v, path + Separator + "f:" + k, result);
                }

                break;
            case JsonArray a when MergeKeys.For(field, a) is { } key && a.All(i => i is JsonObject io && io.ContainsKey(key)):
                foreach (var item in a.OfType<JsonObject>())
                {
                    var itemPath = path + Separator + "k:" + new JsonObject { [key] = item[key]?.DeepClone() }.ToJsonString(ObjectJson.Options);
                    var any = false;
                    foreach (var (k, v) in item)
                    {
                        Walk(k, v, itemPath + Separator + "f:" + k, result);
                        any = true;
                    }

                    if (!any)
                    {
                        result.Add(itemPath);
                    }
                }

                break;
            default:
                result.Add(path);
                break;
        }
    }

    private static void Collect(JsonObject node, string prefix, HashSet<string> result)
    {
        var children = node.Where(kv => kv.Key != ".").ToList();
        if (children.Count == 0 && prefix.Length > 0)
        {
            result.Add(prefix);
            return;
        }

        foreach (var (k, v) in children)
        {
            var path = prefix.Length == 0 ? k : prefix + Separator + k;
            if (v is JsonObject child)
            {
                Collect(child, path, result);
            }
            else
            {
                result.Add(path);
            }
        }
    }

    private static JsonNode? Step(JsonNode? node, string seg, out JsonNode? parent, out int index)
    {
        parent = node;
        index = -1;
        if (seg.StartsWith("f:", StringComparison.Ordinal))
        {
            return node is JsonObject o ? o[seg[2..]] : null;
        }

        if (seg.StartsWith("k:", StringComparison.Ordinal) && node is JsonArray a)
        {
            JsonObject? key;
            try
            {
                key = JsonNode.Parse(seg[2..]) as JsonObject;
            }
            catch (JsonException)
            {
                return null;
            }

            for (var i = 0; i < a.Count; i++)
            {
                if (a[i] is JsonObject item && key is not null && key.All(kv => JsonNode.DeepEquals(item[kv.Key], kv.Value)))
                {
                    index = i;
                    return item;
                }
            }
        }

        return null;
    }
}
