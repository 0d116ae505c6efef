using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Threeport.Modules.DevCluster.Api;
using Threeport.Modules.DevCluster.Storage;

namespace Threeport.Modules.DevCluster.Simulation;

// Writes core/v1 Events the way kubelet and the controllers do, so `kubectl get events` and
// `kubectl describe` show what the simulated cluster did. Written straight to JSON: built as nodes, they were a tenth
// of the dev cluster's allocations under a burst of workloads (docs/benchmarks.md).
internal sealed class EventRecorder(ObjectStore store, ResourceRegistry registry, TimeProvider time)
{
    private static readonly JsonWriterOptions Relaxed = new() { Encoder = ObjectJson.Options.Encoder };
    private long counter;

    public void Record(JsonObject involved, string kind, string apiVersion, string reason, string message, string component, string type = "Normal")
    {
        var ns = ObjectJson.Namespace(involved) ?? "default";
        var name = ObjectJson.Name(involved) ?? "";
        var now = time.GetUtcNow();
        var id = Interlocked.Increment(ref counter);
        var eventName = $"{name}.{(now.ToUnixTimeMilliseconds() * 1000 + id % 1000):x}";
        var uid = Guid.NewGuid().ToString();
        var timestamp = ObjectJson.Timestamp(now);
        var involvedUid = ObjectJson.Uid(involved);
        var involvedVersion = ObjectJson.Str(involved["metadata"]?["resourceVersion"]);
        byte[] SerializeAt(long resourceVersion)
        {
            var buffer = new ArrayBufferWriter<byte>(1024);
            using (var json = new Utf8JsonWriter(buffer, Relaxed))
            {
                json.WriteStartObject();
                json.WriteString("kind", "Event");
                json.WriteString("apiVersion", "v1");
                json.WriteStartObject("metadata");
                json.WriteString("name", eventName);
                json.WriteString("namespace", ns);
                json.WriteString("uid", uid);
                json.WriteString("creationTimestamp", timestamp);
                json.WriteString("resourceVersion", resourceVersion.ToString(CultureInfo.InvariantCulture));
                json.WriteEndObject();
                json.WriteStartObject("involvedObject");
                json.WriteString("kind", kind);
                json.WriteString("namespace", ns);
                json.WriteString("name", name);
                json.WriteString("uid", involvedUid);
                json.WriteString("apiVersion", apiVersion);
                json.WriteString("resourceVersion", involvedVersion);
                json.WriteEndObject();
                json.WriteString("reason", reason);
                json.WriteString("message", message);
                json.WriteStartObject("source");
                json.WriteString("component", component);
                json.WriteEndObject();
                json.WriteString("firstTimestamp", timestamp);
                json.WriteString("lastTimestamp", timestamp);
                json.WriteNumber("count", 1);
                json.WriteString("type", type);
                json.WriteNull("eventTime");
                json.WriteString("reportingComponent", component);
                json.WriteString("reportingInstance", "");
                json.WriteEndObject();
            }

            return buffer.WrittenSpan.ToArray();
        }

        try
        {
            store.Create(registry.Required("", "events"), ns, eventName, uid, SerializeAt);
        }
        catch (ApiException)
        {
            // The namespace is gone or terminating; the event has nowhere to live, as in a real cluster.
        }
    }
}
