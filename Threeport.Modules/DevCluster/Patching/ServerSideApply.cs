using System.Text.Json.Nodes;
using Threeport.Modules.DevCluster.Api;

namespace Threeport.Modules.DevCluster.Patching;

// Server-side apply, simplified: only Apply managers are tracked in managedFields (Update writes do
// not claim fields), a conflict is a field another Apply manager owns with a different value, and
// fields this manager applied before but no longer applies are removed unless someone else owns them.
internal static class ServerSideApply
{
    public static JsonObject Apply(JsonObject? current, JsonObject applied, string manager, bool force, ResourceType type, DateTimeOffset now)
    {
        var config = applied.DeepClone().AsObject();
        if (type.HasStatus)
        {
            config.Remove("status");
        }

        var configMeta = ObjectJson.Meta(config);
        foreach (var k in new[] { "managedFields", "resourceVersion", "uid", "creationTimestamp", "generation" })
        {
            configMeta.Remove(k);
        }

        var mine = FieldPaths.Leaves(config);
        var entries = (current?["metadata"]?["managedFields"] as JsonArray)?.OfType<JsonObject>().Select(e => e.DeepClone().AsObject()).ToList() ?? [];
        JsonObject merged;
        if (current is null)
        {
            merged = config;
        }
        else
        {
            var conflicts = new List<(JsonObject Entry, string Path)>();
            foreach (var entry in entries.Where(e => ObjectJson.Str(e["operation"]) == "Apply" && ObjectJson.Str(e["manager"]) != manager))
            {
                var theirs = FieldPaths.FromFieldsV1(entry["fieldsV1"]);
                foreach (var path in mine.Where(theirs.Contains))
                {
                    if (!JsonNode.DeepEquals(FieldPaths.ValueAt(current, path), FieldPaths.ValueAt(config, path)))
                    {
                        conflicts.Add((entry, path));
                    }
                }
            }

            if (conflicts.Count > 0 && !force)
            {
                throw ConflictError(type, ObjectJson.Name(current) ?? "", conflicts);
            }

            foreach (var group in conflicts.GroupBy(c => c.Entry))
            {
                var theirs = FieldPaths.FromFieldsV1(group.Key["fieldsV1"]);
                theirs.ExceptWith(group.Select(c => c.Path));
                group.Key["fieldsV1"] = FieldPaths.ToFieldsV1(theirs);
            }

            var previous = entries.FirstOrDefault(e => ObjectJson.Str(e["operation"]) == "Apply" && ObjectJson.Str(e["manager"]) == manager);
            var owned = FieldPaths.FromFieldsV1(previous?["fieldsV1"]);
            var others = entries.Where(e => e != previous).SelectMany(e => FieldPaths.FromFieldsV1(e["fieldsV1"])).ToHashSet();
            merged = StrategicMergePatch.Apply(current, config);
            foreach (var stale in owned.Where(p => !mine.Contains(p) && !others.Contains(p)))
            {
                FieldPaths.RemoveAt(merged, stale);
            }

            entries.RemoveAll(e => e == previous);
        }

        entries.RemoveAll(e => e["fieldsV1"] is JsonObject { Count: 0 });
        entries.Add(new JsonObject
        {
            ["manager"] = manager,
            ["operation"] = "Apply",
            ["apiVersion"] = type.GroupVersion,
            ["time"] = ObjectJson.Timestamp(now),
            ["fieldsType"] = "FieldsV1",
            ["fieldsV1"] = FieldPaths.ToFieldsV1(mine),
        });
        ObjectJson.Meta(merged)["managedFields"] = new JsonArray(entries.Select(JsonNode? (e) => e).ToArray());
        return merged;
    }

    private static ApiException ConflictError(ResourceType type, string name, List<(JsonObject Entry, string Path)> conflicts)
    {
        var causes = new JsonArray();
        var lines = new List<string>();
        foreach (var (entry, path) in conflicts)
        {
            var who = ObjectJson.Str(entry["manager"]);
            var field = FieldPaths.Display(path);
            causes.Add(new JsonObject
            {
                ["reason"] = "FieldManagerConflict",
                ["message"] = $"conflict with \"{who}\": {field}",
                ["field"] = field,
            });
            lines.Add($"conflict with \"{who}\": {field}");
        }

        var message = conflicts.Count == 1
            ? $"Apply failed with 1 conflict: {lines[0]}"
            : $"Apply failed with {conflicts.Count} conflicts: {string.Join("\n", lines)}";
        var details = StatusObjects.Details(type, name, causes);
        return new ApiException(409, "Conflict", message, details);
    }
}
