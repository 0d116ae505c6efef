using System.Text.Json.Nodes;
using Threeport.Modules.Platform.Client;

namespace Threeport.Host.Cli.Objects;

// One API object a config asks for: its fields as the API wants them, plus references to other objects by
// name that become `...ID` fields once looked up. `Source` is file:line for messages.
public sealed record ObjectSpec(ApiRoute Route, string Name, JsonObject Fields, IReadOnlyList<ObjectReference> References, string Source)
{
    public static ObjectSpec ByName(ApiRoute route, string name) => new(route, name, [], [], "--name");

    public JsonObject Body()
    {
        var body = (JsonObject)Fields.DeepClone();
        body["Name"] = Name;
        return body;
    }
}

// `WorkloadDefinition: {Name: wordpress}` inside a WorkloadInstance config: Field=WorkloadDefinitionID.
public sealed record ObjectReference(string Field, ApiRoute Target, string Name);

// A parsed object config: the top-level kind and the objects it stands for, in creation order
// (definition before instance); deletion runs in reverse.
public sealed record ObjectConfig(string Kind, string File, IReadOnlyList<ObjectSpec> Specs);
