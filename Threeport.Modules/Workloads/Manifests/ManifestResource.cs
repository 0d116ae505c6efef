using System.Text.Json.Nodes;

namespace Threeport.Modules.Workloads.Manifests;

// One Kubernetes object from a manifest, with where it came from (1-based document and line).
public sealed record ManifestResource(int Document, int Line, JsonObject Object)
{
    public string ApiVersion => Object["apiVersion"]!.GetValue<string>();

    public string Kind => Object["kind"]!.GetValue<string>();

    public string Name => Object["metadata"]!["name"]!.GetValue<string>();

    public string? Namespace => Object["metadata"]?["namespace"]?.GetValue<string>();
}
