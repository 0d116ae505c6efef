using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Threeport.Modules.Platform.Kubernetes;

// Kind-agnostic calls to one cluster, sent through KubernetesClient's own HTTP pipeline (its authentication,
// TLS and our transient-fault handler), so any kind the cluster serves, custom resources included, is
// handled the same way once discovery has named its path.
public sealed class ClusterApi(k8s.Kubernetes client)
{
    public const string ApplyPatchContentType = "application/apply-patch+yaml";

    private readonly ConcurrentDictionary<(string ApiVersion, string Kind), ResourceType> kinds = new();
    private readonly Uri baseUri = client.BaseUri.AbsoluteUri.EndsWith('/') ? client.BaseUri : new Uri(client.BaseUri.AbsoluteUri + "/");

    public k8s.Kubernetes Client => client;

    public async Task<string> ServerVersionAsync(CancellationToken ct)
    {
        var version = await SendAsync(HttpMethod.Get, "/version", null, null, ct) ?? throw new ClusterApiException(HttpStatusCode.NotFound, "NotFound", "/version not served");
        return version["gitVersion"]?.GetValue<string>() ?? "unknown";
    }

    // Finds where a kind is served; asks the cluster again on a miss, since a CRD may have just been added.
    public async Task<ResourceType> ResolveAsync(string apiVersion, string kind, CancellationToken ct)
    {
        if (kinds.TryGetValue((apiVersion, kind), out var known))
        {
            return known;
        }

        var path = apiVersion.Contains('/') ? $"/apis/{apiVersion}" : $"/api/{apiVersion}";
        var list = await SendAsync(HttpMethod.Get, path, null, null, ct);
        var (group, version) = apiVersion.Contains('/') ? (apiVersion[..apiVersion.IndexOf('/')], apiVersion[(apiVersion.IndexOf('/') + 1)..]) : ("", apiVersion);
        foreach (var resource in list?["resources"]?.AsArray() ?? [])
        {
            var name = resource?["name"]?.GetValue<string>();
            if (name is null || name.Contains('/'))
            {
                continue;
            }

            var type = new ResourceType(group, version, resource!["kind"]!.GetValue<string>(), name, resource["namespaced"]?.GetValue<bool>() ?? false);
            kinds[(apiVersion, type.Kind)] = type;
        }

        return kinds.TryGetValue((apiVersion, kind), out var found)
            ? found
            : throw new ClusterApiException(HttpStatusCode.NotFound, "NotFound", $"the cluster serves no kind {kind} in {apiVersion}");
    }

    public async Task<JsonObject> ApplyAsync(ResourceType type, JsonObject desired, string fieldManager, CancellationToken ct)
    {
        var name = desired["metadata"]!["name"]!.GetValue<string>();
        var ns = desired["metadata"]?["namespace"]?.GetValue<string>();
        var query = $"?fieldManager={Uri.EscapeDataString(fieldManager)}&force=true";
        return await SendAsync(HttpMethod.Patch, type.ObjectPath(ns, name) + query, desired, ApplyPatchContentType, ct)
            ?? throw new ClusterApiException(HttpStatusCode.NotFound, "NotFound", $"{type.Kind} {name} vanished while being applied");
    }

    public Task<JsonObject?> GetAsync(ResourceType type, string? ns, string name, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, type.ObjectPath(ns, name), null, null, ct, notFoundIsNull: true);

    public Task<JsonObject?> ListAsync(ResourceType type, string? ns, string? labelSelector, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, type.CollectionPath(ns) + (labelSelector is null ? "" : $"?labelSelector={Uri.EscapeDataString(labelSelector)}"), null, null, ct, notFoundIsNull: true);

    // True when something was deleted; a resource already gone is not an error.
    public async Task<bool> DeleteAsync(ResourceType type, string? ns, string name, CancellationToken ct)
    {
        var options = new JsonObject { ["kind"] = "DeleteOptions", ["apiVersion"] = "v1", ["propagationPolicy"] = "Background" };
        return await SendAsync(HttpMethod.Delete, type.ObjectPath(ns, name), options, "application/json", ct, notFoundIsNull: true) is not null;
    }

    // Streams watch events ("ADDED", "MODIFIED", "DELETED", ...) until the server closes the stream.
    public IAsyncEnumerable<(string Type, JsonObject Object)> WatchAsync(ResourceType type, string? labelSelector, string? resourceVersion, CancellationToken ct) =>
        WatchAsync<(string Type, JsonObject Object)>(type, labelSelector, resourceVersion, ReadWatchEvent, ct);

