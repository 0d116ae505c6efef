using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace Threeport.Modules.Platform.Api;

// The one place answers are shaped, so every route answers with the same envelope. Answers are serialized to bytes
// first: they are small, and a known Content-Length keeps HTTP/1.0 keep-alive clients on their connection (a
// streamed, chunked body made them reconnect for every request).
public static class ApiResults
{
    public static IResult Ok(string type, IReadOnlyList<object> data, int page, int size, long total, int status = StatusCodes.Status200OK) =>
        Serialized(OkBody(type, data, page, size, total, status), status);

    public static IResult One(string type, object item, int status = StatusCodes.Status200OK) => Ok(type, [item], 1, 1, 1, status);

    // The bytes of an Ok answer, to keep for reuse (AnswerCache).
    public static byte[] OkBody(string type, IReadOnlyList<object> data, int page, int size, long total, int status = StatusCodes.Status200OK) =>
        Serialize(new ApiEnvelope(new ApiMeta(page, size, total), type, data, new ApiStatus(status, ReasonPhrases.GetReasonPhrase(status), "")));

    public static IResult Serialized(byte[] body, int status = StatusCodes.Status200OK) => Results.Text(body, "application/json; charset=utf-8", status);

    public static IResult Error(string type, int status, string error) =>
        Envelope(new ApiEnvelope(new ApiMeta(0, 0, 0), type, null, new ApiStatus(status, ReasonPhrases.GetReasonPhrase(status), error)), status);

    public static IResult BadRequest(string type, string error) => Error(type, StatusCodes.Status400BadRequest, error);

    public static IResult NotFound(string type, long id) => Error(type, StatusCodes.Status404NotFound, $"{type} with ID {id} not found");

    public static IResult Conflict(string type, string error) => Error(type, StatusCodes.Status409Conflict, error);

    private static IResult Envelope(ApiEnvelope envelope, int status) => Serialized(Serialize(envelope), status);

    private static byte[] Serialize(ApiEnvelope envelope) => JsonSerializer.SerializeToUtf8Bytes(envelope, ApiJson.Options);
}
