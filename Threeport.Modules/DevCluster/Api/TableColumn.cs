using System.Text.Json.Nodes;

namespace Threeport.Modules.DevCluster.Api;

internal sealed record TableColumn(string Name, string Type, int Priority, Func<JsonObject, DateTimeOffset, JsonNode?> Cell, string Format = "");
