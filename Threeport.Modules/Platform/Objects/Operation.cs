namespace Threeport.Modules.Platform.Objects;

// What the user did; logged by reconcilers, never branched on (they decide from state).
public enum Operation
{
    Created,
    Updated,
    Deleted,
}
