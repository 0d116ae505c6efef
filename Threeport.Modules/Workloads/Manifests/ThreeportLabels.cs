using System.Text.Json.Nodes;

namespace Threeport.Modules.Workloads.Manifests;

// Threeport's labels (pkg/kube/v0/metadata.go): added when absent, on the object and on pod templates.
public static class ThreeportLabels
{
    public const string ManagedBy = "control-plane.threeport.io/managed-by";
    public const string WorkloadInstance = "control-plane.threeport.io/workload-instance";
    public const string FieldManager = "threeport";

    public static void Apply(JsonObject obj, string definitionName, string instanceName, long instanceId)
    {
        var labels = new Dictionary<string, string>
        {
            ["app.kubernetes.io/managed-by"] = "threeport",
            ["app.kubernetes.io/name"] = definitionName,
            ["app.kubernetes.io/instance"] = instanceName,
            [WorkloadInstance] = instanceId.ToString(),
            [ManagedBy] = "threeport",
        };
        AddMissing(obj, labels);
        if (PodTemplate(obj) is { } template)
        {
            AddMissing(template, labels);
        }
    }

    private static JsonObject? PodTemplate(JsonObject obj) => obj["kind"]?.GetValue<string>() switch
    {
        "Deployment" or "StatefulSet" or "DaemonSet" or "ReplicaSet" or "Job" => obj["spec"]?["template"] as JsonObject,
        "CronJob" => obj["spec"]?["jobTemplate"]?["spec"]?["template"] as JsonObject,
        _ => null,
    };

    private static void AddMissing(JsonObject holder, Dictionary<string, string> labels)
    {
        var metadata = holder["metadata"] as JsonObject ?? (JsonObject)(holder["metadata"] = new JsonObject());
        var existing = metadata["labels"] as JsonObject ?? (JsonObject)(metadata["labels"] = new JsonObject());
        foreach (var (key, value) in labels)
        {
            if (!existing.ContainsKey(key))
            {
                existing[key] = value;
            }
        }
    }
}
