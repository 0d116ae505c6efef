namespace Threeport.Modules.Platform.Objects;

// Marks a field only the control plane writes (status); the API refuses it in request bodies.
[AttributeUsage(AttributeTargets.Property)]
public sealed class ControlPlaneOwnedAttribute : Attribute;
