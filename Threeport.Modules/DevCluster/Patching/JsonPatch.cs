using System.Globalization;
using System.Text.Json.Nodes;
using Threeport.Modules.DevCluster.Api;

namespace Threeport.Modules.DevCluster.Patching;

// RFC 6902: add, remove, replace, move, copy, test.
internal static class JsonPatch
{
    public static JsonObject Apply(JsonObject target, JsonNode patch)
    {
        if (patch is not JsonArray ops)
        {
            throw ApiException.BadRequest("json patch must be an array of operations");
        }

        JsonNode root = target.DeepClone();
        foreach (var opNode in ops)
        {
            var op = ObjectJson.Str(opNode?["op"]);
            var path = ObjectJson.Str(opNode?["path"]) ?? throw ApiException.BadRequest("json patch operation without path");
            switch (op)
            {
                case "add":
                    root = Add(root, path, opNode!["value"]?.DeepClone());
                    break;
                case "remove":
                    root = Remove(root, path, out _);
                    break;
                case "replace":
                    root = Remove(root, path, out _);
                    root = Add(root, path, opNode!["value"]?.DeepClone());
                    break;
                case "move":
                    root = Remove(root, ObjectJson.Str(opNode!["from"]) ?? "", out var moved);
                    root = Add(root, path, moved);
                    break;
                case "copy":
                    root = Add(root, path, Get(root, ObjectJson.Str(opNode!["from"]) ?? "")?.DeepClone());
                    break;
                case "test":
                    if (!JsonNode.DeepEquals(Get(root, path), opNode!["value"]))
                    {
                        throw new ApiException(422, "Invalid", $"the server rejected our request due to an error in our request: test operation failed at {path}");
                    }

                    break;
                default:
                    throw ApiException.BadRequest($"unexpected json patch operation '{op}'");
            }
        }

        return root as JsonObject ?? throw ApiException.BadRequest("json patch must leave an object");
    }

    private static string[] Tokens(string pointer) =>
        pointer.Length == 0 ? [] : pointer.TrimStart('/').Split('/').Select(t => t.Replace("~1", "/").Replace("~0", "~")).ToArray();

    private static JsonNode? Get(JsonNode root, string pointer)
    {
        JsonNode? n = root;
        foreach (var t in Tokens(pointer))
        {
            n = n switch
            {
                JsonObject o => o[t],
                JsonArray a when int.TryParse(t, CultureInfo.InvariantCulture, out var i) && i >= 0 && i < a.Count => a[i],
                _ => throw Missing(pointer),
            };
        }

        return n;
    }

    private static JsonNode Add(JsonNode root, string pointer, JsonNode? value)
    {
        var tokens = Tokens(pointer);
        if (tokens.Length == 0)
        {
            return value ?? throw ApiException.BadRequest("cannot replace the document with null");
        }

        var parent = Get(root, Parent(tokens));
        var last = tokens[^1];
        switch (parent)
        {
            case JsonObject o:
                o[last] = value;
                break;
            case JsonArray a when last == "-":
                a.Add(value);
                break;
            case JsonArray a when int.TryParse(last, CultureInfo.InvariantCulture, out var i) && i >= 0 && i <= a.Count:
                a.Insert(i, value);
                break;
            default:
                throw Missing(pointer);
        }

        return root;
    }

    private static JsonNode Remove(JsonNode root, string pointer, out JsonNode? removed)
    {
        var tokens = Tokens(pointer);
        if (tokens.Length == 0)
        {
            throw Missing(pointer);
        }

        var parent = Get(root, Parent(tokens));
        var last = tokens[^1];
        switch (parent)
        {
            case JsonObject o when o.ContainsKey(last):
                removed = o[last];
                o.Remove(last);
                return root;
            case JsonArray a when int.TryParse(last, CultureInfo.InvariantCulture, out var i) && i >= 0 && i < a.Count:
                removed = a[i];
                a.RemoveAt(i);
                return root;
            default:
                throw Missing(pointer);
        }
    }

    private static string Parent(string[] tokens) =>
        tokens.Length <= 1 ? "" : "/" + string.Join('/', tokens[..^1].Select(Escape));

    private static string Escape(string t) => t.Replace("~", "~0").Replace("/", "~1");

    private static ApiException Missing(string pointer) =>
        new(422, "Invalid", $"the server rejected our request due to an error in our request: path {pointer} does not exist");
}
