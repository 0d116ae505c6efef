using System.Text.Json.Nodes;

namespace Threeport.Modules.DevCluster.Patching;

// Strategic merge patch as kubectl sends it: keyed lists merge by their merge key, null deletes,
// and the directives $patch (replace/delete), $retainKeys, $setElementOrder/<list> and
// $deleteFromPrimitiveList/<list> are honoured. Lists without a known key are replaced.
internal static class StrategicMergePatch
{
    public static JsonObject Apply(JsonObject target, JsonObject patch)
    {
        var result = target.DeepClone().AsObject();
        return MergeObject(result, patch) ?? new JsonObject();
    }

    private static JsonObject? MergeObject(JsonObject target, JsonObject patch)
    {
        switch (ObjectJson(patch["$patch"]))
        {
            case "delete":
                return null;
            case "replace":
                var replaced = patch.DeepClone().AsObject();
                replaced.Remove("$patch");
                return replaced;
        }

        foreach (var (key, value) in patch)
        {
            if (key == "$patch" || key == "$retainKeys" || key.StartsWith("$setElementOrder/", StringComparison.Ordinal))
            {
                continue;
            }

            if (key.StartsWith("$deleteFromPrimitiveList/", StringComparison.Ordinal))
            {
                var field = key["$deleteFromPrimitiveList/".Length..];
                if (target[field] is JsonArray list && value is JsonArray drop)
                {
                    foreach (var item in list.Where(i => drop.Any(d => JsonNode.DeepEquals(d, i))).ToList())
                    {
                        list.Remove(item);
                    }
                }

                continue;
            }

            if (value is null)
            {
                target.Remove(key);
            }
            else if (value is JsonObject po)
            {
                var merged = MergeObject(target[key] as JsonObject ?? new JsonObject(), po);
                if (merged is null)
                {
                    target.Remove(key);
                }
                else
                {
                    target[key] = merged;
                }
            }
            else if (value is JsonArray pa)
            {
                target[key] = MergeList(key, target[key] as JsonArray, pa);
            }
            else
            {
                target[key] = value.DeepClone();
            }
        }

        if (patch["$retainKeys"] is JsonArray retain)
        {
            var keep = retain.Select(ObjectJson).ToHashSet();
            foreach (var k in target.Select(kv => kv.Key).Where(k => !keep.Contains(k)).ToList())
            {
                target.Remove(k);
            }
        }

        return target;
    }

    private static JsonArray MergeList(string field, JsonArray? target, JsonArray patch)
    {
        if (patch.Any(i => i is JsonObject o && ObjectJson(o["$patch"]) == "replace"))
        {
            return new JsonArray(patch.Where(i => !(i is JsonObject o && o.ContainsKey("$patch"))).Select(i => i?.DeepClone()).ToArray());
        }

        if (MergeKeys.IsSetList(field) && target is not null)
        {
            var union = target.DeepClone().AsArray();
            foreach (var item in patch.Where(item => !union.Any(u => JsonNode.DeepEquals(u, item))))
            {
                union.Add(item?.DeepClone());
            }

            return union;
        }

        var key = MergeKeys.For(field, patch);
        if (key is null || target is null)
        {
            return new JsonArray(patch.Where(i => !(i is JsonObject o && o.ContainsKey("$patch"))).Select(i => i?.DeepClone()).ToArray());
        }

        var result = target.DeepClone().AsArray();
        foreach (var item in patch.OfType<JsonObject>())
        {
            var existing = result.OfType<JsonObject>().FirstOrDefault(e => JsonNode.DeepEquals(e[key], item[key]));
            if (ObjectJson(item["$patch"]) == "delete")
            {
                if (existing is not null)
                {
                    result.Remove(existing);
                }

                continue;
            }

            if (existing is null)
            {
                result.Add(MergeObject(new JsonObject(), item));
            }
            else
            {
                var merged = MergeObject(existing.DeepClone().AsObject(), item);
                var index = result.IndexOf(existing);
                result[index] = merged;
            }
        }

        return result;
    }

    private static string? ObjectJson(JsonNode? n) => Api.ObjectJson.Str(n);
}
