using System.Text.Json.Nodes;

namespace Threeport.Modules.DevCluster.Api;

// Thrown anywhere in request handling; rendered as a meta/v1 Status like the real apiserver does.
internal sealed class ApiException(int code, string reason, string message, JsonObject? details = null) : Exception(message)
{
    public int Code { get; } = code;

    public string Reason { get; } = reason;

    public JsonObject? Details { get; } = details;

    public static ApiException NotFound(ResourceType t, string name) =>
        new(404, "NotFound", $"{t.QualifiedName} \"{name}\" not found", StatusObjects.Details(t, name));

    public static ApiException NamespaceNotFound(string ns) =>
        new(404, "NotFound", $"namespaces \"{ns}\" not found", new JsonObject { ["name"] = ns, ["kind"] = "namespaces" });

    public static ApiException UnknownPath() =>
        new(404, "NotFound", "the server could not find the requested resource", new JsonObject
        {
            ["causes"] = new JsonArray(new JsonObject { ["reason"] = "UnexpectedServerResponse", ["message"] = "404 page not found" }),
        });

    public static ApiException AlreadyExists(ResourceType t, string name) =>
        new(409, "AlreadyExists", $"{t.QualifiedName} \"{name}\" already exists", StatusObjects.Details(t, name));

    public static ApiException Conflict(ResourceType t, string name, string? why = null) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {t.QualifiedName} \"{name}\": " +
            (why ?? "the object has been modified; please apply your changes to the latest version and try again"),
            StatusObjects.Details(t, name));

    public static ApiException BadRequest(string message) => new(400, "BadRequest", message);

    public static ApiException Invalid(ResourceType t, string name, string field, string message) =>
        new(422, "Invalid", $"{t.Kind}{(t.Group.Length == 0 ? "" : "." + t.Group)} \"{name}\" is invalid: {field}: {message}",
            StatusObjects.Details(t, name, new JsonArray(new JsonObject { ["reason"] = "FieldValueInvalid", ["message"] = message, ["field"] = field })));

    public static ApiException MethodNotAllowed() => new(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");

    public static ApiException Forbidden(ResourceType t, string name, string why) =>
        new(403, "Forbidden", $"{t.QualifiedName} \"{name}\" is forbidden: {why}", StatusObjects.Details(t, name));

    public static ApiException Gone(string message) => new(410, "Expired", message);
}
