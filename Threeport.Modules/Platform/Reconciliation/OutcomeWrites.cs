using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Threeport.Modules.Platform.Persistence;

namespace Threeport.Modules.Platform.Reconciliation;

// Changes a reconciler tracks in contexts of its own that belong to its outcome: they commit in the outcome's
// transaction, after its status write, and are discarded with it (a failed reconcile, a stale status). One per
// reconcile (scoped); the contexts handed to it are disposed with the reconcile's scope.
public sealed class OutcomeWrites : IAsyncDisposable
{
    private readonly List<DbContext> contexts = [];

    // Copied into the outcome's own context (for SaveChanges): no longer written from their contexts.
    private bool copied;

    // `context`'s changes pending when the reconcile returns are part of its outcome. Owned from here on.
    public void Include(DbContext context) => contexts.Add(context);

    // The included changes as plain statements, or null when one of the contexts holds what they cannot write.
    internal IReadOnlyList<EntityEntry>? PlainChanges()
    {
        var all = new List<EntityEntry>();
        foreach (var context in Pending())
        {
            if (PlainStatements.ChangesOf(context, maxUpdates: int.MaxValue) is not { } changes)
            {
                return null;
            }

            all.AddRange(changes);
        }

        return all;
    }

    // For an outcome that SaveChanges writes: its context tracks copies of the included changes (GroupedChanges).
    internal void CopyInto(DbContext outcome)
    {
        foreach (var context in Pending())
        {
            GroupedChanges.CopyInto(from: context, into: outcome);
        }

        copied = true;
    }

    internal void Discard()
    {
        foreach (var context in contexts)
        {
            context.ChangeTracker.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var context in contexts)
        {
            await context.DisposeAsync();
        }
    }

    private IEnumerable<DbContext> Pending() => copied ? [] : contexts;
}
