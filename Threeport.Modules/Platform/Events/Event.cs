using System.ComponentModel.DataAnnotations;
using Threeport.Modules.Platform.Objects;

namespace Threeport.Modules.Platform.Events;

// What a controller wants a person to know about an object (Threeport's Event): failures and milestones.
// Repeats of the same reason and note on one object bump Count instead of adding rows.
public sealed class Event : ThreeportObject
{
    [Required]
    public string ObjectType { get; set; } = "";

    [Required]
    public long? ObjectID { get; set; }

    // Normal or Warning, as in Kubernetes.
    [Required]
    public string Type { get; set; } = "";

    [Required]
    public string Reason { get; set; } = "";

    public string? Note { get; set; }

    public int Count { get; set; }

    public DateTimeOffset EventTime { get; set; }

    public DateTimeOffset LastObservedTime { get; set; }

    [Required]
    public string ReportingController { get; set; } = "";
}
