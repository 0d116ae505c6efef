using System.Net;

namespace Threeport.Modules.Platform.Kubernetes;

// The cluster refused a request; Message is the cluster's own Status message.
public sealed class ClusterApiException(HttpStatusCode status, string reason, string message)
    : Exception($"{(int)status} {reason}: {message}")
{
    public HttpStatusCode Status { get; } = status;

    public string Reason { get; } = reason;

    public string ClusterMessage { get; } = message;
}
