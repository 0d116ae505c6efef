namespace Threeport.Modules.Platform.Objects;

public sealed class ObjectTypeRegistry
{
    private readonly Dictionary<Type, ObjectType> byClrType;
    private readonly Dictionary<string, ObjectType> byName;

    public ObjectTypeRegistry(IEnumerable<ObjectType> types, IEnumerable<DeleteGuardRegistration> guards)
    {
        byClrType = types.ToDictionary(t => t.ClrType);
        byName = byClrType.Values.ToDictionary(t => t.Name);
        foreach (var guard in guards)
        {
            if (byName.TryGetValue(guard.TypeName, out var type) && !type.DeleteGuards.Contains(guard.Guard))
            {
                type.DeleteGuards.Add(guard.Guard);
            }
        }
    }

    public IReadOnlyCollection<ObjectType> All => byClrType.Values;

    public ObjectType Get<T>() => byClrType[typeof(T)];

    public ObjectType Get(Type clrType) => byClrType[clrType];

    public ObjectType? Find(string name) => byName.GetValueOrDefault(name);
}

// A delete guard one module puts on another module's type, named by type name to keep the modules apart.
public sealed record DeleteGuardRegistration(string TypeName, DeleteGuard Guard);
