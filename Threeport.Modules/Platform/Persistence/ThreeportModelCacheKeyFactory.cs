using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Threeport.Modules.Platform.Secrets;

namespace Threeport.Modules.Platform.Persistence;

// EF caches the built model process-wide; the model holds the converters of the [Sensitive] fields, which hold a
// host's key. Keying the cache by the protector keeps two hosts in one process (tests) from sharing a key.
internal sealed class ThreeportModelCacheKeyFactory : IModelCacheKeyFactory
{
    public object Create(DbContext context, bool designTime) =>
        (context.GetType(), designTime, (object?)SensitiveFields.ProtectorOf(context) ?? "no-protector");
}
