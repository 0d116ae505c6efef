namespace Threeport.Modules.Platform.Kubernetes;

// One kind as the cluster serves it, found through discovery.
public sealed record ResourceType(string Group, string Version, string Kind, string Plural, bool Namespaced)
{
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    public string CollectionPath(string? ns) =>
        (Group.Length == 0 ? $"/api/{Version}" : $"/apis/{Group}/{Version}")
        + (Namespaced && ns is not null ? $"/namespaces/{Uri.EscapeDataString(ns)}" : "")
        + $"/{Plural}";

    public string ObjectPath(string? ns, string name) => $"{CollectionPath(ns)}/{Uri.EscapeDataString(name)}";
}
