using System.Globalization;
using System.Text.Json.Nodes;

namespace Threeport.Modules.Platform.Client;

// Reading the common fields of an API object kept as a JsonObject (PascalCase keys, Threeport's wire names).
public static class ThreeportObject
{
    public static long Id(this JsonObject obj) =>
        obj.GetLong("ID") ?? throw new InvalidOperationException("API object has no ID");

    public static string? Name(this JsonObject obj) => obj.GetString("Name");

    public static string? GetString(this JsonObject obj, string field) =>
        obj[field] is JsonValue v && v.TryGetValue<string>(out var s) ? s : obj[field]?.ToString();

    public static long? GetLong(this JsonObject obj, string field) => obj[field] switch
    {
        JsonValue v when v.TryGetValue<long>(out var l) => l,
        JsonValue v when v.TryGetValue<string>(out var s) && long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) => p,
        _ => null,
    };

    public static bool GetBool(this JsonObject obj, string field) =>
        obj[field] is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    public static DateTimeOffset? GetTime(this JsonObject obj, string field) =>
        obj[field] is JsonValue v && v.TryGetValue<string>(out var s)
            && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            && t.Year > 1 // Go's zero time "0001-01-01T00:00:00Z" means unset
            ? t
            : null;
}
