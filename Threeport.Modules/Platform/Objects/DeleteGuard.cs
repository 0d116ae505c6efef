using Threeport.Modules.Platform.Persistence;

namespace Threeport.Modules.Platform.Objects;

// Refuses a DELETE with 409 while something still depends on the object (a definition's instances):
// returns the reason, or null when the delete may go on.
public delegate Task<string?> DeleteGuard(ThreeportDb db, long id, CancellationToken ct);
