using System.Text.Json.Nodes;

namespace Threeport.Modules.DevCluster.Api;

// Turns a stored CustomResourceDefinition into registry rows, one per served version.
internal static class CustomResources
{
    public static List<ResourceType> RowsFor(JsonObject crd)
    {
        var spec = crd["spec"] as JsonObject;
        var names = spec?["names"] as JsonObject;
        var group = ObjectJson.Str(spec?["group"]) ?? "";
        var plural = ObjectJson.Str(names?["plural"]) ?? "";
        var kind = ObjectJson.Str(names?["kind"]) ?? "";
        var singular = ObjectJson.Str(names?["singular"]) ?? kind.ToLowerInvariant();
        var namespaced = ObjectJson.Str(spec?["scope"]) != "Cluster";
        var shortNames = Strings(names?["shortNames"]);
        var categories = Strings(names?["categories"]);
        var rows = new List<ResourceType>();
        foreach (var v in spec?["versions"] as JsonArray ?? [])
        {
            if (v?["served"]?.GetValue<bool>() == false)
            {
                continue;
            }

            var columns = (v?["additionalPrinterColumns"] as JsonArray ?? [])
                .Select(c => new CustomColumn(
                    ObjectJson.Str(c?["name"]) ?? "",
                    ObjectJson.Str(c?["type"]) ?? "string",
                    ObjectJson.Str(c?["jsonPath"]) ?? "",
                    (int)(ObjectJson.Long(c?["priority"]) ?? 0),
                    ObjectJson.Str(c?["description"]) ?? ""))
                .ToList();
            rows.Add(new ResourceType(group, ObjectJson.Str(v?["name"]) ?? "v1", plural, singular, kind, namespaced, shortNames, categories,
                v?["subresources"]?["status"] is not null, false)
            {
                IsCustom = true,
                CustomColumns = columns,
            });
        }

        return rows;
    }

    private static string[] Strings(JsonNode? n) => (n as JsonArray)?.Select(ObjectJson.Str).OfType<string>().ToArray() ?? [];
}
