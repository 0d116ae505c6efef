using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Threeport.Modules.Platform.Client;

// Typed client of the Threeport v0 REST API. Bodies are JsonObjects with Threeport's PascalCase field names so
// callers need no server model types. Every call unwraps the envelope: Data on success, ThreeportApiException
// (status code + Status.error) otherwise, ThreeportUnreachableException when nothing answers.
public sealed class ThreeportClient(HttpClient http)
{
    // Page size for list calls that fetch everything; paging keeps each response bounded.
    private const int ListPageSize = 200;

    public Uri BaseAddress => http.BaseAddress ?? throw new InvalidOperationException("HttpClient.BaseAddress is not set");

    public static ThreeportClient Create(Uri baseAddress, HttpMessageHandler? handler = null, TimeSpan? timeout = null)
    {
        var client = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        client.BaseAddress = baseAddress.AbsoluteUri.EndsWith('/') ? baseAddress : new Uri(baseAddress.AbsoluteUri + "/");
        client.Timeout = timeout ?? TimeSpan.FromSeconds(30);
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return new ThreeportClient(client);
    }

    public async Task<IReadOnlyList<JsonObject>> ListAsync(
        ApiRoute route, IReadOnlyDictionary<string, string>? filters = null, CancellationToken ct = default)
    {
        var all = new List<JsonObject>();
        var size = ListPageSize;
        while (true)
        {
            // Page by what we already have, so a server that caps the page size below ours skips nothing.
            var page = all.Count / size + 1;
            var query = new Dictionary<string, string>(filters ?? new Dictionary<string, string>())
            {
                ["page"] = page.ToString(CultureInfo.InvariantCulture),
                ["size"] = size.ToString(CultureInfo.InvariantCulture),
            };
            var envelope = await SendAsync(HttpMethod.Get, route.RelativeUri + QueryString(query), null, ct);
            var data = Data(envelope);
            var total = envelope["Meta"]?["TotalCount"]?.GetValue<long>() ?? all.Count + data.Count;
            all.AddRange(data);
            if (data.Count == 0 || all.Count >= total || (page > 1 && data.Count < size))
            {
                return all;
            }

            // A first page shorter than asked for means the server caps the page size: go on with its size.
            size = Math.Min(size, data.Count);
        }
    }

    public async Task<JsonObject> GetAsync(ApiRoute route, long id, CancellationToken ct = default) =>
        Single(await SendAsync(HttpMethod.Get, $"{route.RelativeUri}/{id}", null, ct), route);

    public async Task<JsonObject?> FindByNameAsync(ApiRoute route, string name, CancellationToken ct = default)
    {
        var found = await ListAsync(route, new Dictionary<string, string> { ["name"] = name }, ct);
        // The server filters by exact name; checking again keeps us correct against a server that ignores filters.
        var matches = found.Where(o => o.Name() == name).ToList();
        return matches.Count switch
        {
            0 => null,
            1 => matches[0],
            _ => throw new ThreeportApiException(HttpStatusCode.Conflict, $"more than one {route.Title} is named {name}"),
        };
    }

    public async Task<JsonObject> GetByNameAsync(ApiRoute route, string name, CancellationToken ct = default) =>
        await FindByNameAsync(route, name, ct)
        ?? throw new ThreeportApiException(HttpStatusCode.NotFound, $"{route.Title} {name} not found");

    public async Task<JsonObject> CreateAsync(ApiRoute route, JsonObject body, CancellationToken ct = default) =>
        Single(await SendAsync(HttpMethod.Post, route.RelativeUri, body, ct), route);

    public async Task<JsonObject> PatchAsync(ApiRoute route, long id, JsonObject body, CancellationToken ct = default) =>
        Single(await SendAsync(HttpMethod.Patch, $"{route.RelativeUri}/{id}", body, ct), route);

