namespace Threeport.Modules.Platform.Client;

// No answer at all (connection refused, name not resolved, timed out): distinct from an API error so a
// caller can tell people to start the control plane rather than to fix their request.
public sealed class ThreeportUnreachableException(Uri baseAddress, Exception inner)
    : Exception($"cannot reach the control plane at {baseAddress}: {inner.Message}", inner)
{
    public Uri BaseAddress { get; } = baseAddress;
}
