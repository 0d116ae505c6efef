namespace Threeport.Modules.Platform.Objects;

public sealed class ObjectTypeRegistry(IEnumerable<ObjectType> types)
{
    private readonly Dictionary<Type, ObjectType> byClrType = types.ToDictionary(t => t.ClrType);

    public IReadOnlyCollection<ObjectType> All => byClrType.Values;

    public ObjectType Get<T>() => byClrType[typeof(T)];

    public ObjectType Get(Type clrType) => byClrType[clrType];
}
