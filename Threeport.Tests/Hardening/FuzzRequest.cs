using System.Text;

namespace Threeport.Tests.Hardening;

// One generated request; the body is kept as text so it can be anything, valid JSON or not.
public sealed record FuzzRequest(string Method, string Route, string Path, string? Body, string? ContentType, KeyValuePair<string, string>? Header)
{
    // Stands for a body just over the limit, made when sent so thousands of requests do not hold megabytes each.
    public const string OversizedMarker = "\u0001oversized";

    public HttpRequestMessage ToMessage()
    {
        var message = new HttpRequestMessage(new HttpMethod(Method), Path);
        if (Body is not null)
        {
            var text = Body == OversizedMarker
                ? "{\"Name\":\"big\",\"Color\":\"" + new string('x', 4 * 1024 * 1024) + "\"}"
                : Body;
            message.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(text));

            // As curl does for large bodies: the server can refuse before the body is sent.
            message.Headers.ExpectContinue = text.Length > 1024 * 1024;
            if (ContentType is not null)
            {
                message.Content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
            }
        }

        if (Header is { } header)
        {
            message.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        return message;
    }

    public override string ToString()
    {
        var body = Body is null ? "" : Body == OversizedMarker ? " <4 MiB body>" : " " + (Body.Length > 300 ? Body[..300] + $"... ({Body.Length} chars)" : Body);
        return $"{Method} {(Path.Length > 300 ? Path[..300] + "..." : Path)} [{ContentType}]{(Header is { } h ? $" {h.Key}: {h.Value[..Math.Min(40, h.Value.Length)]}" : "")}{body}";
    }
}
