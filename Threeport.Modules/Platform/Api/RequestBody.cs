using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Threeport.Modules.Platform.Api;

// Reads a request body as one JSON object, or says in a sentence why it is not one.
internal static class RequestBody
{
    public const long MaxBytes = 4 * 1024 * 1024;

    public static async Task<(JsonObject? Body, string? Error)> ReadObjectAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength > MaxBytes)
        {
            return (null, $"request body is {request.ContentLength} bytes; the limit is {MaxBytes} bytes");
        }

        JsonNode? node;
        try
        {
            // Read no further than the limit: a body without Content-Length (chunked) is stopped here, not buffered.
            // The buffer is pooled: a new one for every request was the largest allocation of a create.
            using var limited = new MemoryStream();
            var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
            try
            {
                int read;
                while ((read = await request.Body.ReadAsync(buffer, ct)) > 0)
                {
                    if (limited.Length + read > MaxBytes)
                    {
                        return (null, $"request body is over the limit of {MaxBytes} bytes");
                    }

                    limited.Write(buffer, 0, read);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            if (limited.Length == 0)
            {
                return (null, "request body is empty: send the object as a JSON object");
            }

            node = JsonNode.Parse(limited.GetBuffer().AsSpan(0, (int)limited.Length), documentOptions: new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            return (null, $"request body is not valid JSON: {ex.Message}");
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // Kestrel's own limit (30 MB unless configured otherwise), should it ever be lower than ours.
            return (null, $"request body is over the limit of {MaxBytes} bytes");
        }

        if (node is not JsonObject body)
        {
            return (null, $"request body must be a JSON object, not {Describe(node)}");
        }

        try
        {
            // JsonObject indexes lazily and throws on a duplicate key only when first asked.
            _ = body.Count;
            _ = body.ContainsKey(string.Empty);
        }
        catch (ArgumentException)
        {
            return (null, "request body has the same field twice");
        }
        catch (InvalidOperationException)
        {
            return (null, "request body has a field name that is not valid Unicode (an unpaired surrogate escape such as \\ud800): send UTF-8 text");
        }

        string? where;
        try
        {
            where = FindInvalidText(body, "");
        }
        catch (ArgumentException)
        {
            return (null, "request body has the same field twice inside a nested object");
        }

        if (where is not null)
        {
            // JSON may escape half of a surrogate pair ("\ud800"); such text cannot be stored or answered as UTF-8.
            return (null, $"request body has text that is not valid Unicode at {(where.Length > 80 ? where[..77] + "..." : where)} (an unpaired surrogate escape such as \\ud800): send UTF-8 text");
        }

        return body.Count == 0 ? (null, "JSON payload is empty: send at least one field") : (body, null);
    }

    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static string? FindInvalidText(JsonNode? node, string path)
    {
        switch (node)
        {
            case JsonObject obj:
                // Builds the object's index, which throws ArgumentException on a duplicate key.
                _ = obj.ContainsKey(string.Empty);
                foreach (var (key, value) in obj)
                {
                    var at = path.Length == 0 ? key : $"{path}.{key}";
                    if (!IsValid(key))
                    {
                        return path.Length == 0 ? "a field name" : $"a field name in {path}";
                    }

                    if (FindInvalidText(value, at) is { } found)
                    {
                        return found;
                    }
                }

                return null;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    if (FindInvalidText(array[i], $"{path}[{i}]") is { } found)
                    {
                        return found;
                    }
                }

                return null;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                try
                {
                    return IsValid(value.GetValue<string>()) ? null : path;
                }
                catch (InvalidOperationException)
                {
                    // System.Text.Json refuses to unescape an unpaired surrogate.
                    return path;
                }

            default:
                return null;
        }
    }

    private static bool IsValid(string text)
    {
        try
        {
            StrictUtf8.GetByteCount(text);
            return true;
        }
        catch (System.Text.EncoderFallbackException)
        {
            return false;
        }
    }

    private static string Describe(JsonNode? node) => node switch
    {
        null => "null",
        JsonArray => "an array",
        _ => $"a {node.GetValueKind().ToString().ToLowerInvariant()}",
    };
}
