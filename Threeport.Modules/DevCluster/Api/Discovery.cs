using System.Globalization;
using System.Text.Json.Nodes;

namespace Threeport.Modules.DevCluster.Api;

// /version, /api, /apis, /apis/{group}[/{version}] in both the plain and the aggregated
// (apidiscovery.k8s.io v2 / v2beta1) forms, generated from the registry.
internal static class Discovery
{
    public const string GitVersion = "v1.31.4";

    public static JsonObject Version() => new()
    {
        ["major"] = "1",
        ["minor"] = "31",
        ["gitVersion"] = GitVersion,
        ["gitCommit"] = "threeport-dev-cluster",
        ["gitTreeState"] = "clean",
        ["buildDate"] = "2024-12-10T00:00:00Z",
        ["goVersion"] = "go1.22.9",
        ["compiler"] = "gc",
        ["platform"] = "linux/amd64",
    };

    public static JsonObject CoreVersions(string serverAddress) => new()
    {
        ["kind"] = "APIVersions",
        ["versions"] = new JsonArray("v1"),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = serverAddress }),
    };

    public static JsonObject GroupList(IReadOnlyList<ResourceType> all) => new()
    {
        ["kind"] = "APIGroupList",
        ["apiVersion"] = "v1",
        ["groups"] = new JsonArray(Groups(all).Select(g => (JsonNode?)Group(g.Key, g.Value)).ToArray()),
    };

    public static JsonObject Group(string name, IReadOnlyList<string> versions)
    {
        var gvs = versions.Select(v => (JsonNode?)new JsonObject { ["groupVersion"] = name + "/" + v, ["version"] = v }).ToArray();
        return new JsonObject
        {
            ["kind"] = "APIGroup",
            ["apiVersion"] = "v1",
            ["name"] = name,
            ["versions"] = new JsonArray(gvs),
            ["preferredVersion"] = gvs[0]!.DeepClone(),
        };
    }

    public static Dictionary<string, List<string>> Groups(IReadOnlyList<ResourceType> all)
    {
        var groups = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var t in all.Where(t => t.Group.Length > 0))
        {
            if (!groups.TryGetValue(t.Group, out var versions))
            {
                versions = [];
                groups[t.Group] = versions;
            }

            if (!versions.Contains(t.Version))
            {
                versions.Add(t.Version);
            }
        }

        return groups;
    }

    public static JsonObject ResourceList(string groupVersion, IEnumerable<ResourceType> types)
    {
        var resources = new JsonArray();
        foreach (var t in types)
        {
            resources.Add(new JsonObject
            {
                ["name"] = t.Plural,
                ["singularName"] = t.Singular,
                ["namespaced"] = t.Namespaced,
                ["kind"] = t.Kind,
                ["verbs"] = Strings(ResourceType.AllVerbs),
                ["shortNames"] = t.ShortNames.Length > 0 ? Strings(t.ShortNames) : null,
                ["categories"] = t.Categories.Length > 0 ? Strings(t.Categories) : null,
            });
            if (t.HasStatus)
            {
                resources.Add(new JsonObject
                {
                    ["name"] = t.Plural + "/status",
                    ["singularName"] = "",
                    ["namespaced"] = t.Namespaced,
                    ["kind"] = t.Kind,
                    ["verbs"] = Strings(["get", "patch", "update"]),
                });
            }

            if (t.HasScale)
            {
                resources.Add(new JsonObject
                {
                    ["name"] = t.Plural + "/scale",
                    ["singularName"] = "",
                    ["namespaced"] = t.Namespaced,
                    ["group"] = "autoscaling",
                    ["version"] = "v1",
                    ["kind"] = "Scale",
                    ["verbs"] = Strings(["get", "patch", "update"]),
                });
            }
        }

        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = groupVersion,
            ["resources"] = resources,
        };
    }

    // Aggregated discovery: one document for /api (core) or /apis (all named groups).
    public static JsonObject Aggregated(IReadOnlyList<ResourceType> all, bool core, string version)
    {
        var items = new JsonArray();
        var groups = core
            ? new Dictionary<string, List<string>> { [""] = ["v1"] }
            : Groups(all);
        foreach (var (group, versions) in groups)
        {
            var versionNodes = new JsonArray();
            foreach (var v in versions)
            {
                var resources = new JsonArray();
                foreach (var t in all.Where(t => t.Group == group && t.Version == v))
                {
                    var subresources = new JsonArray();
                    if (t.HasStatus)
                    {
                        subresources.Add(new JsonObject
                        {
                            ["subresource"] = "status",
                            ["responseKind"] = Gvk(t.Group, t.Version, t.Kind),
                            ["verbs"] = Strings(["get", "patch", "update"]),
                        });
                    }

                    if (t.HasScale)
                    {
                        subresources.Add(new JsonObject
                        {
                            ["subresource"] = "scale",
                            ["responseKind"] = Gvk("autoscaling", "v1", "Scale"),
                            ["verbs"] = Strings(["get", "patch", "update"]),
                        });
                    }

                    resources.Add(new JsonObject
                    {
                        ["resource"] = t.Plural,
                        ["responseKind"] = Gvk(t.Group, t.Version, t.Kind),
                        ["scope"] = t.Namespaced ? "Namespaced" : "Cluster",
                        ["singularResource"] = t.Singular,
                        ["verbs"] = Strings(ResourceType.AllVerbs),
                        ["shortNames"] = t.ShortNames.Length > 0 ? Strings(t.ShortNames) : null,
                        ["categories"] = t.Categories.Length > 0 ? Strings(t.Categories) : null,
                        ["subresources"] = subresources.Count > 0 ? subresources : null,
                    });
                }

                versionNodes.Add(new JsonObject { ["version"] = v, ["resources"] = resources, ["freshness"] = "Current" });
            }

            items.Add(new JsonObject
            {
                ["metadata"] = new JsonObject { ["name"] = group, ["creationTimestamp"] = null },
                ["versions"] = versionNodes,
            });
        }

        return new JsonObject
        {
            ["kind"] = "APIGroupDiscoveryList",
            ["apiVersion"] = "apidiscovery.k8s.io/" + version,
            ["metadata"] = new JsonObject(),
            ["items"] = items,
        };
    }

    // The aggregated version the client accepts (v2 preferred), or null for plain discovery.
    public static string? AggregatedVersion(string? accept)
    {
        if (accept is null || !accept.Contains("as=APIGroupDiscoveryList", StringComparison.Ordinal))
        {
            return null;
        }

        foreach (var part in accept.Split(','))
        {
            if (part.Contains("as=APIGroupDiscoveryList", StringComparison.Ordinal) && part.Contains("g=apidiscovery.k8s.io", StringComparison.Ordinal))
            {
                if (part.Contains("v=v2;", StringComparison.Ordinal) || part.TrimEnd().EndsWith("v=v2", StringComparison.Ordinal))
                {
                    return "v2";
                }

                if (part.Contains("v=v2beta1", StringComparison.Ordinal))
                {
                    return "v2beta1";
                }
            }
        }

        return null;
    }

    // OpenAPI v3: enough for kubectl's validation check. Each group-version document lists the PATCH
    // operation of every kind with the fieldValidation query parameter, so kubectl leaves
    // validation to the server (fieldValidation=Strict) instead of needing full schemas.
    public static JsonObject OpenApiRoot(IReadOnlyList<ResourceType> all, long hash)
    {
        var paths = new JsonObject();
        foreach (var gv in all.Select(t => t.GroupVersion).Distinct())
        {
            var rel = gv.Contains('/', StringComparison.Ordinal) ? "apis/" + gv : "api/" + gv;
            paths[rel] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{rel}?hash={hash.ToString(CultureInfo.InvariantCulture)}" };
        }

        return new JsonObject { ["paths"] = paths };
    }

    public static JsonObject OpenApiGroupVersion(IEnumerable<ResourceType> types)
    {
        var paths = new JsonObject();
        foreach (var t in types)
        {
            var prefix = t.Group.Length == 0 ? "/api/v1" : $"/apis/{t.GroupVersion}";
            var path = t.Namespaced ? $"{prefix}/namespaces/{{namespace}}/{t.Plural}/{{name}}" : $"{prefix}/{t.Plural}/{{name}}";
            paths[path] = new JsonObject
            {
                ["patch"] = new JsonObject
                {
                    ["operationId"] = "patch" + t.Kind,
                    ["x-kubernetes-action"] = "patch",
                    ["x-kubernetes-group-version-kind"] = Gvk(t.Group, t.Version, t.Kind),
                    ["parameters"] = new JsonArray(
                        Query("fieldValidation"), Query("fieldManager"), Query("dryRun"), Query("force")),
                    ["responses"] = new JsonObject { ["200"] = new JsonObject { ["description"] = "OK" } },
                },
            };
        }

        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = GitVersion },
            ["paths"] = paths,
            ["components"] = new JsonObject { ["schemas"] = new JsonObject() },
        };
    }

    private static JsonObject Query(string name) => new()
    {
        ["name"] = name,
        ["in"] = "query",
        ["schema"] = new JsonObject { ["type"] = "string", ["uniqueItems"] = true },
    };

    private static JsonObject Gvk(string group, string version, string kind) => new() { ["group"] = group, ["version"] = version, ["kind"] = kind };

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
}
