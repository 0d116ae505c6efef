using System.Text.Json.Nodes;
using Threeport.Modules.Platform.Yaml;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Threeport.Modules.DevCluster.Api;

// apply-patch+yaml bodies may be YAML (kubectl sends JSON, which is YAML too): the first document as JSON nodes.
internal static class YamlJson
{
    public static JsonNode? Parse(string text)
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
