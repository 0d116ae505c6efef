using System.Text.Json.Nodes;

namespace Threeport.Modules.DevCluster.Api;

internal static class StatusObjects
{
    public static JsonObject Details(ResourceType t, string name, JsonArray? causes = null)
    {
        var d = new JsonObject { ["name"] = name, ["group"] = t.Group, ["kind"] = t.Plural };
        if (t.Group.Length == 0)
        {
            d.Remove("group");
        }

        if (causes is not null)
        {
            d["causes"] = causes;
        }

        return d;
    }

    public static JsonObject Failure(int code, string reason, string message, JsonObject? details) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Failure",
        ["message"] = message,
        ["reason"] = reason,
        ["details"] = details?.DeepClone(),
        ["code"] = code,
    };

    public static JsonObject Success(ResourceType t, string name, string? uid)
    {
        var details = Details(t, name);
        if (uid is not null)
        {
            details["uid"] = uid;
        }

        return new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Success",
            ["details"] = details,
        };
    }
}
