using System.Net;

namespace Threeport.Modules.Platform.Client;

// The API answered with a non-success status; `Message` is the envelope's Status.error, meant for people.
public sealed class ThreeportApiException(HttpStatusCode statusCode, string message, string? method = null, string? uri = null)
    : Exception(message)
{
    public HttpStatusCode StatusCode { get; } = statusCode;
    public string? Method { get; } = method;
    public string? Uri { get; } = uri;

    public bool IsNotFound => StatusCode == HttpStatusCode.NotFound;
    public bool IsConflict => StatusCode == HttpStatusCode.Conflict;
}
