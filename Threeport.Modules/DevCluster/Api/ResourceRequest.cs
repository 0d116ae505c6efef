namespace Threeport.Modules.DevCluster.Api;

// A request path resolved against the registry: /apis/{g}/{v}[/namespaces/{ns}]/{plural}[/{name}[/{sub}]].
internal sealed record ResourceRequest(ResourceType Type, string? Namespace, string? Name, string? Subresource)
{
    public static ResourceRequest? Parse(ResourceRegistry registry, string group, string version, string[] rest)
    {
        if (rest.Length >= 3 && rest[0] == "namespaces" && registry.Find(group, version, rest[2]) is { Namespaced: true } nsType)
        {
            if (rest.Length > 5)
            {
                return null;
            }

            return new ResourceRequest(nsType, rest[1], rest.ElementAtOrDefault(3), rest.ElementAtOrDefault(4));
        }

        if (rest.Length is 0 or > 3 || registry.Find(group, version, rest[0]) is not { } type)
        {
            return null;
        }

        return new ResourceRequest(type, null, rest.ElementAtOrDefault(1), rest.ElementAtOrDefault(2));
    }

    public string Verb(string method, bool watch) => (method, Name) switch
    {
        ("GET", null) => watch ? "watch" : "list",
        ("GET", _) => "get",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", null) => "deletecollection",
        ("DELETE", _) => "delete",
        _ => method.ToLowerInvariant(),
    };
}
