using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Threeport.Modules.Platform.Persistence;

// A query EF compiles once instead of translating its expression on every run (the translation's cache lookup
// costs more than a small query itself), compiled per EF model instance: EF refuses a compiled query on another
// model than the one it was compiled for, and a process holding many hosts (the test suite) has its models evicted
// and rebuilt.
internal sealed class CompiledQuery<TQuery>(Func<TQuery> compile)
    where TQuery : class
{
    private readonly ConditionalWeakTable<IModel, TQuery> compiled = [];

    public TQuery For(DbContext db) => compiled.GetValue(db.Model, _ => compile());
}
