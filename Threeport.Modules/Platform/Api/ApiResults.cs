using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace Threeport.Modules.Platform.Api;

// The one place answers are shaped, so every route answers with the same envelope.
public static class ApiResults
{
    public static IResult Ok(string type, IReadOnlyList<object> data, int page, int size, long total, int status = StatusCodes.Status200OK) =>
        Results.Json(
            new ApiEnvelope(new ApiMeta(page, size, total), type, data, new ApiStatus(status, ReasonPhrases.GetReasonPhrase(status), "")),
            ApiJson.Options,
            statusCode: status);

    public static IResult One(string type, object item, int status = StatusCodes.Status200OK) => Ok(type, [item], 1, 1, 1, status);

    public static IResult Error(string type, int status, string error) =>
        Results.Json(
            new ApiEnvelope(new ApiMeta(0, 0, 0), type, null, new ApiStatus(status, ReasonPhrases.GetReasonPhrase(status), error)),
            ApiJson.Options,
            statusCode: status);

    public static IResult BadRequest(string type, string error) => Error(type, StatusCodes.Status400BadRequest, error);

    public static IResult NotFound(string type, long id) => Error(type, StatusCodes.Status404NotFound, $"{type} with ID {id} not found");

    public static IResult Conflict(string type, string error) => Error(type, StatusCodes.Status409Conflict, error);
}
