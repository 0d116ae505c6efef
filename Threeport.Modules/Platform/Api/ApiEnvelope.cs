using System.Text.Json.Serialization;

namespace Threeport.Modules.Platform.Api;

// Every answer of the v0 API, success or error (Threeport's `Response`).
public sealed record ApiEnvelope(ApiMeta Meta, string Type, IReadOnlyList<object>? Data, ApiStatus Status);

public sealed record ApiMeta(int Page, int Size, long TotalCount);

public sealed record ApiStatus(
    [property: JsonPropertyName("code")] int Code,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("error")] string Error);
