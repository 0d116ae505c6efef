using Threeport.Modules.Platform.Persistence;

namespace Threeport.Modules.Platform.Objects;

// Checks references between modules by type name, so a module can validate an ID of another module's
// object without knowing its class.
public sealed class ObjectReferences(ObjectTypeRegistry registry)
{
    public async Task<bool> ExistsAsync(ThreeportDb db, string typeName, long id, CancellationToken ct)
    {
        var type = registry.Find(typeName) ?? throw new InvalidOperationException($"no object type {typeName} is registered");
        var found = await db.FindAsync(type.ClrType, [id], ct);
        return found is not ReconciledObject { DeletionScheduled: not null } && found is not null;
    }
}
