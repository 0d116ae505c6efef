using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.Json.Serialization;

namespace Threeport.Modules.Platform.Objects;

public enum FieldAccess
{
    // Users write it.
    Writable,

    // Status: only the control plane writes it.
    ControlPlaneOwned,

    // ID, CreatedAt, UpdatedAt, Generation: set by the store.
    Identity,
}

public sealed record ObjectField(string Name, PropertyInfo Property, FieldAccess Access, bool Required, bool Filterable)
{
    // May hold credentials: encrypted at rest, redacted in lists, not filterable.
    public bool Sensitive => Property.GetCustomAttribute<SensitiveAttribute>() is not null;

    public Type Type => Property.PropertyType;

    public string TypeDescription => Describe(Nullable.GetUnderlyingType(Type) ?? Type);

    private static string Describe(Type type) => type switch
    {
        _ when type == typeof(string) => "a string",
        _ when type == typeof(bool) => "true or false",
        _ when type == typeof(long) || type == typeof(int) => "an integer",
        _ when type == typeof(double) => "a number",
        _ when type == typeof(DateTimeOffset) => "an RFC 3339 timestamp",
        _ when type.IsEnum => "one of " + string.Join(", ", Enum.GetNames(type)),
        _ => "a JSON value",
    };
}

// The fields of a stored type as the API sees them, built once by reflection.
public sealed class ObjectSchema
{
    private static readonly HashSet<string> IdentityNames = ["ID", "CreatedAt", "UpdatedAt", "Generation"];

    public ObjectSchema(Type clrType)
    {
        var fields = clrType.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.GetCustomAttribute<JsonIgnoreAttribute>() is null)
            .Select(p => new ObjectField(
                p.Name,
                p,
                IdentityNames.Contains(p.Name) ? FieldAccess.Identity
                    : p.GetCustomAttribute<ControlPlaneOwnedAttribute>() is not null ? FieldAccess.ControlPlaneOwned
                    : FieldAccess.Writable,
                p.GetCustomAttribute<RequiredAttribute>() is not null,
                IsFilterable(p.PropertyType) && p.GetCustomAttribute<SensitiveAttribute>() is null));
        Fields = fields.ToDictionary(f => f.Name, StringComparer.OrdinalIgnoreCase);
    }

    public IReadOnlyDictionary<string, ObjectField> Fields { get; }

    public IEnumerable<ObjectField> Writable => Fields.Values.Where(f => f.Access == FieldAccess.Writable);

    public IEnumerable<ObjectField> Required => Fields.Values.Where(f => f.Required);

    public IReadOnlyList<ObjectField> Sensitive => field ??= Fields.Values.Where(f => f.Sensitive).ToList();

    private static bool IsFilterable(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        return t == typeof(string) || t == typeof(long) || t == typeof(int) || t == typeof(bool) || t.IsEnum;
    }
}
