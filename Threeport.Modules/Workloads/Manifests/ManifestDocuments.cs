using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Threeport.Modules.Platform.Yaml;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Threeport.Modules.Workloads.Manifests;

// Splits a multi-document YAML manifest into Kubernetes objects as JSON. Empty documents and comments are
// skipped, `kind: List` is expanded, and every problem names the document and line it is on.
public static class ManifestDocuments
{
    private const int SharedCapacity = 64;

    private static readonly ConcurrentDictionary<string, (IReadOnlyList<ManifestResource> Resources, IReadOnlyList<string> Problems)> Shared = new(StringComparer.Ordinal);

    // A definition's manifest is parsed again for each of its instances' reconciles, and YAML parsing was most of
    // what a reconcile allocated. The parse is kept per manifest text and shared between reconciles running at once,
    // so callers only read it and clone what they change (WorkloadInstanceReconciler.Desired does).
    public static (IReadOnlyList<ManifestResource> Resources, IReadOnlyList<string> Problems) ParseShared(string yaml)
    {
        if (Shared.TryGetValue(yaml, out var parsed))
        {
            return parsed;
        }

        parsed = Parse(yaml);
        if (Shared.Count >= SharedCapacity)
        {
            Shared.Clear();
        }

        Shared[yaml] = parsed;
        return parsed;
    }

    public static (IReadOnlyList<ManifestResource> Resources, IReadOnlyList<string> Problems) Parse(string yaml)
    {
        var resources = new List<ManifestResource>();
        var problems = new List<string>();
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException ex)
        {
            return ([], [$"YAMLDocument is not valid YAML at line {ex.Start.Line}, column {ex.Start.Column}: {Inner(ex).Message}"]);
        }

        var index = 0;
        foreach (var document in stream.Documents)
        {
            index++;
            var root = document.RootNode;
            if (root is YamlScalarNode { Value: null or "" })
            {
                continue;
            }

            var line = (int)root.Start.Line;
            JsonNode? json;
            try
            {
                json = YamlToJson.Convert(root);
            }
            catch (ArgumentException ex)
            {
                problems.Add($"YAMLDocument document {index} (line {line}): {ex.Message}");
                continue;
            }

            if (json is not JsonObject obj)
            {
                problems.Add($"YAMLDocument document {index} (line {line}) is not a Kubernetes object: a mapping with apiVersion, kind and metadata.name is expected");
                continue;
            }

            if (obj["kind"] is JsonValue kind && kind.TryGetValue<string>(out var kindName) && kindName == "List")
            {
                var items = obj["items"] as JsonArray ?? [];
                foreach (var item in items)
                {
                    Add(item?.DeepClone(), index, line, resources, problems, inList: true);
                }

                continue;
            }

            Add(obj, index, line, resources, problems, inList: false);
        }

        if (resources.Count == 0 && problems.Count == 0)
        {
            problems.Add("YAMLDocument holds no Kubernetes objects");
        }

        return (resources, problems);
    }

    private static void Add(JsonNode? node, int index, int line, List<ManifestResource> resources, List<string> problems, bool inList)
    {
        var where = $"YAMLDocument document {index} (line {line}){(inList ? ", in its List items," : "")}";
        if (node is not JsonObject obj)
        {
            problems.Add($"{where} is not a Kubernetes object");
            return;
        }

        var missing = new List<string>();
        if (!IsText(obj["apiVersion"]))
        {
            missing.Add("apiVersion");
        }

        if (!IsText(obj["kind"]))
        {
            missing.Add("kind");
        }

        if (obj["metadata"] is not JsonObject metadata || !IsText(metadata["name"]))
        {
            missing.Add("metadata.name");
        }

        if (missing.Count > 0)
        {
            problems.Add($"{where} lacks {string.Join(", ", missing)}");
            return;
        }

        resources.Add(new ManifestResource(index, line, obj));
    }

    private static bool IsText(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0;

    private static Exception Inner(Exception ex) => ex.InnerException is YamlException inner ? inner : ex;


}
