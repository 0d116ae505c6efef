using System.Text;

namespace Threeport.Modules.Platform.Objects;

// Everything the platform knows about one stored type: how it is routed, validated, reconciled and by which
// controller. Modules declare them with `services.AddObjectType<T>(controller)`.
public sealed class ObjectType
{
    public ObjectType(Type clrType, string controller)
    {
        ClrType = clrType;
        Controller = controller;
        Name = clrType.Name;
        RoutePlural = KebabPlural(clrType.Name);
        Schema = new ObjectSchema(clrType);
    }

    // Threeport's object type name, e.g. "WorkloadInstance": the envelope's Type and the outbox subject.
    public string Name { get; }

    public Type ClrType { get; }

    // e.g. "workload-instances", under /v0/.
    public string RoutePlural { get; }

    public string Controller { get; }

    public ObjectSchema Schema { get; }

    public bool IsReconciled => typeof(ReconciledObject).IsAssignableFrom(ClrType);

    public Type? ReconcilerType { get; internal set; }

    public List<Type> ValidatorTypes { get; } = [];

    public List<DeleteGuard> DeleteGuards { get; } = [];

    private static string KebabPlural(string pascal)
    {
        var kebab = new StringBuilder();
        foreach (var c in pascal)
        {
            if (char.IsUpper(c) && kebab.Length > 0)
            {
                kebab.Append('-');
            }

            kebab.Append(char.ToLowerInvariant(c));
        }

        return kebab.Append('s').ToString();
    }
}
