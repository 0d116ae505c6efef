using System.Text.Json;
using System.Text.Json.Nodes;
using Threeport.Modules.Platform.Yaml;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Threeport.Modules.DevCluster.Api;

// apply-patch+yaml bodies may be YAML (kubectl sends JSON, which is YAML too): the first document as JSON nodes.
internal static class YamlJson
{
    // What a JSON body that YAML would refuse (a key given twice) must also be refused for.
    private static readonly JsonDocumentOptions StrictJson = new() { AllowDuplicateProperties = false };

    // kubectl and KubernetesClient send JSON: read as JSON, from the body's bytes, it costs a fraction of the YAML
    // parse. Anything JSON cannot read (YAML flow style, a key given twice) goes to the YAML parser, which says what is
    // wrong.
    public static JsonNode? Parse(byte[] body)
    {
        if (body.AsSpan().TrimStart(" \t\r\n"u8).StartsWith("{"u8))
        {
            try
            {
                return JsonNode.Parse(body, documentOptions: StrictJson);
            }
            catch (JsonException)
            {
            }
        }

        return ParseYaml(System.Text.Encoding.UTF8.GetString(body));
    }

    private static JsonNode? ParseYaml(string text)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
            return stream.Documents.Count == 0 ? null : YamlToJson.Convert(stream.Documents[0].RootNode);
        }
        catch (YamlException e)
        {
            throw ApiException.BadRequest("error converting YAML to JSON: " + e.Message);
        }
        catch (ArgumentException e)
        {
            throw ApiException.BadRequest("error converting YAML to JSON: " + e.Message);
        }
    }
}
