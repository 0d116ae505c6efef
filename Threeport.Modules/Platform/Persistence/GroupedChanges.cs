using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;

namespace Threeport.Modules.Platform.Persistence;

// Lets the changes of several contexts commit in one transaction: what each would save is tracked, as copies, by the
// one context that saves them all. Every commit costs a turn at the write gate and a WAL write; a group costs one of
// each (docs/benchmarks.md). The contexts keep their own changes, so that if the group fails each can save alone.
internal static class GroupedChanges
{
    // Tracks in `into` copies of what `from` would save, with the original values of its concurrency tokens, so that
    // the concurrency check of an update still compares with what its writer read. `from` and its entities are left as they were. Returns
    // the copies of added entities, by the entity they copy. Properties are matched by name: two contexts of one host
    // can hold different instances of its model (EF's process-wide model cache evicts and rebuilds them).
    public static Dictionary<object, EntityEntry> CopyInto(DbContext from, DbContext into)
    {
        var added = new Dictionary<object, EntityEntry>(ReferenceEqualityComparer.Instance);
        foreach (var source in from.ChangeTracker.Entries())
        {
            if (source.State is EntityState.Unchanged or EntityState.Detached)
            {
                continue;
            }

            // Entry(...).State tracks this one entity, not a graph.
            var copy = into.Entry(source.CurrentValues.ToObject());
            if (source.State == EntityState.Added)
            {
                // A temporary key belongs to its context's model: contexts on two instances of the model (see above)
                // hand out the same ones. Left unset, the key gets a temporary value of `into`'s own.
                foreach (var property in source.Properties.Where(p => p.IsTemporary))
                {
                    copy.Property(property.Metadata.Name).CurrentValue = property.Metadata.Sentinel;
                }

                copy.State = EntityState.Added;
                added[source.Entity] = copy;
                continue;
            }

            // Only what the statement uses: the modified columns of an update, and the original values its WHERE
            // compares (concurrency tokens; the key cannot change). A copy starts unchanged, so every other property
            // already holds its current value as the original.
            copy.State = EntityState.Unchanged;
            foreach (var property in source.Properties)
            {
                var token = property.Metadata.IsConcurrencyToken;
                var modified = source.State == EntityState.Modified && property.IsModified;
                if (!token && !modified)
                {
                    continue;
                }

                var copied = copy.Property(property.Metadata.Name);
                if (token)
                {
                    copied.OriginalValue = property.OriginalValue;
                }

                copied.IsModified = modified;
            }

            if (source.State == EntityState.Deleted)
            {
                copy.State = EntityState.Deleted;
            }
        }

        return added;
    }

    // After the group committed: `from` takes the keys the database generated for its added entities, and holds its
    // changes as saved.
    public static void AcceptSaved(DbContext from, Dictionary<object, EntityEntry> added)
    {
        foreach (var source in from.ChangeTracker.Entries().Where(e => e.State == EntityState.Added).ToList())
        {
            if (!added.TryGetValue(source.Entity, out var copy))
            {
                continue;
            }

            foreach (var generated in source.Properties.Where(p => p.IsTemporary))
            {
                generated.CurrentValue = copy.Property(generated.Metadata.Name).CurrentValue;
                generated.IsTemporary = false;
            }
        }

        from.ChangeTracker.AcceptAllChanges();
    }
}
