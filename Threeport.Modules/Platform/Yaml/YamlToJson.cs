using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Threeport.Modules.Platform.Yaml;

// Turns a YAML node into JSON nodes the way Kubernetes reads manifests: the YAML 1.2 core schema for plain
// scalars, quoted and block scalars always strings. Whatever JSON cannot hold, or what would never end, is an
// ArgumentException naming the line: non-text keys, a key given twice, aliases that contain themselves (depth)
// and alias bombs (expanded values).
public static partial class YamlToJson
{
    private const int MaxDepth = 64;
    private const int MaxValues = 200_000;

    public static JsonNode? Convert(YamlNode root) => Convert(root, depth: 0, new Budget());

    private static JsonNode? Convert(YamlNode node, int depth, Budget budget)
    {
        if (depth > MaxDepth)
        {
            throw new ArgumentException($"line {node.Start.Line}: nesting deeper than {MaxDepth} levels (an alias that contains itself?)");
        }

        if (++budget.Used > MaxValues)
        {
            throw new ArgumentException($"more than {MaxValues} values once its aliases are expanded");
        }

        return node switch
        {
            YamlMappingNode mapping => ToObject(mapping, depth, budget),
            YamlSequenceNode sequence => new JsonArray(sequence.Children.Select(child => Convert(child, depth + 1, budget)).ToArray()),
            YamlScalarNode scalar => Scalar(scalar),
            _ => null,
        };
    }

    private static JsonObject ToObject(YamlMappingNode mapping, int depth, Budget budget)
    {
        var obj = new JsonObject();
        foreach (var (key, value) in mapping.Children)
        {
            var name = (key as YamlScalarNode)?.Value ?? throw new ArgumentException($"line {key.Start.Line}: a key must be plain text");
            if (obj.ContainsKey(name))
            {
                throw new ArgumentException($"line {key.Start.Line}: the key '{name}' appears twice");
            }

            obj[name] = Convert(value, depth + 1, budget);
        }

        return obj;
    }

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

    private sealed class Budget
    {
        public int Used { get; set; }
    }

    [GeneratedRegex("^[-+]?[0-9]+$")]
    private static partial Regex Integer();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex Float();
}