    // The same, each event read by `readEvent` straight from its line's bytes: a watcher that keeps a few fields of
    // each event need not build the whole object first.
    public async IAsyncEnumerable<TEvent> WatchAsync<TEvent>(
        ResourceType type, string? labelSelector, string? resourceVersion, WatchLineReader<TEvent> readEvent, [EnumeratorCancellation] CancellationToken ct)
    {
        var query = "?watch=true&timeoutSeconds=300&allowWatchBookmarks=true"
            + (labelSelector is null ? "" : $"&labelSelector={Uri.EscapeDataString(labelSelector)}")
            + (resourceVersion is null ? "" : $"&resourceVersion={Uri.EscapeDataString(resourceVersion)}");
        using var request = new HttpRequestMessage(HttpMethod.Get, Resolve(type.CollectionPath(null) + query));
        using var response = await client.HttpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        await ThrowIfFailedAsync(response, ct);
        await using var stream = await response.Content.ReadAsStreamAsync(ct);

        // Each line is parsed from the bytes as they arrived: read as text first, every event was decoded to a string
        // and encoded back to UTF-8 for the parser (the watch streams were the control plane's largest allocations
        // while workloads rolled out).
        var reader = PipeReader.Create(stream);
        var arrived = new List<TEvent>();
        try
        {
            while (true)
            {
                var read = await reader.ReadAsync(ct);
                var buffer = read.Buffer;
                arrived.Clear();
                while (buffer.PositionOf((byte)'\n') is { } end)
                {
                    AddWatchEvent(buffer.Slice(0, end), readEvent, arrived);
                    buffer = buffer.Slice(buffer.GetPosition(1, end));
                }

                if (read.IsCompleted)
                {
                    AddWatchEvent(buffer, readEvent, arrived);
                    buffer = buffer.Slice(buffer.End);
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                foreach (var watchEvent in arrived)
                {
                    yield return watchEvent;
                }

                if (read.IsCompleted)
                {
                    break;
                }
            }
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }

    private static void AddWatchEvent<TEvent>(ReadOnlySequence<byte> line, WatchLineReader<TEvent> readEvent, List<TEvent> arrived)
    {
        if (!IsBlank(line) && readEvent(line, out var watchEvent))
        {
            arrived.Add(watchEvent);
        }
    }

    private static bool ReadWatchEvent(ReadOnlySequence<byte> line, out (string Type, JsonObject Object) watchEvent)
    {
        var json = new Utf8JsonReader(line);
        if (JsonNode.Parse(ref json) is JsonObject parsed && parsed["type"]?.GetValue<string>() is { } eventType && parsed["object"] is JsonObject obj)
        {
            watchEvent = (eventType, obj);
            return true;
        }

        watchEvent = default;
        return false;
    }

    private static bool IsBlank(ReadOnlySequence<byte> line)
    {
        foreach (var segment in line)
        {
            if (segment.Span.IndexOfAnyExcept(" \t\r"u8) >= 0)
            {
                return false;
            }
        }

        return true;
    }

    private async Task<JsonObject?> SendAsync(HttpMethod method, string path, JsonObject? body, string? contentType, CancellationToken ct, bool notFoundIsNull = false)
    {
        using var request = new HttpRequestMessage(method, Resolve(path));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body));
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType ?? "application/json");
        }

        using var response = await client.HttpClient.SendAsync(request, ct);
        if (notFoundIsNull && response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await ThrowIfFailedAsync(response, ct);
        var bytes = await response.Content.ReadAsByteArrayAsync(ct);
        return bytes.Length == 0 ? new JsonObject() : JsonNode.Parse(bytes) as JsonObject ?? new JsonObject();
    }

    private Uri Resolve(string path) => new(baseUri, path.TrimStart('/'));

    private static async Task ThrowIfFailedAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var text = await response.Content.ReadAsStringAsync(ct);
        string reason = response.ReasonPhrase ?? "", message = text;
        try
        {
            if (JsonNode.Parse(text) is JsonObject { } status)
            {
                reason = status["reason"]?.GetValue<string>() ?? reason;
                message = status["message"]?.GetValue<string>() ?? text;
            }
        }
        catch (JsonException)
        {
            // Not a Status object: the raw text is the message.
        }

        throw new ClusterApiException(response.StatusCode, reason, message.Length > 1000 ? message[..1000] : message);
    }
}

// Reads one watch event from its line (a JSON object with "type" and "object"); false skips it.
public delegate bool WatchLineReader<TEvent>(ReadOnlySequence<byte> line, [MaybeNullWhen(false)] out TEvent watchEvent);
