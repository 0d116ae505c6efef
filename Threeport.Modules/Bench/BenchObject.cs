using System.ComponentModel.DataAnnotations;
using Threeport.Modules.Platform.Objects;

namespace Threeport.Modules.Bench;

// The benchmark's object type: reconciled by a reconciler that does nothing, so `tptctl bench` measures
// the platform (API, outbox, dispatcher, leases, status write-back) and not any module's work.
public sealed class BenchObject : ReconciledObject
{
    [Required]
    public string Name { get; set; } = "";

    // Any text; changing it is a user change the reconciler must see.
    public string? Payload { get; set; }
}
