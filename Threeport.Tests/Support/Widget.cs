using System.ComponentModel.DataAnnotations;
using Threeport.Modules.Platform.Objects;

namespace Threeport.Tests.Support;

// A test-only reconciled type that proves the platform's machinery without any module.
public sealed class Widget : ReconciledObject
{
    [Required]
    public string Name { get; set; } = "";

    public string? Color { get; set; }

    public long Size { get; set; }

    // Written by the reconciler: the color it last saw, so tests can tell which generation was reconciled.
    [ControlPlaneOwned]
    public string? AppliedColor { get; set; }
}
