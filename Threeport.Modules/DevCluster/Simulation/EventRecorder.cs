using System.Text.Json.Nodes;
using Threeport.Modules.DevCluster.Api;
using Threeport.Modules.DevCluster.Storage;

namespace Threeport.Modules.DevCluster.Simulation;

// Writes core/v1 Events the way kubelet and the controllers do, so `kubectl get events` and
// `kubectl describe` show what the simulated cluster did.
internal sealed class EventRecorder(ObjectStore store, ResourceRegistry registry, TimeProvider time)
{
    private long counter;

    public void Record(JsonObject involved, string kind, string apiVersion, string reason, string message, string component, string type = "Normal")
    {
        var ns = ObjectJson.Namespace(involved) ?? "default";
        var name = ObjectJson.Name(involved) ?? "";
        var now = time.GetUtcNow();
        var id = Interlocked.Increment(ref counter);
        var eventName = $"{name}.{(now.ToUnixTimeMilliseconds() * 1000 + id % 1000):x}";
        var eventType = registry.Required("", "events");
        var ev = new JsonObject
        {
            ["kind"] = "Event",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject
            {
                ["name"] = eventName,
                ["namespace"] = ns,
                ["uid"] = Guid.NewGuid().ToString(),
                ["creationTimestamp"] = ObjectJson.Timestamp(now),
            },
            ["involvedObject"] = new JsonObject
            {
                ["kind"] = kind,
                ["namespace"] = ns,
                ["name"] = name,
                ["uid"] = ObjectJson.Uid(involved),
                ["apiVersion"] = apiVersion,
                ["resourceVersion"] = ObjectJson.Str(involved["metadata"]?["resourceVersion"]),
            },
            ["reason"] = reason,
            ["message"] = message,
            ["source"] = new JsonObject { ["component"] = component },
            ["firstTimestamp"] = ObjectJson.Timestamp(now),
            ["lastTimestamp"] = ObjectJson.Timestamp(now),
            ["count"] = 1,
            ["type"] = type,
            ["eventTime"] = null,
            ["reportingComponent"] = component,
            ["reportingInstance"] = "",
        };
        try
        {
            store.Write(eventType, ns, eventName, current => current is null ? ev : null);
        }
        catch (ApiException)
        {
            // The namespace is gone or terminating; the event has nowhere to live, as in a real cluster.
        }
    }
}