    public async Task<JsonObject> PutAsync(ApiRoute route, long id, JsonObject body, CancellationToken ct = default) =>
        Single(await SendAsync(HttpMethod.Put, $"{route.RelativeUri}/{id}", body, ct), route);

    // For reconciled objects the first DELETE only schedules deletion; the object is gone once GET answers 404.
    public async Task<JsonObject?> DeleteAsync(ApiRoute route, long id, CancellationToken ct = default) =>
        Data(await SendAsync(HttpMethod.Delete, $"{route.RelativeUri}/{id}", null, ct)).FirstOrDefault();

    public async Task<string> GetVersionAsync(CancellationToken ct = default)
    {
        var body = await SendAsync(HttpMethod.Get, "version", null, ct);
        // Threeport answers {"Version": ...}; accept any casing of the key so a camelCase serializer does not break us.
        var version = body.FirstOrDefault(kv => kv.Key.Equals("Version", StringComparison.OrdinalIgnoreCase)).Value;
        return version?.GetValue<string>() ?? throw new ThreeportApiException(HttpStatusCode.OK, "the control plane's /version answer has no Version");
    }

    public async Task<bool> IsReadyAsync(CancellationToken ct = default)
    {
        try
        {
            using var response = await http.GetAsync("readyz", ct);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return false; // no answer within the client's timeout
        }
    }

    private async Task<JsonObject> SendAsync(HttpMethod method, string relativeUri, JsonObject? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, relativeUri);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, ct);
        }
        catch (HttpRequestException e) when (e.StatusCode is null)
        {
            throw new ThreeportUnreachableException(BaseAddress, e.InnerException is SocketException s ? s : e);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new ThreeportUnreachableException(BaseAddress, new TimeoutException($"no answer within {http.Timeout.TotalSeconds:0} s", e));
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            var json = TryParse(text);
            if (response.IsSuccessStatusCode && json is not null)
            {
                return json;
            }

            if (response.IsSuccessStatusCode)
            {
                throw new ThreeportApiException(response.StatusCode, $"the control plane answered {method} /{relativeUri} with a body that is not JSON", method.Method, relativeUri);
            }

            // A 404 without an envelope comes from routing, not from the object store: the route itself is missing.
            var message = response.StatusCode == HttpStatusCode.NotFound && json is null
                ? $"the control plane at {BaseAddress.GetLeftPart(UriPartial.Authority)} has no API route /{relativeUri.Split('?')[0]} (is it an older version?)"
                : ErrorMessage(response, json, text);
            throw new ThreeportApiException(response.StatusCode, message, method.Method, relativeUri);
        }
    }

    private static string ErrorMessage(HttpResponseMessage response, JsonObject? json, string text)
    {
        // Threeport envelope first, then RFC 7807 problem details, then whatever came back.
        var error = json?["Status"]?["error"]?.GetValue<string>();
        if (string.IsNullOrWhiteSpace(error))
        {
            error = json?["detail"]?.ToString() ?? json?["title"]?.ToString();
        }

        if (string.IsNullOrWhiteSpace(error))
        {
            error = string.IsNullOrWhiteSpace(text) || text.Length > 300 ? response.ReasonPhrase ?? "request failed" : text.Trim();
        }

        return error;
    }

    private static JsonObject? TryParse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static List<JsonObject> Data(JsonObject envelope) =>
        envelope["Data"] is JsonArray data ? data.OfType<JsonObject>().Select(o => (JsonObject)o.DeepClone()).ToList() : [];

    private static JsonObject Single(JsonObject envelope, ApiRoute route) =>
        Data(envelope).FirstOrDefault()
        ?? throw new ThreeportApiException(HttpStatusCode.OK, $"the control plane answered without the {route.Title}");

    private static string QueryString(IReadOnlyDictionary<string, string> query) =>
        "?" + string.Join('&', query.Select(kv => Uri.EscapeDataString(kv.Key) + "=" + Uri.EscapeDataString(kv.Value)));
}
