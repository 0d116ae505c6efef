using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Threeport.Modules.Platform.Objects;
using Threeport.Modules.Platform.Persistence;

namespace Threeport.Modules.Platform.Api;

// The outermost layer of the API: every answer that is not a success leaves in Threeport's envelope, including
// the ones the framework makes without a body (unknown route 404, wrong method 405, Kestrel's body limit 413),
// storage faults become 503 with what to do, and an unexpected exception becomes a 500 with a generic message and
// an id to find the details in the log, never a stack trace.
internal sealed class ApiErrorMiddleware(RequestDelegate next, ObjectTypeRegistry registry, DataDirectory dataDirectory, ILogger<ApiErrorMiddleware> log)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away: there is nobody to answer.
            return;
        }
        catch (BadHttpRequestException ex)
        {
            // Kestrel's own limits met while a route reads the request (body over MaxRequestBodySize, a body cut short).
            await AnswerAsync(context, ex.StatusCode, ex.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? "request body is over the server's limit"
                : $"the request cannot be read: {ex.Message}");
            return;
        }
        catch (Exception ex) when (StorageFaults.Describe(ex, dataDirectory) is { } fault)
        {
            log.LogWarning("Refused {Method} {Path} because of a storage fault: {Fault}", context.Request.Method, context.Request.Path, fault);
            if (!context.Response.HasStarted)
            {
                context.Response.Headers.RetryAfter = "1";
            }

            await AnswerAsync(context, StatusCodes.Status503ServiceUnavailable, fault, keepHeaders: true);
            return;
        }
        catch (Exception ex)
        {
            var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
            log.LogError(ex, "Failed {Method} {Path} with an unexpected error {ErrorId}", context.Request.Method, context.Request.Path, id);
            await AnswerAsync(context, StatusCodes.Status500InternalServerError, $"internal error {id}: the control plane's log has the details under this id");
            return;
        }

        if (context.Response is { HasStarted: false, StatusCode: >= 400 } response && response.ContentLength is null or 0 && response.ContentType is null)
        {
            await AnswerAsync(context, response.StatusCode, DescribeEmptyAnswer(context), keepHeaders: true);
        }
    }

    private static string DescribeEmptyAnswer(HttpContext context) => context.Response.StatusCode switch
    {
        StatusCodes.Status404NotFound => $"there is no route {context.Request.Path}: the routes are listed in /openapi/v1.json",
        StatusCodes.Status405MethodNotAllowed => $"{context.Request.Method} is not allowed on {context.Request.Path}; allowed: {context.Response.Headers.Allow}",
        StatusCodes.Status415UnsupportedMediaType => "send the body as application/json",
        var status => $"the request was refused ({status} {Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status)})",
    };

    private async Task AnswerAsync(HttpContext context, int status, string error, bool keepHeaders = false)
    {
        if (context.Response.HasStarted)
        {
            // Half an answer is out: the connection is cut so the client cannot take it for a whole one.
            context.Abort();
            return;
        }

        var allow = context.Response.Headers.Allow;
        var retryAfter = context.Response.Headers.RetryAfter;
        context.Response.Clear();
        if (keepHeaders)
        {
            context.Response.Headers.Allow = allow;
            context.Response.Headers.RetryAfter = retryAfter;
        }

        await ApiResults.Error(TypeOf(context.Request.Path), status, error).ExecuteAsync(context);
    }

    // The object type the path is about, for the envelope's Type ("" outside /v0/<type>).
    private string TypeOf(PathString path)
    {
        var segments = path.Value?.Split('/', StringSplitOptions.RemoveEmptyEntries) ?? [];
        return segments is ["v0", var plural, ..] && registry.All.FirstOrDefault(t => t.RoutePlural == plural) is { } type ? type.Name : "";
    }
}

// Puts ApiErrorMiddleware in front of the whole pipeline, routing included, without the host having to call it.
internal sealed class ApiErrorStartupFilter : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.UseMiddleware<ApiErrorMiddleware>();
        next(app);
    };
}
