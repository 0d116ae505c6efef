using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Threeport.Modules.Platform.Objects;

namespace Threeport.Modules.Platform.Api;

// Writes a validated request body onto an object: unknown, control-plane-owned and identity fields, wrong
// JSON types, missing required fields and bad names are reported, each as a sentence a person can act on.
internal static partial class ObjectBinder
{
    private const int MaxNameLength = 63;

    public static List<string> Apply(ObjectType type, JsonObject body, object target)
    {
        var problems = new List<string>();
        var unknown = new List<string>();
        foreach (var (name, value) in body)
        {
            if (!type.Schema.Fields.TryGetValue(name, out var field))
            {
                unknown.Add(name);
                continue;
            }

            switch (field.Access)
            {
                case FieldAccess.Identity:
                    problems.Add($"{field.Name} is set by the control plane and cannot be written: remove it from the request");
                    continue;
                case FieldAccess.ControlPlaneOwned:
                    problems.Add($"{field.Name} is status written by the control plane: remove it from the request");
                    continue;
            }

            if (field.Sensitive && value is JsonValue redacted && redacted.TryGetValue<string>(out var text) && text == SensitiveAttribute.Redacted)
            {
                problems.Add($"{field.Name} holds the placeholder {SensitiveAttribute.Redacted} from a list: send the real value, or leave the field out to keep the stored one");
                continue;
            }

            if (Convert(field, value, out var converted, out var problem))
            {
                field.Property.SetValue(target, converted);
            }
            else
            {
                problems.Add(problem!);
            }
        }

        if (unknown.Count > 0)
        {
            problems.Insert(0, $"unsupported field(s): {string.Join(", ", unknown)}; {type.Name} accepts {string.Join(", ", type.Schema.Writable.Select(f => f.Name))}");
        }

        return problems;
    }

    public static List<string> CheckRequired(ObjectType type, object target)
    {
        var missing = type.Schema.Required
            .Where(f => f.Property.GetValue(target) is null or "")
            .Select(f => f.Name)
            .ToList();
        var problems = missing.Count > 0 ? [$"missing required field(s): {string.Join(", ", missing)}"] : new List<string>();
        if (type.Schema.Fields.TryGetValue("Name", out var nameField) && nameField.Property.GetValue(target) is string { Length: > 0 } name && !IsDnsLabel(name))
        {
            problems.Add($"Name '{Shorten(name)}' is not valid: use at most {MaxNameLength} lower-case letters, digits and '-', starting and ending with a letter or digit (it becomes a Kubernetes name)");
        }

        return problems;
    }

    public static bool IsDnsLabel(string name) => name.Length <= MaxNameLength && DnsLabel().IsMatch(name);

    private static bool Convert(ObjectField field, JsonNode? value, out object? converted, out string? problem)
    {
        problem = null;
        converted = null;
        if (value is null)
        {
            // JSON merge-patch: null clears an optional field.
            if (field.Type.IsValueType && Nullable.GetUnderlyingType(field.Type) is null)
            {
                problem = $"field {field.Name} cannot be null: it must be {field.TypeDescription}";
                return false;
            }

            return true;
        }

        try
        {
            converted = value.Deserialize(field.Type, ApiJson.Options);
            return true;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException or NotSupportedException)
        {
            problem = $"field {field.Name} must be {field.TypeDescription}, not {Describe(value)}";
            return false;
        }
    }

    private static string Describe(JsonNode value) => value.GetValueKind() switch
    {
        JsonValueKind.String => $"the string '{Shorten(value.GetValue<string>())}'",
        JsonValueKind.Number => $"the number {Shorten(value.ToJsonString())}",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        var kind => kind.ToString().ToLowerInvariant(),
    };

    private static string Shorten(string text) => text.Length <= 64 ? text : text[..61] + "...";

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex DnsLabel();
}
