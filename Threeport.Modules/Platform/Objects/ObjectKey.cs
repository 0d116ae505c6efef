namespace Threeport.Modules.Platform.Objects;

// Identifies one stored object across types: the unit of notification, locking and coalescing.
public readonly record struct ObjectKey(string Type, long Id)
{
    public override string ToString() => $"{Type}/{Id}";
}
