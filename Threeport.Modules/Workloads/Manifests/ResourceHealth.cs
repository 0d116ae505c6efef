using System.Text.Json.Nodes;

namespace Threeport.Modules.Workloads.Manifests;

// Whether the cluster reports a live object ready, read from its status the way kubectl rollout status does.
public static class ResourceHealth
{
    public static bool IsReady(JsonObject live)
    {
        var spec = live["spec"];
        var status = live["status"];
        var generation = Long(live["metadata"]?["generation"]);
        var observed = Long(status?["observedGeneration"]);
        var current = observed is null || generation is null || observed >= generation;
        return live["kind"]?.GetValue<string>() switch
        {
            "Deployment" => current && Condition(status, "Available") && Long(status?["availableReplicas"]) >= Replicas(spec),
            "StatefulSet" or "ReplicaSet" => current && Long(status?["readyReplicas"]) >= Replicas(spec),
            "DaemonSet" => current && Long(status?["numberReady"]) >= (Long(status?["desiredNumberScheduled"]) ?? 0),
            "Job" => Condition(status, "Complete") || Long(status?["succeeded"]) >= 1,
            "PersistentVolumeClaim" => status?["phase"]?.GetValue<string>() == "Bound",
            "Pod" => Condition(status, "Ready"),
            "CustomResourceDefinition" => Condition(status, "Established"),
            _ => true,
        };
    }

    // Kinds whose readiness the cluster reports in their status; any other kind is ready once it exists.
    public static bool ReportsReadiness(string kind) =>
        kind is "Deployment" or "StatefulSet" or "ReplicaSet" or "DaemonSet" or "Job" or "PersistentVolumeClaim" or "Pod" or "CustomResourceDefinition";

    // Only kinds that run something decide whether a workload is up.
    public static readonly string[] RunningKinds = ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "Pod"];

    public static bool Runs(string kind) => RunningKinds.Contains(kind);

    private static long Replicas(JsonNode? spec) => Long(spec?["replicas"]) ?? 1;

    private static bool Condition(JsonNode? status, string type) =>
        status?["conditions"] is JsonArray conditions
        && conditions.Any(c => c?["type"]?.GetValue<string>() == type && c["status"]?.GetValue<string>() == "True");

    private static long? Long(JsonNode? node) => node is JsonValue value && value.TryGetValue<long>(out var number) ? number
        : node is JsonValue v && v.TryGetValue<int>(out var small) ? small
        : node is JsonValue d && d.TryGetValue<double>(out var real) ? (long)real : null;
}
