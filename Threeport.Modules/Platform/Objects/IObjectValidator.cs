using Threeport.Modules.Platform.Persistence;

namespace Threeport.Modules.Platform.Objects;

// A module's own rules for an object about to be stored (after the generic field checks): the returned
// messages are answered as 400 and nothing is written. `existing` is null on create.
public interface IObjectValidator<in TObject>
    where TObject : ThreeportObject
{
    Task<IReadOnlyList<string>> ValidateAsync(TObject candidate, TObject? existing, ThreeportDb db, CancellationToken ct);
}
