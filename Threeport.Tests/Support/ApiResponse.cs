using System.Net;
using System.Text.Json.Nodes;

namespace Threeport.Tests.Support;

// A Threeport envelope as read by tests.
public sealed record ApiResponse(HttpStatusCode StatusCode, JsonObject Envelope)
{
    public JsonArray? Data => Envelope["Data"] as JsonArray;

    public JsonObject Single => Data?.Count == 1 ? (JsonObject)Data[0]! : throw new AssertionException($"expected one object, got {Envelope.ToJsonString()}");

    public string Error => Envelope["Status"]?["error"]?.GetValue<string>() ?? "";

    public int Code => Envelope["Status"]?["code"]?.GetValue<int>() ?? 0;

    public static async Task<ApiResponse> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
            throw new AssertionException($"{(int)response.StatusCode}: body is not JSON: {text}");
        }

        return new ApiResponse(response.StatusCode, node as JsonObject ?? throw new AssertionException($"not an envelope: {text}"));
    }
}
