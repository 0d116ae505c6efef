namespace Threeport.Modules.DevCluster;

// One fault: requests matching Verb and Resource (null matches any) wait Latency, then fail at
// ErrorRate with StatusCode, or lose their connection when DropConnection is set.
public sealed class FaultRule
{
    // HTTP method (GET, PATCH) or Kubernetes verb (get, list, watch, create, update, patch, delete); case-insensitive.
    public string? Verb { get; init; }

    // Plural resource name (deployments, pods, widgets).
    public string? Resource { get; init; }

    // 0..1: share of matching requests that fail.
    public double ErrorRate { get; init; }

    // 500, 429 (with Retry-After), 409, 503...
    public int StatusCode { get; init; } = 500;

    // Abort the connection instead of answering (counts against ErrorRate).
    public bool DropConnection { get; init; }

    // Added to every matching request before it is answered.
    public TimeSpan Latency { get; init; }

    // Added between handling a matching request and sending its answer (not to watches), so the answer tells of the
    // cluster as it was before the pause: a slow network on the way back.
    public TimeSpan AnswerLatency { get; init; }
}
