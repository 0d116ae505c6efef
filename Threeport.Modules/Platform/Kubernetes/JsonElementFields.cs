using System.Text.Json;

namespace Threeport.Modules.Platform.Kubernetes;

// Fields of a Kubernetes object read from a JsonDocument over its bytes, for readers that need a few of them and
// not the object built as JSON nodes (the watcher's Events, the dev cluster's owner lookups). A field of another
// JSON kind than asked for reads as absent.
public static class JsonElementFields
{
    public static string? Text(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static bool Child(JsonElement parent, string name, out JsonElement child)
    {
        child = default;
        return parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out child) && child.ValueKind == JsonValueKind.Object;
    }
}
