namespace Threeport.Modules.Platform.Objects;

// Marks a field that may hold credentials: encrypted at rest, redacted in lists, never filterable, never logged.
[AttributeUsage(AttributeTargets.Property)]
public sealed class SensitiveAttribute : Attribute
{
    // What lists answer in place of a value, and what a write may not send back as if it were one.
    public const string Redacted = "<redacted>";
}
