using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Threeport.Host.Cli.Output;

// `-o plain|json|yaml`. JSON and YAML show objects exactly as the API returns them (PascalCase fields).
public enum OutputFormat
{
    Plain,
    Json,
    Yaml,
}

public static class StructuredOutput
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static void Write(TextWriter writer, JsonNode? node, OutputFormat format)
    {
        switch (format)
        {
            case OutputFormat.Json:
                writer.WriteLine(node?.ToJsonString(Indented) ?? "null");
                break;
            case OutputFormat.Yaml:
                writer.Write(ToYaml(node));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(format), format, "plain output is written by each command");
        }
    }

    public static string ToYaml(JsonNode? node)
    {
        var stream = new YamlStream(new YamlDocument(ToYamlNode(node)));
        var writer = new StringWriter(CultureInfo.InvariantCulture);
        stream.Save(writer, assignAnchors: false);
        // YamlStream.Save ends every document with "...": a single document does not need the marker.
        var text = writer.ToString();
        return text.EndsWith("...\n", StringComparison.Ordinal) || text.EndsWith("..." + Environment.NewLine, StringComparison.Ordinal)
            ? text[..text.LastIndexOf("...", StringComparison.Ordinal)]
            : text;
    }

    private static YamlNode ToYamlNode(JsonNode? node) => node switch
    {
        JsonObject obj => new YamlMappingNode(obj.Select(kv => new KeyValuePair<YamlNode, YamlNode>(new YamlScalarNode(kv.Key), ToYamlNode(kv.Value)))),
        JsonArray array => new YamlSequenceNode(array.Select(ToYamlNode)),
        JsonValue value when value.GetValueKind() == JsonValueKind.String => StringNode(value.GetValue<string>()),
        JsonValue value => new YamlScalarNode(value.ToJsonString()) { Style = ScalarStyle.Plain },
        _ => new YamlScalarNode("null") { Style = ScalarStyle.Plain },
    };

    // Multi-line text (YAMLDocument) as a literal block so it reads like the manifest it is; text that would
    // read back as another type (true, 42, null, "") quoted.
    private static YamlScalarNode StringNode(string s)
    {
        if (s.Contains('\n'))
        {
            return new YamlScalarNode(s) { Style = ScalarStyle.Literal };
        }

        var ambiguous = s.Length == 0 || bool.TryParse(s, out _) || double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            || s is "~" or "null" or "Null" or "NULL" or "yes" or "no" or "on" or "off" or "y" or "n" or "Yes" or "No"
            || s.Trim() != s || ":#[]{},&*!|>'\"%@`-?".Contains(s[0]) || s.Contains(": ", StringComparison.Ordinal) || s.Contains(" #", StringComparison.Ordinal);
        return new YamlScalarNode(s) { Style = ambiguous ? ScalarStyle.DoubleQuoted : ScalarStyle.Plain };
    }
}
