using Microsoft.EntityFrameworkCore;
using Threeport.Modules.Platform.Objects;

namespace Threeport.Modules.Platform.Persistence;

// One object by ID, the load of every reconcile and of every GET by id, as a compiled query (the reconcile's load was
// 127 of its 330 us from commit to reconciler while EF translated the expression each time).
internal static class ObjectById<TObject>
    where TObject : ThreeportObject
{
    private static readonly CompiledQuery<Func<ThreeportDb, long, CancellationToken, Task<TObject?>>> Tracked =
        new(() => EF.CompileAsyncQuery((ThreeportDb d, long i, CancellationToken c) => d.Set<TObject>().FirstOrDefault(o => o.ID == i)));

    private static readonly CompiledQuery<Func<ThreeportDb, long, CancellationToken, Task<TObject?>>> Untracked =
        new(() => EF.CompileAsyncQuery((ThreeportDb d, long i, CancellationToken c) => d.Set<TObject>().AsNoTracking().FirstOrDefault(o => o.ID == i)));

    private static readonly CompiledQuery<Func<ThreeportDb, long[], IAsyncEnumerable<TObject>>> UntrackedMany =
        new(() => EF.CompileAsyncQuery((ThreeportDb d, long[] ids) => d.Set<TObject>().AsNoTracking().Where(o => ids.Contains(o.ID))));

    // Tracked by `db`, for a change to save.
    public static Task<TObject?> LoadAsync(ThreeportDb db, long id, CancellationToken ct) => Tracked.For(db)(db, id, ct);

    // Not tracked, to answer with.
    public static Task<TObject?> ReadAsync(ThreeportDb db, long id, CancellationToken ct) => Untracked.For(db)(db, id, ct);

    // Not tracked, by ID: a reconciler host's batch load.
    public static async Task<Dictionary<long, TObject>> ReadManyAsync(ThreeportDb db, long[] ids, CancellationToken ct)
    {
        var objects = new Dictionary<long, TObject>(ids.Length);
        await foreach (var obj in UntrackedMany.For(db)(db, ids).WithCancellation(ct))
        {
            objects[obj.ID] = obj;
        }

        return objects;
    }
}
