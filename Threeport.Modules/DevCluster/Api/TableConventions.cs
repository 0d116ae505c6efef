using System.Globalization;
using System.Text.Json.Nodes;

namespace Threeport.Modules.DevCluster.Api;

// meta.k8s.io/v1 Table output for `kubectl get`, with the columns kubectl users know per kind
// (the apiserver's printers); other kinds get NAME and AGE, CRDs their additionalPrinterColumns.
internal static class TableConventions
{
    private static readonly TableColumn NameColumn = new("Name", "string", 0, (o, _) => ObjectJson.Name(o), "name");
    private static readonly TableColumn AgeColumn = new("Age", "string", 0, (o, now) => Age(o, now));

    public static IReadOnlyList<TableColumn> For(ResourceType t)
    {
        if (t.IsCustom)
        {
            return [NameColumn, .. t.CustomColumns.Select(Custom), .. t.CustomColumns.Any(c => c.Name == "Age") ? Array.Empty<TableColumn>() : [AgeColumn]];
        }

        return t.Key switch
        {
            "/pods" =>
            [
                NameColumn,
                Col("Ready", o => $"{ContainerStatuses(o).Count(c => c?["ready"]?.GetValue<bool>() == true)}/{(o["spec"]?["containers"] as JsonArray)?.Count ?? 0}"),
                Col("Status", o => ObjectJson.Str(o["metadata"]?["deletionTimestamp"]) is not null ? "Terminating" : PodStatus(o)),
                new("Restarts", "integer", 0, (o, _) => ContainerStatuses(o).Sum(c => ObjectJson.Long(c?["restartCount"]) ?? 0)),
                AgeColumn,
                Col("IP", o => S(o, "status.podIP") ?? "<none>", 1),
                Col("Node", o => S(o, "spec.nodeName") ?? "<none>", 1),
                Col("Nominated Node", _ => "<none>", 1),
                Col("Readiness Gates", _ => "<none>", 1),
            ],
            "apps/deployments" =>
            [
                NameColumn,
                Col("Ready", o => $"{L(o, "status.readyReplicas")}/{L(o, "spec.replicas", 1)}"),
                new("Up-to-date", "integer", 0, (o, _) => L(o, "status.updatedReplicas")),
                new("Available", "integer", 0, (o, _) => L(o, "status.availableReplicas")),
                AgeColumn,
                Col("Containers", o => Containers(o, "name"), 1),
                Col("Images", o => Containers(o, "image"), 1),
                Col("Selector", o => SelectorText(o["spec"]?["selector"]), 1),
            ],
            "apps/replicasets" =>
            [
                NameColumn,
                new("Desired", "integer", 0, (o, _) => L(o, "spec.replicas", 1)),
                new("Current", "integer", 0, (o, _) => L(o, "status.replicas")),
                new("Ready", "integer", 0, (o, _) => L(o, "status.readyReplicas")),
                AgeColumn,
                Col("Containers", o => Containers(o, "name"), 1),
                Col("Images", o => Containers(o, "image"), 1),
                Col("Selector", o => SelectorText(o["spec"]?["selector"]), 1),
            ],
            "apps/statefulsets" =>
            [
                NameColumn,
                Col("Ready", o => $"{L(o, "status.readyReplicas")}/{L(o, "spec.replicas", 1)}"),
                AgeColumn,
                Col("Containers", o => Containers(o, "name"), 1),
                Col("Images", o => Containers(o, "image"), 1),
            ],
            "apps/daemonsets" =>
            [
                NameColumn,
                new("Desired", "integer", 0, (o, _) => L(o, "status.desiredNumberScheduled")),
                new("Current", "integer", 0, (o, _) => L(o, "status.currentNumberScheduled")),
                new("Ready", "integer", 0, (o, _) => L(o, "status.numberReady")),
                new("Up-to-date", "integer", 0, (o, _) => L(o, "status.updatedNumberScheduled")),
                new("Available", "integer", 0, (o, _) => L(o, "status.numberAvailable")),
                Col("Node Selector", o => o["spec"]?["template"]?["spec"]?["nodeSelector"] is JsonObject ns && ns.Count > 0
                    ? string.Join(",", ns.Select(kv => $"{kv.Key}={ObjectJson.Str(kv.Value)}")) : "<none>"),
                AgeColumn,
            ],
            "/services" =>
            [
                NameColumn,
                Col("Type", o => S(o, "spec.type") ?? "ClusterIP"),
                Col("Cluster-IP", o => S(o, "spec.clusterIP") ?? "<none>"),
                Col("External-IP", o => o["status"]?["loadBalancer"]?["ingress"] is JsonArray { Count: > 0 } lb
                    ? string.Join(",", lb.Select(i => ObjectJson.Str(i?["ip"]) ?? ObjectJson.Str(i?["hostname"]))) : "<none>"),
                Col("Port(s)", ServicePorts),
                AgeColumn,
                Col("Selector", o => o["spec"]?["selector"] is JsonObject sel && sel.Count > 0
                    ? string.Join(",", sel.Select(kv => $"{kv.Key}={ObjectJson.Str(kv.Value)}")) : "<none>", 1),
            ],
            "/namespaces" => [NameColumn, Col("Status", o => S(o, "status.phase") ?? "Active"), AgeColumn],
            "/configmaps" => [NameColumn, new("Data", "integer", 0, (o, _) => Count(o["data"]) + Count(o["binaryData"])), AgeColumn],
            "/secrets" => [NameColumn, Col("Type", o => S(o, "type") ?? "Opaque"), new("Data", "integer", 0, (o, _) => Count(o["data"])), AgeColumn],
            "/serviceaccounts" => [NameColumn, new("Secrets", "integer", 0, (o, _) => (o["secrets"] as JsonArray)?.Count ?? 0), AgeColumn],
            "/persistentvolumeclaims" =>
            [
                NameColumn,
                Col("Status", o => S(o, "status.phase") ?? "Pending"),
                Col("Volume", o => S(o, "spec.volumeName") ?? ""),
                Col("Capacity", o => S(o, "status.capacity.storage") ?? ""),
                Col("Access Modes", o => AccessModes(o["status"]?["accessModes"] ?? o["spec"]?["accessModes"])),
                Col("StorageClass", o => S(o, "spec.storageClassName") ?? "<unset>"),
                Col("VolumeAttributesClass", _ => "<unset>"),
                AgeColumn,
            ],
            "/events" =>
            [
                Col("Last Seen", (o, now) => Since(ObjectJson.ParseTime(o["lastTimestamp"]) ?? ObjectJson.ParseTime(o["eventTime"]), now)),
                Col("Type", o => S(o, "type") ?? ""),
                Col("Reason", o => S(o, "reason") ?? ""),
                Col("Object", o => $"{(S(o, "involvedObject.kind") ?? "").ToLowerInvariant()}/{S(o, "involvedObject.name")}"),
                Col("Message", o => S(o, "message") ?? ""),
                NameColumn with { Priority = 1 },
            ],
            "/endpoints" =>
            [
                NameColumn,
                Col("Endpoints", Endpoints),
                AgeColumn,
            ],
            "/nodes" =>
            [
                NameColumn,
                Col("Status", _ => "Ready"),
                Col("Roles", _ => "control-plane"),
                AgeColumn,
                Col("Version", o => S(o, "status.nodeInfo.kubeletVersion") ?? ""),
            ],
            "batch/jobs" =>
            [
                NameColumn,
                Col("Status", o => Conditions(o).Any(c => ObjectJson.Str(c?["type"]) == "Complete" && ObjectJson.Str(c?["status"]) == "True") ? "Complete"
                    : Conditions(o).Any(c => ObjectJson.Str(c?["type"]) == "Failed" && ObjectJson.Str(c?["status"]) == "True") ? "Failed" : "Running"),
                Col("Completions", o => $"{L(o, "status.succeeded")}/{L(o, "spec.completions", 1)}"),
                Col("Duration", (o, now) => Since(ObjectJson.ParseTime(o["status"]?["startTime"]), ObjectJson.ParseTime(o["status"]?["completionTime"]) ?? now)),
                AgeColumn,
            ],
            "batch/cronjobs" =>
            [
                NameColumn,
                Col("Schedule", o => S(o, "spec.schedule") ?? ""),
                Col("Timezone", o => S(o, "spec.timeZone") ?? "<none>"),
                Col("Suspend", o => (o["spec"]?["suspend"]?.ToJsonString(ObjectJson.Options) ?? "false")),
                new("Active", "integer", 0, (o, _) => (o["status"]?["active"] as JsonArray)?.Count ?? 0),
                Col("Last Schedule", (o, now) => ObjectJson.ParseTime(o["status"]?["lastScheduleTime"]) is { } t ? Since(t, now) : "<none>"),
                AgeColumn,
            ],
            "networking.k8s.io/ingresses" =>
            [
                NameColumn,
                Col("Class", o => S(o, "spec.ingressClassName") ?? "<none>"),
                Col("Hosts", o => o["spec"]?["rules"] is JsonArray rules && rules.Count > 0
                    ? string.Join(",", rules.Select(r => ObjectJson.Str(r?["host"]) ?? "*")) : "*"),
                Col("Address", _ => ""),
                Col("Ports", o => o["spec"]?["tls"] is JsonArray { Count: > 0 } ? "80, 443" : "80"),
                AgeColumn,
            ],
            "autoscaling/horizontalpodautoscalers" =>
            [
                NameColumn,
                Col("Reference", o => $"{S(o, "spec.scaleTargetRef.kind")}/{S(o, "spec.scaleTargetRef.name")}"),
                Col("Targets", _ => "<unknown>"),
                new("MinPods", "integer", 0, (o, _) => L(o, "spec.minReplicas", 1)),
                new("MaxPods", "integer", 0, (o, _) => L(o, "spec.maxReplicas")),
                new("Replicas", "integer", 0, (o, _) => L(o, "status.currentReplicas")),
                AgeColumn,
            ],
            "policy/poddisruptionbudgets" =>
            [
                NameColumn,
                Col("Min Available", o => o["spec"]?["minAvailable"] is { } m ? ObjectJson.Str(m) : "N/A"),
                Col("Max Unavailable", o => o["spec"]?["maxUnavailable"] is { } m ? ObjectJson.Str(m) : "N/A"),
                new("Allowed Disruptions", "integer", 0, (o, _) => L(o, "status.disruptionsAllowed")),
                AgeColumn,
            ],
            "apiextensions.k8s.io/customresourcedefinitions" =>
                [NameColumn, Col("Created At", o => S(o, "metadata.creationTimestamp") ?? "", 0)],
            "/persistentvolumes" => [NameColumn, Col("Capacity", o => S(o, "spec.capacity.storage") ?? ""), Col("Status", o => S(o, "status.phase") ?? ""), AgeColumn],
            "rbac.authorization.k8s.io/rolebindings" or "rbac.authorization.k8s.io/clusterrolebindings" =>
                [NameColumn, Col("Role", o => $"{S(o, "roleRef.kind")}/{S(o, "roleRef.name")}"), AgeColumn],
            "rbac.authorization.k8s.io/roles" or "rbac.authorization.k8s.io/clusterroles" =>
                [NameColumn, Col("Created At", o => S(o, "metadata.creationTimestamp") ?? "")],
            _ => [NameColumn, AgeColumn],
        };
    }

