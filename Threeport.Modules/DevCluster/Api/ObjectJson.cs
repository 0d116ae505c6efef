using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using JsonElementFields = Threeport.Modules.Platform.Kubernetes.JsonElementFields;

namespace Threeport.Modules.DevCluster.Api;

// Small helpers over JsonObject bodies; objects are kept as JSON, never as typed models.
internal static class ObjectJson
{
    public static JsonObject Meta(JsonObject o)
    {
        if (o["metadata"] is JsonObject m)
        {
            return m;
        }

        m = new JsonObject();
        o["metadata"] = m;
        return m;
    }

    public static JsonObject Child(JsonObject o, string name)
    {
        if (o[name] is JsonObject c)
        {
            return c;
        }

        c = new JsonObject();
        o[name] = c;
        return c;
    }

    public static string? Str(JsonNode? n) =>
        n is JsonValue v && v.TryGetValue<string>(out var s) ? s : n is JsonValue other ? other.ToJsonString(Options).Trim('"') : null;

    public static string? Name(JsonObject o) => Str(o["metadata"]?["name"]);

    public static string? Namespace(JsonObject o) => Str(o["metadata"]?["namespace"]);

    public static string? Uid(JsonObject o) => Str(o["metadata"]?["uid"]);

    public static long? Long(JsonNode? n)
    {
        if (n is not JsonValue v)
        {
            return null;
        }

        if (v.TryGetValue<long>(out var l))
        {
            return l;
        }

        if (v.TryGetValue<int>(out var i))
        {
            return i;
        }

        if (v.TryGetValue<double>(out var d))
        {
            return (long)d;
        }

        if (v.TryGetValue<JsonElement>(out var e) && e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out var el))
        {
            return el;
        }

        return v.TryGetValue<string>(out var s) && long.TryParse(s, CultureInfo.InvariantCulture, out var p) ? p : null;
    }

    // Dotted path lookup (metadata.name, status.phase, involvedObject.uid).
    public static JsonNode? At(JsonNode? n, string dotted)
    {
        foreach (var part in dotted.Split('.'))
        {
            n = n is JsonObject o ? o[part] : null;
            if (n is null)
            {
                return null;
            }
        }

        return n;
    }

    // Relaxed escaping writes \" and non-ASCII text as the apiserver does, not \u0022.
    public static readonly JsonSerializerOptions Options = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] ToBytes(JsonNode n) => JsonSerializer.SerializeToUtf8Bytes(n, Options);

    public static JsonObject Parse(byte[] bytes) =>
        JsonNode.Parse(bytes) as JsonObject ?? throw ApiException.BadRequest("expected a JSON object");

    public static string Timestamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string MicroTimestamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    public static DateTimeOffset? ParseTime(JsonNode? n) =>
        Str(n) is { } s && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;

    public static Dictionary<string, string> Labels(JsonObject o)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (o["metadata"]?["labels"] is JsonObject labels)
        {
            foreach (var (k, v) in labels)
            {
                result[k] = Str(v) ?? "";
            }
        }

        return result;
    }

    // The same from stored bytes, without parsing the rest of the object into nodes.
    public static Dictionary<string, string> LabelsOf(byte[] json)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        using var doc = JsonDocument.Parse(json);
        if (JsonElementFields.Child(doc.RootElement, "metadata", out var meta) && JsonElementFields.Child(meta, "labels", out var labels))
        {
            foreach (var label in labels.EnumerateObject())
            {
                result[label.Name] = label.Value.ValueKind switch
                {
                    JsonValueKind.String => label.Value.GetString()!,
                    JsonValueKind.Null => "",
                    _ => label.Value.GetRawText(),
                };
            }
        }

        return result;
    }

    // Everything except metadata and status: a change here bumps metadata.generation.
    public static bool SpecEquals(JsonObject a, JsonObject b)
    {
        var x = a.DeepClone().AsObject();
        var y = b.DeepClone().AsObject();
        foreach (var key in new[] { "metadata", "status", "apiVersion", "kind" })
        {
            x.Remove(key);
            y.Remove(key);
        }

        return JsonNode.DeepEquals(x, y);
    }
}
