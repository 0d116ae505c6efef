using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Threeport.Modules.Workloads.Manifests;

// Splits a multi-document YAML manifest into Kubernetes objects as JSON. Empty documents and comments are
// skipped, `kind: List` is expanded, and every problem names the document and line it is on.
public static partial class ManifestDocuments
{
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
                json = ToJson(root, depth: 0, new NodeBudget());
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

    // Aliases may point at an enclosing node (`a: &a [*a]`): the depth bound turns that into a message
    // instead of a stack overflow, and no real manifest nests this deep.
    private const int MaxDepth = 64;

    // Aliases of aliases can expand exponentially (a "billion laughs"); a document is bounded in nodes as well.
    private const int MaxNodes = 200_000;

    private static JsonNode? ToJson(YamlNode node, int depth, NodeBudget budget)
    {
        if (depth > MaxDepth)
        {
            throw new ArgumentException($"line {node.Start.Line}: nesting deeper than {MaxDepth} levels (an alias that contains itself?)");
        }

        if (++budget.Used > MaxNodes)
        {
            throw new ArgumentException($"more than {MaxNodes} values once its aliases are expanded");
        }

        return node switch
        {
            YamlMappingNode mapping => ToObject(mapping, depth, budget),
            YamlSequenceNode sequence => new JsonArray(sequence.Children.Select(child => ToJson(child, depth + 1, budget)).ToArray()),
            YamlScalarNode scalar => Scalar(scalar),
            _ => null,
        };
    }

    private static JsonObject ToObject(YamlMappingNode mapping, int depth, NodeBudget budget)
    {
        var obj = new JsonObject();
        foreach (var (key, value) in mapping.Children)
        {
            var name = (key as YamlScalarNode)?.Value ?? throw new ArgumentException($"line {key.Start.Line}: a key must be plain text");
            if (obj.ContainsKey(name))
            {
                throw new ArgumentException($"line {key.Start.Line}: the key '{name}' appears twice");
            }

            obj[name] = ToJson(value, depth + 1, budget);
        }

        return obj;
    }

    // YAML 1.2 core schema for plain scalars; quoted scalars are always strings.
    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style is not ScalarStyle.Plain || scalar.Tag == "tag:yaml.org,2002:str")
        {
            return JsonValue.Create(text);
        }

        return text switch
        {
            "" or "~" or "null" or "Null" or "NULL" => null,
            "true" or "True" or "TRUE" => JsonValue.Create(true),
            "false" or "False" or "FALSE" => JsonValue.Create(false),
            _ when Integer().IsMatch(text) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) => JsonValue.Create(number),
            _ when Float().IsMatch(text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) => JsonValue.Create(real),
            _ => JsonValue.Create(text),
        };
    }

    private sealed class NodeBudget
    {
        public int Used { get; set; }
    }

    private static Exception Inner(Exception ex) => ex.InnerException is YamlException inner ? inner : ex;

    [GeneratedRegex("^[-+]?[0-9]+$")]
    private static partial Regex Integer();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex Float();
}
