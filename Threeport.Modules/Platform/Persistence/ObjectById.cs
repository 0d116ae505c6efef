using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Threeport.Modules.Platform.Objects;

namespace Threeport.Modules.Platform.Persistence;

// One object by ID, the load of every reconcile and of every GET by id, with a query EF compiles once instead of
// translating the expression each time (the reconcile's load was 127 of its 330 us from commit to reconciler).
// Compiled per EF model instance: EF refuses a compiled query on another model, and a process holding many hosts (the
// test suite) has its models evicted and rebuilt.
internal static class ObjectById<TObject>
    where TObject : ThreeportObject
{
    private static readonly ConditionalWeakTable<IModel, Func<ThreeportDb, long, CancellationToken, Task<TObject?>>> Tracked = [];
    private static readonly ConditionalWeakTable<IModel, Func<ThreeportDb, long, CancellationToken, Task<TObject?>>> Untracked = [];

    // Tracked by `db`, for a change to save.
    public static Task<TObject?> LoadAsync(ThreeportDb db, long id, CancellationToken ct) =>
        Tracked.GetValue(db.Model, static _ => EF.CompileAsyncQuery((ThreeportDb d, long i, CancellationToken c) => d.Set<TObject>().FirstOrDefault(o => o.ID == i)))(db, id, ct);

    // Not tracked, to answer with.
    public static Task<TObject?> ReadAsync(ThreeportDb db, long id, CancellationToken ct) =>
        Untracked.GetValue(db.Model, static _ => EF.CompileAsyncQuery((ThreeportDb d, long i, CancellationToken c) => d.Set<TObject>().AsNoTracking().FirstOrDefault(o => o.ID == i)))(db, id, ct);
}
