using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Threeport.Modules.DevCluster.Patching;
using Threeport.Modules.DevCluster.Storage;

namespace Threeport.Modules.DevCluster.Api;

// The whole Kubernetes-compatible REST surface: one generic handler driven by the registry.
internal sealed class ApiHandler(
    ObjectStore store,
    ResourceRegistry registry,
    Admission admission,
    FaultInjector faults,
    TimeProvider time,
    ILogger logger,
    CancellationToken shutdown)
{
    private static readonly HashSet<string> ProtectedNamespaces = new(StringComparer.Ordinal) { "default", "kube-system", "kube-public" };
    private static readonly byte[] AddedHead = """{"type":"ADDED","object":"""u8.ToArray();
    private static readonly byte[] ModifiedHead = """{"type":"MODIFIED","object":"""u8.ToArray();
    private static readonly byte[] DeletedHead = """{"type":"DELETED","object":"""u8.ToArray();

    // A watch's events are flushed when no more are waiting, and every so many bytes meanwhile (its first events are
    // every current object).
    private const int WatchFlushBytes = 64 * 1024;

    public TimeSpan BookmarkInterval { get; init; } = TimeSpan.FromMinutes(1);

    public async Task HandleAsync(HttpContext ctx)
    {
        var path = ctx.Request.Path.Value ?? "/";
        var segs = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        try
        {
            if (segs.Length > 0 && segs[0] is "api" or "apis")
            {
                await HandleApiAsync(ctx, segs);
                return;
            }

            if (await ApplyFaultsAsync(ctx, faults.Decide(ctx.Request.Method, null, null)))
            {
                return;
            }

            switch (segs.FirstOrDefault())
            {
                case "version":
                    await WriteJsonAsync(ctx, 200, Discovery.Version());
                    return;
                case "healthz" or "readyz" or "livez":
                    ctx.Response.ContentType = "text/plain";
                    await ctx.Response.WriteAsync("ok", ctx.RequestAborted);
                    return;
                case "openapi":
                    await OpenApiAsync(ctx, segs);
                    return;
                default:
                    throw ApiException.UnknownPath();
            }
        }
        catch (ApiException e) when (!ctx.Response.HasStarted)
        {
            await WriteStatusAsync(ctx, e);
        }
        catch (JsonException e) when (!ctx.Response.HasStarted)
        {
            await WriteStatusAsync(ctx, ApiException.BadRequest("invalid JSON in request body: " + e.Message));
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested || shutdown.IsCancellationRequested)
        {
            // The client went away or the cluster is stopping; nothing to answer.
        }
    }

    private async Task HandleApiAsync(HttpContext ctx, string[] segs)
    {
        var core = segs[0] == "api";
        var accept = ctx.Request.Headers.Accept.ToString();
        var all = registry.All;
        if (segs.Length == 1 || (!core && segs.Length == 2) || (core && segs.Length == 2) || (!core && segs.Length == 3))
        {
            if (await ApplyFaultsAsync(ctx, faults.Decide(ctx.Request.Method, null, null)))
            {
                return;
            }

            await DiscoveryAsync(ctx, segs, core, accept, all);
            return;
        }

        var group = core ? "" : segs[1];
        var version = core ? segs[1] : segs[2];
        var rest = segs[(core ? 2 : 3)..];
        var request = ResourceRequest.Parse(registry, group, version, rest) ?? throw ApiException.UnknownPath();
        var q = ctx.Request.Query;
        var watch = q["watch"] is var w && (w == "true" || w == "1");
        var method = ctx.Request.Method;
        var decision = faults.Decide(method, request.Verb(method, watch), request.Type.Plural);
        if (await ApplyFaultsAsync(ctx, decision))
        {
            return;
        }

        if (request.Type.Namespaced && request.Namespace is null && request.Name is not null)
        {
            throw ApiException.UnknownPath();
        }

        if (!request.Type.Namespaced && request.Namespace is not null)
        {
            throw ApiException.UnknownPath();
        }

        if (request.Subresource is not null and not "status" and not "scale" || (request.Subresource == "scale" && !request.Type.HasScale))
        {
            throw ApiException.UnknownPath();
        }

        if (!watch && decision.AnswerLatency > TimeSpan.Zero)
        {
            await AnswerLateAsync(ctx, decision.AnswerLatency, () => RouteAsync(ctx, request, method, watch));
            return;
        }

        await RouteAsync(ctx, request, method, watch);
    }

    private async Task RouteAsync(HttpContext ctx, ResourceRequest request, string method, bool watch)
    {
        switch (method, request.Name)
        {
            case ("GET", null) when watch:
                await WatchAsync(ctx, request);
                break;
            case ("GET", null):
                await ListAsync(ctx, request);
                break;
            case ("GET", { } name):
                await GetAsync(ctx, request, name);
                break;
            case ("POST", null) when request.Type.Namespaced && request.Namespace is null:
                throw ApiException.MethodNotAllowed();
            case ("POST", null):
                await CreateAsync(ctx, request);
                break;
            case ("PUT", { } name):
                await UpdateAsync(ctx, request, name);
                break;
            case ("PATCH", { } name):
                await PatchAsync(ctx, request, name);
                break;
            case ("DELETE", { } name):
                await DeleteAsync(ctx, request, name);
                break;
            case ("DELETE", null):
                await DeleteCollectionAsync(ctx, request);
                break;
            default:
                throw ApiException.MethodNotAllowed();
        }
    }

    // The answer is made in full, held for the pause, then sent.
    private async Task AnswerLateAsync(HttpContext ctx, TimeSpan pause, Func<Task> answer)
    {
        var body = ctx.Response.Body;
        using var held = new MemoryStream();
        ctx.Response.Body = held;
        try
        {
            await answer();
        }
        finally
        {
            ctx.Response.Body = body;
        }

        await Task.Delay(pause, time, ctx.RequestAborted);
        held.Position = 0;
        await held.CopyToAsync(body, ctx.RequestAborted);
    }

    private async Task<bool> ApplyFaultsAsync(HttpContext ctx, FaultDecision decision)
    {
        if (decision.Latency > TimeSpan.Zero)
        {
            await Task.Delay(decision.Latency, time, ctx.RequestAborted);
        }

        if (decision.Failing is not { } rule)
        {
            return false;
        }

        if (rule.DropConnection)
        {
            ctx.Abort();
            return true;
        }

        var reason = rule.StatusCode switch
        {
            429 => "TooManyRequests",
            409 => "Conflict",
            503 => "ServiceUnavailable",
            504 => "Timeout",
            _ => "InternalError",
        };
        if (rule.StatusCode == 429)
        {
            ctx.Response.Headers.RetryAfter = "1";
        }

        await WriteStatusAsync(ctx, new ApiException(rule.StatusCode, reason, $"injected fault: {reason}"));
        return true;
    }

    private async Task DiscoveryAsync(HttpContext ctx, string[] segs, bool core, string accept, IReadOnlyList<ResourceType> all)
    {
        if (segs.Length == 1)
        {
            if (Discovery.AggregatedVersion(accept) is { } v)
            {
                var doc = Discovery.Aggregated(all, core, v);
                await WriteJsonAsync(ctx, 200, doc, $"application/json;g=apidiscovery.k8s.io;v={v};as=APIGroupDiscoveryList");
                return;
            }

            await WriteJsonAsync(ctx, 200, core ? Discovery.CoreVersions(ctx.Request.Host.Value ?? "") : Discovery.GroupList(all));
            return;
        }

        if (core)
        {
            if (segs[1] != "v1")
            {
                throw ApiException.UnknownPath();
            }

            await WriteJsonAsync(ctx, 200, Discovery.ResourceList("v1", all.Where(t => t.Group.Length == 0)));
            return;
        }

        var groups = Discovery.Groups(all);
        if (!groups.TryGetValue(segs[1], out var versions))
        {
            throw ApiException.UnknownPath();
        }

        if (segs.Length == 2)
        {
            await WriteJsonAsync(ctx, 200, Discovery.Group(segs[1], versions));
            return;
        }

        if (!versions.Contains(segs[2]))
        {
            throw ApiException.UnknownPath();
        }

        await WriteJsonAsync(ctx, 200, Discovery.ResourceList(segs[1] + "/" + segs[2], all.Where(t => t.Group == segs[1] && t.Version == segs[2])));
    }

    private async Task OpenApiAsync(HttpContext ctx, string[] segs)
    {
        // No /openapi/v2: kubectl falls back to its compiled-in types for client-side apply patches.
        if (segs.Length < 2 || segs[1] != "v3")
        {
            throw ApiException.UnknownPath();
        }

        var all = registry.All;
        if (segs.Length == 2)
        {
            await WriteJsonAsync(ctx, 200, Discovery.OpenApiRoot(all, registry.Generation));
            return;
        }

        var gv = segs[2] == "api" ? string.Join('/', segs[3..]) : string.Join('/', segs[3..]);
        var types = all.Where(t => t.GroupVersion == gv).ToList();
        if (types.Count == 0)
        {
            throw ApiException.UnknownPath();
        }

        await WriteJsonAsync(ctx, 200, Discovery.OpenApiGroupVersion(types));
    }

    private async Task GetAsync(HttpContext ctx, ResourceRequest r, string name)
    {
        var stored = store.Get(r.Type.Key, r.Namespace ?? "", name) ?? throw ApiException.NotFound(r.Type, name);
        if (r.Subresource == "scale")
        {
            await WriteJsonAsync(ctx, 200, Scale(ObjectJson.Parse(stored.Json)));
            return;
        }

        if (WantsTable(ctx))
        {
            var table = TableConventions.Build(r.Type, [ObjectJson.Parse(stored.Json)], stored.ResourceVersion, null, IncludeObject(ctx), time.GetUtcNow());
            await WriteJsonAsync(ctx, 200, table);
            return;
        }

        await WriteBytesAsync(ctx, 200, stored.Json);
    }

    private async Task ListAsync(HttpContext ctx, ResourceRequest r)
    {
        var q = ctx.Request.Query;
        var labels = LabelSelector.Parse(q["labelSelector"]);
        var fields = FieldSelector.Parse(q["fieldSelector"]);
        var limit = long.TryParse(q["limit"], CultureInfo.InvariantCulture, out var l) && l > 0 ? l : long.MaxValue;
        string? after = null;
        if (q["continue"].ToString() is { Length: > 0 } token)
        {
            try
            {
                after = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            }
            catch (FormatException)
            {
                throw ApiException.BadRequest("continue key is not valid");
            }
        }

        var (items, rv) = store.List(r.Type.Key, r.Namespace);
        var selected = new List<(byte[] Json, JsonObject? Parsed)>();
        string? lastKey = null;
        var remaining = 0L;
        var table = WantsTable(ctx);
        foreach (var (key, obj) in items)
        {
            if (after is not null && string.CompareOrdinal(key, after) <= 0)
            {
                continue;
            }

            if (!Selects(obj.Json, labels, fields, table, out var parsed))
            {
                continue;
            }

            if (selected.Count >= limit)
            {
                remaining++;
                continue;
            }

            selected.Add((obj.Json, parsed));
            lastKey = key;
        }

        var continueToken = remaining > 0 && lastKey is not null ? Convert.ToBase64String(Encoding.UTF8.GetBytes(lastKey)) : null;
        if (table)
        {
            var doc = TableConventions.Build(r.Type, selected.Select(s => s.Parsed!), rv, continueToken, IncludeObject(ctx), time.GetUtcNow());
            await WriteJsonAsync(ctx, 200, doc);
            return;
        }

        using var buffer = new MemoryStream();
        var head = new JsonObject
        {
            ["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture),
        };
        if (continueToken is not null)
        {
            head["continue"] = continueToken;
            head["remainingItemCount"] = remaining;
        }

        buffer.Write(Encoding.UTF8.GetBytes(
            $"{{\"kind\":\"{r.Type.ListKind}\",\"apiVersion\":\"{r.Type.GroupVersion}\",\"metadata\":{head.ToJsonString(ObjectJson.Options)},\"items\":["));
        for (var i = 0; i < selected.Count; i++)
        {
            if (i > 0)
            {
                buffer.WriteByte((byte)',');
            }

            buffer.Write(selected[i].Json);
        }

        buffer.Write("]}"u8);
        await WriteBytesAsync(ctx, 200, buffer.ToArray());
    }

    private async Task CreateAsync(HttpContext ctx, ResourceRequest r)
    {
        var obj = await ReadObjectAsync(ctx);
        var ns = r.Namespace ?? "";
        admission.PrepareCreate(r.Type, obj, ns);
        var name = ObjectJson.Name(obj)!;
        var outcome = store.Write(r.Type, ns, name, current => current is null ? obj : throw ApiException.AlreadyExists(r.Type, name), DryRun(ctx));
        AfterWrite(r.Type, outcome, DryRun(ctx));
        logger.LogDebug("Created {Resource} {Namespace}/{Name}", r.Type.QualifiedName, ns, name);
        await WriteJsonAsync(ctx, 201, outcome.Object!);
    }

    private async Task UpdateAsync(HttpContext ctx, ResourceRequest r, string name)
    {
        var body = await ReadObjectAsync(ctx);
        var bodyName = ObjectJson.Name(body);
        if (bodyName is { Length: > 0 } && bodyName != name)
        {
            throw ApiException.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
        }

        var ns = r.Namespace ?? "";
        var outcome = store.Write(r.Type, ns, name, current =>
        {
            if (current is null)
            {
                throw ApiException.NotFound(r.Type, name);
            }

            CheckResourceVersion(r.Type, name, current, body);
            return r.Subresource switch
            {
                "status" => WithStatus(current, body),
                "scale" => WithReplicas(current, body),
                _ => admission.PrepareUpdate(r.Type, current, body),
            };
        }, DryRun(ctx));
        AfterWrite(r.Type, outcome, DryRun(ctx));
        await WriteJsonAsync(ctx, 200, r.Subresource == "scale" ? Scale(outcome.Object!) : outcome.Object!);
    }

    private async Task PatchAsync(HttpContext ctx, ResourceRequest r, string name)
    {
        var contentType = ctx.Request.ContentType ?? "";
        var raw = await ReadBodyAsync(ctx);
        var ns = r.Namespace ?? "";
        var q = ctx.Request.Query;
        var isApply = contentType.Contains("apply-patch", StringComparison.OrdinalIgnoreCase);
        var manager = q["fieldManager"].ToString();
        if (isApply && manager.Length == 0)
        {
            throw new ApiException(422, "Invalid", "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch");
        }

        var force = q["force"] == "true";
        var patch = isApply ? YamlJson.Parse(raw) : JsonNode.Parse(raw);
        if (patch is null)
        {
            throw ApiException.BadRequest("empty patch");
        }

        var created = false;
        var outcome = store.Write(r.Type, ns, name, current =>
        {
            if (current is null)
            {
                if (!isApply || r.Subresource is not null)
                {
                    throw ApiException.NotFound(r.Type, name);
                }

                var applied = patch as JsonObject ?? throw ApiException.BadRequest("apply patch must be an object");
                if (ObjectJson.Name(applied) is { } appliedName && appliedName != name)
                {
                    throw ApiException.BadRequest($"the name of the object ({appliedName}) does not match the name on the URL ({name})");
                }

                var fresh = ServerSideApply.Apply(null, applied, manager, force, r.Type, time.GetUtcNow());
                ObjectJson.Meta(fresh)["name"] = name;
                created = true;
                return admission.PrepareCreate(r.Type, fresh, ns);
            }

            var subject = r.Subresource == "scale" ? Scale(current) : current;
            JsonObject patched;
            if (contentType.Contains("json-patch", StringComparison.OrdinalIgnoreCase))
            {
                patched = JsonPatch.Apply(subject, patch);
            }
            else if (contentType.Contains("merge-patch", StringComparison.OrdinalIgnoreCase) && !contentType.Contains("strategic", StringComparison.OrdinalIgnoreCase))
            {
                patched = MergePatch.Apply(subject, AsObject(patch));
            }
            else if (contentType.Contains("strategic-merge-patch", StringComparison.OrdinalIgnoreCase) || (isApply && r.Subresource is not null))
            {
                patched = StrategicMergePatch.Apply(subject, AsObject(patch));
            }
            else if (isApply)
            {
                patched = ServerSideApply.Apply(current, AsObject(patch), manager, force, r.Type, time.GetUtcNow());
            }
            else
            {
                throw new ApiException(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json");
            }

            CheckResourceVersion(r.Type, name, current, patched);
            return r.Subresource switch
            {
                "status" => WithStatus(current, patched),
                "scale" => WithReplicas(current, patched),
                _ => admission.PrepareUpdate(r.Type, current, patched),
            };
        }, DryRun(ctx));
        AfterWrite(r.Type, outcome, DryRun(ctx));
        var result = r.Subresource == "scale" ? Scale(outcome.Object!) : outcome.Object!;
        await WriteJsonAsync(ctx, created ? 201 : 200, result);
    }

    private async Task DeleteAsync(HttpContext ctx, ResourceRequest r, string name)
    {
        var options = await ReadDeleteOptionsAsync(ctx);
        var policy = ctx.Request.Query["propagationPolicy"].ToString() is { Length: > 0 } p ? p : ObjectJson.Str(options?["propagationPolicy"]);
        if (options?["orphanDependents"]?.GetValue<bool>() == true)
        {
            policy = "Orphan";
        }

        if (r.Type.Key == ObjectStore.NamespacesKey && ProtectedNamespaces.Contains(name))
        {
            throw ApiException.Forbidden(r.Type, name, "this namespace may not be deleted");
        }

        var dryRun = DryRun(ctx) || options?["dryRun"] is JsonArray { Count: > 0 };
        var preconditions = options?["preconditions"];
        var outcome = store.Delete(r.Type, r.Namespace ?? "", name, current =>
        {
            if (ObjectJson.Str(preconditions?["uid"]) is { } uid && uid != ObjectJson.Uid(current))
            {
                throw ApiException.Conflict(r.Type, name, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {ObjectJson.Uid(current)}");
            }

            if (ObjectJson.Str(preconditions?["resourceVersion"]) is { } rv && rv != ObjectJson.Str(current["metadata"]?["resourceVersion"]))
            {
                throw ApiException.Conflict(r.Type, name, $"Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {ObjectJson.Str(current["metadata"]?["resourceVersion"])}");
            }
        }, dryRun);
        if (!dryRun)
        {
            AfterDelete(r.Type, outcome, policy);
        }

        logger.LogDebug("Deleted {Resource} {Namespace}/{Name}", r.Type.QualifiedName, r.Namespace, name);
        if (outcome.Kind == WriteKind.MarkedForDeletion && r.Type.Key != ObjectStore.NamespacesKey)
        {
            await WriteJsonAsync(ctx, 200, outcome.Object!);
            return;
        }

        await WriteJsonAsync(ctx, 200, StatusObjects.Success(r.Type, name, ObjectJson.Uid(outcome.Object!)));
    }

    private async Task DeleteCollectionAsync(HttpContext ctx, ResourceRequest r)
    {
        var labels = LabelSelector.Parse(ctx.Request.Query["labelSelector"]);
        var fields = FieldSelector.Parse(ctx.Request.Query["fieldSelector"]);
        var (items, rv) = store.List(r.Type.Key, r.Namespace);
        foreach (var (_, obj) in items)
        {
            var parsed = ObjectJson.Parse(obj.Json);
            if (!labels.Matches(ObjectJson.Labels(parsed)) || !fields.Matches(parsed))
            {
                continue;
            }

            DeleteQuietly(r.Type, ObjectJson.Namespace(parsed) ?? "", ObjectJson.Name(parsed) ?? "", "Background");
        }

        await WriteJsonAsync(ctx, 200, new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject { ["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture) },
            ["status"] = "Success",
        });
    }

    // Garbage collection and namespace/CRD cleanup, done synchronously so that a DELETE answered
    // means dependents are gone too (Foreground and Background behave the same here).
    internal void AfterDelete(ResourceType type, WriteOutcome outcome, string? policy)
    {
        var obj = outcome.Object!;
        var uid = ObjectJson.Uid(obj);
        if (type.Key == ObjectStore.NamespacesKey)
        {
            var ns = ObjectJson.Name(obj)!;
            foreach (var item in store.ObjectsInNamespace(ns))
            {
                if (registry.FindByKey(item.ResourceKey) is { } t)
                {
                    DeleteQuietly(t, item.Namespace, item.Name, "Background");
                }
            }

            return;
        }

        if (outcome.Kind != WriteKind.Deleted)
        {
            return;
        }

        if (type.Key == "apiextensions.k8s.io/customresourcedefinitions")
        {
            var name = ObjectJson.Name(obj)!;
            var rows = registry.All.Where(t => t.IsCustom && ResourceRegistry.CrdName(t) == name).ToList();
            foreach (var row in rows.Take(1))
            {
                foreach (var (_, item) in store.List(row.Key, null).Items)
                {
                    var parsed = ObjectJson.Parse(item.Json);
                    DeleteQuietly(row, ObjectJson.Namespace(parsed) ?? "", ObjectJson.Name(parsed) ?? "", "Background");
                }
            }

            registry.SetCustom(name, []);
        }

        if (uid is null)
        {
            return;
        }

        foreach (var dependent in store.DependentsOf(uid))
        {
            if (registry.FindByKey(dependent.ResourceKey) is not { } t)
            {
                continue;
            }

            if (policy == "Orphan")
            {
                store.Write(t, dependent.Namespace, dependent.Name, current =>
                {
                    if (current?["metadata"]?["ownerReferences"] is not JsonArray refs)
                    {
                        return null;
                    }

                    var next = current.DeepClone().AsObject();
                    var kept = refs.Where(o => ObjectJson.Str(o?["uid"]) != uid).Select(o => o?.DeepClone()).ToArray();
                    if (kept.Length == 0)
                    {
                        ObjectJson.Meta(next).Remove("ownerReferences");
                    }
                    else
                    {
                        ObjectJson.Meta(next)["ownerReferences"] = new JsonArray(kept);
                    }

                    return next;
                });
            }
            else
            {
                DeleteQuietly(t, dependent.Namespace, dependent.Name, policy);
            }
        }
    }

    internal void DeleteQuietly(ResourceType type, string ns, string name, string? policy)
    {
        try
        {
            var outcome = store.Delete(type, ns, name, null);
            AfterDelete(type, outcome, policy);
        }
        catch (ApiException e) when (e.Code == 404)
        {
            // Already gone: another cascade or client got there first.
        }
    }

    internal void AfterWrite(ResourceType type, WriteOutcome outcome, bool dryRun)
    {
        if (dryRun || outcome.Object is null)
        {
            return;
        }

        if (type.Key == "apiextensions.k8s.io/customresourcedefinitions" && outcome.Kind is WriteKind.Created or WriteKind.Updated)
        {
            registry.SetCustom(ObjectJson.Name(outcome.Object)!, CustomResources.RowsFor(outcome.Object));
        }
    }

    private async Task WatchAsync(HttpContext ctx, ResourceRequest r)
    {
        var q = ctx.Request.Query;
        var labels = LabelSelector.Parse(q["labelSelector"]);
        var fields = FieldSelector.Parse(q["fieldSelector"]);
        var bookmarks = q["allowWatchBookmarks"] == "true";
        var sendInitial = q["sendInitialEvents"] == "true";
        long? from = long.TryParse(q["resourceVersion"], CultureInfo.InvariantCulture, out var rvValue) ? rvValue : null;
        if (sendInitial)
        {
            from = null;
        }

        var table = WantsTable(ctx);
        var includeObject = IncludeObject(ctx);
        using var timeout = long.TryParse(q["timeoutSeconds"], CultureInfo.InvariantCulture, out var secs) && secs > 0
            ? new CancellationTokenSource(TimeSpan.FromSeconds(secs), time)
            : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, ctx.RequestAborted, shutdown);
        var ct = linked.Token;

        WatchSubscription sub;
        List<WatchEvent> backlog;
        try
        {
            sub = store.Subscribe(r.Type.Key, r.Namespace, from, 10_000, out backlog);
        }
        catch (ApiException e) when (e.Code == 410)
        {
            // The apiserver answers an expired resourceVersion with an ERROR event on a 200 stream.
            ctx.Response.StatusCode = 200;
            ctx.Response.ContentType = "application/json";
            var error = new JsonObject { ["type"] = "ERROR", ["object"] = StatusObjects.Failure(410, "Expired", e.Message, null) };
            await ctx.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(error.ToJsonString(ObjectJson.Options) + "\n"), ctx.RequestAborted);
            return;
        }

        var lastRv = from ?? 0;
        using (sub)
        {
            ctx.Response.StatusCode = 200;
            ctx.Response.ContentType = "application/json";
            ctx.Response.Headers.CacheControl = "no-cache, private";
            await ctx.Response.StartAsync(ct);
            await ctx.Response.Body.FlushAsync(ct);
            try
            {
                await SendBurstAsync(backlog);
                if (sendInitial)
                {
                    await SendBookmarkAsync(ctx, r.Type, Math.Max(lastRv, store.CurrentResourceVersion), true, ct);
                }

                // One timer for bookmarks until it fires, not one for every wait: a watch of a busy kind waits once per
                // burst of changes.
                Task? tick = null;
                var burst = new List<WatchEvent>();
                while (!ct.IsCancellationRequested)
                {
                    var ready = sub.Reader.WaitToReadAsync(ct).AsTask();
                    if (bookmarks)
                    {
                        tick ??= Task.Delay(BookmarkInterval, time, ct);
                        if (await Task.WhenAny(ready, tick) == tick)
                        {
                            await tick;
                            tick = null;
                            await SendBookmarkAsync(ctx, r.Type, Math.Max(lastRv, store.CurrentResourceVersion), false, ct);
                            continue;
                        }
                    }

                    if (!await ready)
                    {
                        break;
                    }

                    // What arrived meanwhile goes out in one flush: a simulated rollout changes several objects at once.
                    burst.Clear();
                    while (sub.Reader.TryRead(out var e))
                    {
                        burst.Add(e);
                    }

                    await SendBurstAsync(burst);
                }
            }
            catch (OperationCanceledException)
            {
                // timeoutSeconds elapsed, the client left, or the cluster is stopping: end the stream.
            }
        }

        // Flushed once the burst is out, and every WatchFlushBytes meanwhile (a watch's first burst is every current object).
        async Task SendBurstAsync(List<WatchEvent> events)
        {
            var unflushed = 0;
            foreach (var e in events)
            {
                unflushed += WriteEvent(ctx, r.Type, e, labels, fields, table, includeObject);
                lastRv = Math.Max(lastRv, e.ResourceVersion);
                if (unflushed > WatchFlushBytes)
                {
                    await ctx.Response.BodyWriter.FlushAsync(ct);
                    unflushed = 0;
                }
            }

            await ctx.Response.BodyWriter.FlushAsync(ct);
        }
    }

    // Whether the selectors take the object stored as `json`; `parsed` is its parse when one was needed (selectors, or a
    // table to build). Most objects a selector rejects are ruled out from their bytes, unparsed.
    private static bool Selects(byte[] json, LabelSelector labels, FieldSelector fields, bool table, out JsonObject? parsed)
    {
        parsed = null;
        if (labels.IsEmpty && fields.IsEmpty && !table)
        {
            return true;
        }

        if (labels.RulesOut(json))
        {
            return false;
        }

        if (fields.IsEmpty && !table)
        {
            // The labels alone, read over the stored bytes: a watch with a label selector (the control plane's) checks
            // every event that may match, and a whole parse of the object is most of what that costs.
            return labels.Matches(ObjectJson.LabelsOf(json));
        }

        parsed = ObjectJson.Parse(json);
        return labels.Matches(ObjectJson.Labels(parsed)) && fields.Matches(parsed);
    }

    // Writes the event's line unless the selectors rule it out, without flushing; returns the bytes written.
    private int WriteEvent(HttpContext ctx, ResourceType type, WatchEvent e, LabelSelector labels, FieldSelector fields, bool table, string includeObject)
    {
        if (!Selects(e.Json, labels, fields, table, out var parsed))
        {
            return 0;
        }

        var objectBytes = table ? ObjectJson.ToBytes(TableConventions.Build(type, [parsed!], e.ResourceVersion, null, includeObject, time.GetUtcNow())) : e.Json;

        var head = e.Type switch
        {
            "ADDED" => AddedHead,
            "MODIFIED" => ModifiedHead,
            "DELETED" => DeletedHead,
            _ => Encoding.UTF8.GetBytes($"{{\"type\":\"{e.Type}\",\"object\":"),
        };
        var writer = ctx.Response.BodyWriter;
        writer.Write(head);
        writer.Write(objectBytes);
        writer.Write("}\n"u8);
        return head.Length + objectBytes.Length + 2;
    }

    private static async Task SendBookmarkAsync(HttpContext ctx, ResourceType type, long rv, bool initialEnd, CancellationToken ct)
    {
        var meta = new JsonObject { ["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture) };
        if (initialEnd)
        {
            meta["annotations"] = new JsonObject { ["k8s.io/initial-events-end"] = "true" };
        }

        var e = new JsonObject
        {
            ["type"] = "BOOKMARK",
            ["object"] = new JsonObject { ["kind"] = type.Kind, ["apiVersion"] = type.GroupVersion, ["metadata"] = meta },
        };
        await ctx.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(e.ToJsonString(ObjectJson.Options) + "\n"), ct);
        await ctx.Response.Body.FlushAsync(ct);
    }

    private static void CheckResourceVersion(ResourceType type, string name, JsonObject current, JsonObject next)
    {
        var wanted = ObjectJson.Str(next["metadata"]?["resourceVersion"]);
        if (wanted is { Length: > 0 } && wanted != ObjectJson.Str(current["metadata"]?["resourceVersion"]))
        {
            throw ApiException.Conflict(type, name);
        }
    }

    private static JsonObject WithStatus(JsonObject current, JsonObject body)
    {
        var next = current.DeepClone().AsObject();
        if (body["status"] is { } status)
        {
            next["status"] = status.DeepClone();
        }
        else
        {
            next.Remove("status");
        }

        return next;
    }

    private static JsonObject WithReplicas(JsonObject current, JsonObject scale)
    {
        var next = current.DeepClone().AsObject();
        var replicas = ObjectJson.Long(scale["spec"]?["replicas"]) ?? 0;
        ObjectJson.Child(next, "spec")["replicas"] = replicas;
        var meta = ObjectJson.Meta(next);
        var generation = ObjectJson.Long(meta["generation"]) ?? 1;
        if (ObjectJson.Long(current["spec"]?["replicas"]) != replicas)
        {
            meta["generation"] = generation + 1;
        }

        return next;
    }

    private static JsonObject Scale(JsonObject obj)
    {
        var meta = obj["metadata"];
        var selector = LabelSelector.FromObject(obj["spec"]?["selector"]).ToString();
        return new JsonObject
        {
            ["kind"] = "Scale",
            ["apiVersion"] = "autoscaling/v1",
            ["metadata"] = new JsonObject
            {
                ["name"] = meta?["name"]?.DeepClone(),
                ["namespace"] = meta?["namespace"]?.DeepClone(),
                ["uid"] = meta?["uid"]?.DeepClone(),
                ["resourceVersion"] = meta?["resourceVersion"]?.DeepClone(),
                ["creationTimestamp"] = meta?["creationTimestamp"]?.DeepClone(),
            },
            ["spec"] = new JsonObject { ["replicas"] = ObjectJson.Long(obj["spec"]?["replicas"]) ?? 1 },
            ["status"] = new JsonObject
            {
                ["replicas"] = ObjectJson.Long(obj["status"]?["replicas"]) ?? 0,
                ["selector"] = selector,
            },
        };
    }

    private static JsonObject AsObject(JsonNode patch) => patch as JsonObject ?? throw ApiException.BadRequest("patch body must be a JSON object");

    private static bool DryRun(HttpContext ctx) => ctx.Request.Query["dryRun"] == "All";

    private static bool WantsTable(HttpContext ctx) => ctx.Request.Headers.Accept.ToString().Contains("as=Table", StringComparison.Ordinal);

    private static string IncludeObject(HttpContext ctx) => ctx.Request.Query["includeObject"].ToString() is { Length: > 0 } v ? v : "Metadata";

    private static async Task<byte[]> ReadBodyAsync(HttpContext ctx)
    {
        using var ms = new MemoryStream();
        await ctx.Request.Body.CopyToAsync(ms, ctx.RequestAborted);
        return ms.ToArray();
    }

    private static async Task<JsonObject> ReadObjectAsync(HttpContext ctx)
    {
        var raw = await ReadBodyAsync(ctx);
        if (raw.Length == 0)
        {
            throw ApiException.BadRequest("request body is empty");
        }

        var contentType = ctx.Request.ContentType ?? "";
        var node = contentType.Contains("yaml", StringComparison.OrdinalIgnoreCase) ? YamlJson.Parse(raw) : JsonNode.Parse(raw);
        return node as JsonObject ?? throw ApiException.BadRequest("request body must be an object");
    }

    private static async Task<JsonObject?> ReadDeleteOptionsAsync(HttpContext ctx)
    {
        var raw = await ReadBodyAsync(ctx);
        return raw.Length == 0 ? null : JsonNode.Parse(raw) as JsonObject;
    }

    private static Task WriteJsonAsync(HttpContext ctx, int code, JsonNode body, string contentType = "application/json") =>
        WriteBytesAsync(ctx, code, ObjectJson.ToBytes(body), contentType);

    private static async Task WriteBytesAsync(HttpContext ctx, int code, byte[] body, string contentType = "application/json")
    {
        ctx.Response.StatusCode = code;
        ctx.Response.ContentType = contentType;
        ctx.Response.ContentLength = body.Length;
        await ctx.Response.Body.WriteAsync(body, ctx.RequestAborted);
    }

    private static Task WriteStatusAsync(HttpContext ctx, ApiException e) =>
        WriteJsonAsync(ctx, e.Code, StatusObjects.Failure(e.Code, e.Reason, e.Message, e.Details));
}
