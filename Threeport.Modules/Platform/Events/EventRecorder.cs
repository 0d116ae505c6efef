using Microsoft.EntityFrameworkCore;
using Threeport.Modules.Platform.Objects;
using Threeport.Modules.Platform.Persistence;

namespace Threeport.Modules.Platform.Events;

// Adds (or counts again) an Event on `db`; it is saved with the caller's next SaveChanges, so an event and
// the status it explains commit together.
public sealed class EventRecorder(TimeProvider time)
{
    public const string Normal = "Normal";
    public const string Warning = "Warning";

    public async Task RecordAsync(ThreeportDb db, ObjectKey about, string controller, string type, string reason, string? note, CancellationToken ct, bool once = false)
    {
        var now = time.GetUtcNow();
        note = note is { Length: > 2000 } ? note[..2000] : note;
        // `once`: an event that can happen only once per object (its creation, its deletion) has nothing to count again.
        var existing = once ? null : await db.Events.FirstOrDefaultAsync(
            e => e.ObjectType == about.Type && e.ObjectID == about.Id && e.Reason == reason && e.Note == note, ct);
        if (existing is not null)
        {
            existing.Count++;
            existing.LastObservedTime = now;
            existing.UpdatedAt = now;
            return;
        }

        db.Events.Add(new Event
        {
            ObjectType = about.Type,
            ObjectID = about.Id,
            Type = type,
            Reason = reason,
            Note = note,
            Count = 1,
            EventTime = now,
            LastObservedTime = now,
            ReportingController = controller + "Controller",
            CreatedAt = now,
            UpdatedAt = now,
            Generation = 1,
        });
    }
}
