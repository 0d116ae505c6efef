using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Threeport.Modules.DevCluster.Api;
using Threeport.Modules.DevCluster.Storage;
using JsonElementFields = Threeport.Modules.Platform.Kubernetes.JsonElementFields;

namespace Threeport.Modules.DevCluster.Simulation;

// Stand-in for kubelet and the built-in controllers: one loop, level-based, reacting to store
// changes and to readiness timers on the injected TimeProvider. Rollouts are instant (old replica
// sets go to 0 at once); every pod becomes ready ReadinessDelay after it was scheduled.
internal sealed partial class ClusterSimulator : IAsyncDisposable
{
    public const string NodeName = "threeport-dev";

    private readonly ObjectStore store;
    private readonly ResourceRegistry registry;
    private readonly Admission admission;
    private readonly EventRecorder events;
    private readonly TimeProvider time;
    private readonly TimeSpan readinessDelay;
    private readonly ILogger logger;
    private readonly WorkQueue queue = new();
    private readonly ParsedObjects parsed;
    private readonly HashSet<string> timed = new(StringComparer.Ordinal);
    private readonly List<ITimer> timers = [];
    private readonly CancellationTokenSource stopping = new();
    private Task loop = Task.CompletedTask;
    private long nextPodIp = 10;

    // For Endpoints: Services and pods as last parsed, by namespace and name (only the loop touches them).
    private readonly Dictionary<string, NamespaceServices> servicesByNamespace = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Ns, string Name), PodView> pods = [];

    public ClusterSimulator(ObjectStore store, ResourceRegistry registry, Admission admission, TimeProvider time, TimeSpan readinessDelay, ILogger logger)
    {
        this.store = store;
        this.registry = registry;
        this.admission = admission;
        this.time = time;
        this.readinessDelay = readinessDelay;
        this.logger = logger;
        events = new EventRecorder(store, registry, time);
        parsed = new ParsedObjects(store);
    }

    // Called by the store under its lock: only enqueue.
    public void OnChange(WatchEvent e)
    {
        if (e.ResourceKey != "/events")
        {
            queue.Add(new WorkItem(e.ResourceKey, e.Namespace, e.Name, Deleted: e.Type == "DELETED") { Json = e.Json });
        }
    }

    public void Start()
    {
        // Pick up work that was pending when a persisted cluster stopped. ReplicaSets too: one made just before a stop
        // has no pods yet, and its Deployment, unchanged, would not touch it again; Services, whose Endpoints may list
        // pods that changed meanwhile.
        foreach (var key in new[] { "/namespaces", "/pods", "/services", "apps/deployments", "apps/replicasets", "apps/statefulsets", "apps/daemonsets", "batch/jobs", "/persistentvolumeclaims" })
        {
            foreach (var (_, stored) in store.List(key, null).Items)
            {
                var obj = ObjectJson.Parse(stored.Json);
                queue.Add(new WorkItem(key, ObjectJson.Namespace(obj) ?? "", ObjectJson.Name(obj) ?? "") { Json = stored.Json });
            }
        }

        loop = RunAsync(stopping.Token);
    }

    public async ValueTask DisposeAsync()
    {
        queue.Complete();
        await stopping.CancelAsync();
        try
        {
            await loop;
        }
        catch (OperationCanceledException)
        {
            // Stopping: the loop ends by cancellation.
        }

        lock (timers)
        {
            foreach (var t in timers)
            {
                t.Dispose();
            }
        }

        stopping.Dispose();
    }

    private async Task RunAsync(CancellationToken ct)
    {
        await foreach (var item in queue.ReadAllAsync(ct))
        {
            try
            {
                Process(item);
            }
            catch (ApiException e)
            {
                logger.LogDebug("Skipped simulated work for {Resource} {Namespace}/{Name}: {Reason}", item.ResourceKey, item.Namespace, item.Name, e.Message);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Failed simulated work for {Resource} {Namespace}/{Name}", item.ResourceKey, item.Namespace, item.Name);
            }
        }
    }

    private void Process(WorkItem item)
    {
        if (item.Deleted)
        {
            parsed.Forget(item.ResourceKey, item.Namespace, item.Name);
        }

        switch (item.ResourceKey)
        {
            case "/pods":
                if (!item.Deleted)
                {
                    ReconcilePod(item.Namespace, item.Name, item.TimerFired);
                }

                EnqueueOwner(item);
                PodChanged(item.Namespace, item.Name);
                break;
            case "apps/replicasets":
                if (!item.Deleted)
                {
                    ReconcileReplicaSet(item.Namespace, item.Name);
                }

                EnqueueOwner(item);
                break;
            case "apps/deployments" when !item.Deleted:
                ReconcileDeployment(item.Namespace, item.Name);
                break;
            case "apps/statefulsets" when !item.Deleted:
                ReconcileStatefulSet(item.Namespace, item.Name);
                break;
            case "apps/daemonsets" when !item.Deleted:
                ReconcileDaemonSet(item.Namespace, item.Name);
                break;
            case "batch/jobs" when !item.Deleted:
                ReconcileJob(item.Namespace, item.Name);
                break;
            case "/persistentvolumeclaims" when !item.Deleted:
                BindClaim(item.Namespace, item.Name);
                break;
            case "/services":
                ServiceChanged(item.Namespace, item.Name, item.Deleted);
                break;
            case ObjectStore.NamespacesKey when !item.Deleted:
                SeedNamespace(item.Name);
                break;
        }
    }

    private void EnqueueOwner(WorkItem item)
    {
        if (item.Json is null)
        {
            return;
        }

        // Over the stored bytes, which never change: no copy, and the document's index goes back to its pool.
        using var doc = JsonDocument.Parse(item.Json);
        if (!doc.RootElement.TryGetProperty("metadata", out var meta) || !meta.TryGetProperty("ownerReferences", out var owners) || owners.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        foreach (var owner in owners.EnumerateArray())
        {
            var key = JsonElementFields.Text(owner, "kind") switch
            {
                "ReplicaSet" => "apps/replicasets",
                "Deployment" => "apps/deployments",
                "StatefulSet" => "apps/statefulsets",
                "DaemonSet" => "apps/daemonsets",
                "Job" => "batch/jobs",
                _ => null,
            };
            if (key is not null)
            {
                queue.Add(new WorkItem(key, item.Namespace, JsonElementFields.Text(owner, "name") ?? ""));
            }
        }
    }

    private ResourceType Type(string group, string plural) => registry.Required(group, plural);

    // Shared with later reads (ParsedObjects): never change what it returns.
    private JsonObject? Read(string key, string ns, string name) => parsed.Get(key, ns, name);

    // The simulator's writes: what one writes is what the next Read of it returns, so never change it after writing.
    // mutate gets the object as last read (the store parses the stored bytes only when they have moved on since), and
    // changes it only when it returns it.
    private WriteOutcome Write(ResourceType type, string ns, string name, Func<JsonObject?, JsonObject?> mutate)
    {
        var written = store.Write(type, ns, name, mutate, handedOver: parsed.Take(type.Key, ns, name));
        parsed.Remember(type.Key, ns, name, written);
        return written;
    }

    private List<JsonObject> Owned(string uid, string key) =>
        store.DependentsOf(uid).Where(d => d.ResourceKey == key)
            .Select(d => Read(d.ResourceKey, d.Namespace, d.Name))
            .OfType<JsonObject>()
            .Where(o => o["metadata"]?["deletionTimestamp"] is null)
            .OrderBy(o => ObjectJson.Name(o), StringComparer.Ordinal)
            .ToList();

    private static JsonObject OwnerRef(JsonObject owner, string kind, string apiVersion) => new()
    {
        ["apiVersion"] = apiVersion,
        ["kind"] = kind,
        ["name"] = ObjectJson.Name(owner),
        ["uid"] = ObjectJson.Uid(owner),
        ["controller"] = true,
        ["blockOwnerDeletion"] = true,
    };

    // Writes status through the store only when it differs, so a reconcile that changes nothing
    // produces no event and no further work.
    private void SetStatus(ResourceType type, string ns, string name, Func<JsonObject, JsonObject> status)
    {
        JsonObject? Changed(JsonObject? current)
        {
            if (current is null || current["metadata"]?["deletionTimestamp"] is not null)
            {
                return null;
            }

            var computed = status(current);
            if (computed["conditions"] is JsonArray conditions && current["status"]?["conditions"] is JsonArray old)
            {
                KeepTransitionTimes(conditions, old);
            }

            // Most are the status it has (a pod's change that left its ReplicaSet's counts alone): known without
            // serializing the object to compare it.
            return JsonNode.DeepEquals(computed, current["status"]) ? null : computed;
        }

        // Looked at as last read first: most pod changes leave their owners' status alone, and need no write.
        var read = Read(type.Key, ns, name);
        if (Changed(read) is not { } computed)
        {
            return;
        }

        Write(type, ns, name, current =>
        {
            // The object read is the one handed over unless it changed in between.
            if ((ReferenceEquals(current, read) ? computed : Changed(current)) is not { } next)
            {
                return null;
            }

            current!["status"] = next;
            return current;
        });
    }

    private static void KeepTransitionTimes(JsonArray conditions, JsonArray old)
    {
        foreach (var c in conditions.OfType<JsonObject>())
        {
            var previous = old.OfType<JsonObject>().FirstOrDefault(o => ObjectJson.Str(o["type"]) == ObjectJson.Str(c["type"]));
            if (previous is not null && ObjectJson.Str(previous["status"]) == ObjectJson.Str(c["status"]))
            {
                c["lastTransitionTime"] = previous["lastTransitionTime"]?.DeepClone();
                if (c.ContainsKey("lastUpdateTime") && ObjectJson.Str(previous["reason"]) == ObjectJson.Str(c["reason"]))
                {
                    c["lastUpdateTime"] = previous["lastUpdateTime"]?.DeepClone();
                }
            }
        }
    }

    private JsonObject Condition(string type, bool status, string reason, string message, bool withUpdateTime = false)
    {
        var now = ObjectJson.Timestamp(time.GetUtcNow());
        var c = new JsonObject { ["type"] = type, ["status"] = status ? "True" : "False" };
        if (withUpdateTime)
        {
            c["lastUpdateTime"] = now;
        }

        c["lastTransitionTime"] = now;
        c["reason"] = reason;
        c["message"] = message;
        return c;
    }

    private JsonObject CreateFrom(ResourceType type, string ns, JsonObject obj)
    {
        admission.PrepareCreate(type, obj, ns);
        var name = ObjectJson.Name(obj)!;
        var outcome = Write(type, ns, name, current => current is null ? obj : null);
        return outcome.Object ?? obj;
    }

    private JsonObject NewPod(string ns, string name, JsonObject owner, string ownerKind, JsonNode? template, Dictionary<string, string>? extraLabels = null)
    {
        var templateMeta = template?["metadata"] as JsonObject;
        var labels = (templateMeta?["labels"]?.DeepClone() as JsonObject) ?? new JsonObject();
        foreach (var (k, v) in extraLabels ?? [])
        {
            labels[k] = v;
        }

        var meta = new JsonObject
        {
            ["name"] = name,
            ["namespace"] = ns,
            ["labels"] = labels,
            ["ownerReferences"] = new JsonArray(OwnerRef(owner, ownerKind, ownerKind is "Job" ? "batch/v1" : "apps/v1")),
        };
        if (templateMeta?["annotations"] is JsonObject annotations)
        {
            meta["annotations"] = annotations.DeepClone();
        }

        var spec = template?["spec"]?.DeepClone() as JsonObject ?? new JsonObject();
        spec["nodeName"] = NodeName;
        spec["restartPolicy"] ??= "Always";
        spec["serviceAccountName"] ??= "default";
        spec["schedulerName"] ??= "default-scheduler";
        var pod = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Pod", ["metadata"] = meta, ["spec"] = spec };
        return CreateFrom(Type("", "pods"), ns, pod);
    }

    private void ScheduleReady(string ns, string name, string uid)
    {
        if (!timed.Add(uid))
        {
            return;
        }

        var item = new WorkItem("/pods", ns, name, TimerFired: true);
        if (readinessDelay <= TimeSpan.Zero)
        {
            queue.Add(item);
            return;
        }

        ITimer? timer = null;
        timer = time.CreateTimer(_ =>
        {
            queue.Add(item);
            lock (timers)
            {
                if (timer is not null)
                {
                    timers.Remove(timer);
                    timer.Dispose();
                }
            }
        }, null, readinessDelay, Timeout.InfiniteTimeSpan);
        lock (timers)
        {
            timers.Add(timer);
        }
    }
}