    public static JsonObject Build(ResourceType t, IEnumerable<JsonObject> objects, long resourceVersion, string? continueToken, string includeObject, DateTimeOffset now)
    {
        var columns = For(t);
        var rows = new JsonArray();
        foreach (var o in objects)
        {
            rows.Add(new JsonObject
            {
                ["cells"] = new JsonArray(columns.Select(c => c.Cell(o, now)?.DeepClone()).ToArray()),
                ["object"] = includeObject switch
                {
                    "None" => null,
                    "Object" => o,
                    _ => new JsonObject
                    {
                        ["kind"] = "PartialObjectMetadata",
                        ["apiVersion"] = "meta.k8s.io/v1",
                        ["metadata"] = o["metadata"]?.DeepClone(),
                    },
                },
            });
        }

        var meta = new JsonObject { ["resourceVersion"] = resourceVersion.ToString(CultureInfo.InvariantCulture) };
        if (continueToken is not null)
        {
            meta["continue"] = continueToken;
        }

        return new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = meta,
            ["columnDefinitions"] = new JsonArray(columns.Select(JsonNode? (c) => new JsonObject
            {
                ["name"] = c.Name,
                ["type"] = c.Type,
                ["format"] = c.Format,
                ["description"] = c.Name,
                ["priority"] = c.Priority,
            }).ToArray()),
            ["rows"] = rows,
        };
    }

    // The apiserver's duration.HumanDuration, which kubectl shows as AGE.
    public static string HumanDuration(TimeSpan d)
    {
        if (d < TimeSpan.FromSeconds(-1))
        {
            return "<invalid>";
        }

        if (d < TimeSpan.Zero)
        {
            return "0s";
        }

        var seconds = (long)d.TotalSeconds;
        if (seconds < 120)
        {
            return $"{seconds}s";
        }

        var minutes = (long)d.TotalMinutes;
        if (minutes < 10)
        {
            return seconds % 60 == 0 ? $"{minutes}m" : $"{minutes}m{seconds % 60}s";
        }

        if (minutes < 180)
        {
            return $"{minutes}m";
        }

        var hours = (long)d.TotalHours;
        if (hours < 8)
        {
            return minutes % 60 == 0 ? $"{hours}h" : $"{hours}h{minutes % 60}m";
        }

        if (hours < 48)
        {
            return $"{hours}h";
        }

        if (hours < 24 * 8)
        {
            return hours % 24 == 0 ? $"{hours / 24}d" : $"{hours / 24}d{hours % 24}h";
        }

        if (hours < 24 * 365 * 2)
        {
            return $"{hours / 24}d";
        }

        var years = hours / 24 / 365;
        return hours < 24 * 365 * 8 ? $"{years}y{hours / 24 % 365}d" : $"{years}y";
    }

    private static TableColumn Custom(CustomColumn c) => new(c.Name, c.Type, c.Priority, (o, now) =>
    {
        var value = ObjectJson.At(o, c.JsonPath.TrimStart('.'));
        return c.Type == "date" && ObjectJson.ParseTime(value) is { } t ? Since(t, now) : value?.DeepClone();
    });

    private static TableColumn Col(string name, Func<JsonObject, string?> cell, int priority = 0) => new(name, "string", priority, (o, _) => cell(o));

    private static TableColumn Col(string name, Func<JsonObject, DateTimeOffset, string?> cell) => new(name, "string", 0, (o, now) => cell(o, now));

    private static string Age(JsonObject o, DateTimeOffset now) => Since(ObjectJson.ParseTime(o["metadata"]?["creationTimestamp"]), now);

    private static string Since(DateTimeOffset? t, DateTimeOffset now) => t is null ? "<unknown>" : HumanDuration(now - t.Value);

    private static string? S(JsonObject o, string path) => ObjectJson.Str(ObjectJson.At(o, path));

    private static long L(JsonObject o, string path, long fallback = 0) => ObjectJson.Long(ObjectJson.At(o, path)) ?? fallback;

    private static int Count(JsonNode? n) => n is JsonObject o ? o.Count : 0;

    private static IEnumerable<JsonNode?> ContainerStatuses(JsonObject o) => o["status"]?["containerStatuses"] as JsonArray ?? [];

    private static IEnumerable<JsonNode?> Conditions(JsonObject o) => o["status"]?["conditions"] as JsonArray ?? [];

    private static string Containers(JsonObject o, string field) =>
        o["spec"]?["template"]?["spec"]?["containers"] is JsonArray cs ? string.Join(",", cs.Select(c => ObjectJson.Str(c?[field]))) : "";

    private static string AccessModes(JsonNode? modes) => modes is JsonArray a
        ? string.Join(",", a.Select(m => ObjectJson.Str(m) switch
        {
            "ReadWriteOnce" => "RWO",
            "ReadOnlyMany" => "ROX",
            "ReadWriteMany" => "RWX",
            "ReadWriteOncePod" => "RWOP",
            var other => other,
        }))
        : "";

    private static string PodStatus(JsonObject o)
    {
        var waiting = ContainerStatuses(o).Select(c => ObjectJson.Str(c?["state"]?["waiting"]?["reason"])).FirstOrDefault(r => r is not null);
        if (waiting is not null)
        {
            return waiting;
        }

        var phase = S(o, "status.phase") ?? "Pending";
        return phase == "Succeeded" ? "Completed" : phase;
    }

    private static string SelectorText(JsonNode? selector)
    {
        var text = LabelSelector.FromObject(selector).ToString();
        return text.Length == 0 ? "<none>" : text;
    }

    private static string ServicePorts(JsonObject o)
    {
        if (o["spec"]?["ports"] is not JsonArray ports || ports.Count == 0)
        {
            return "<none>";
        }

        return string.Join(",", ports.Select(p =>
        {
            var node = ObjectJson.Long(p?["nodePort"]) is { } np && np > 0 ? $":{np}" : "";
            return $"{ObjectJson.Long(p?["port"])}{node}/{ObjectJson.Str(p?["protocol"]) ?? "TCP"}";
        }));
    }

    private static string Endpoints(JsonObject o)
    {
        var list = new List<string>();
        foreach (var subset in o["subsets"] as JsonArray ?? [])
        {
            foreach (var a in subset?["addresses"] as JsonArray ?? [])
            {
                foreach (var p in subset?["ports"] as JsonArray ?? [])
                {
                    list.Add($"{ObjectJson.Str(a?["ip"])}:{ObjectJson.Long(p?["port"])}");
                }
            }
        }

        return list.Count == 0 ? "<none>" : string.Join(",", list.Take(3)) + (list.Count > 3 ? $" + {list.Count - 3} more..." : "");
    }
}
