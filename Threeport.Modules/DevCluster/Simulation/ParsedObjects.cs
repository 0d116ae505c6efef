using System.Text.Json.Nodes;
using Threeport.Modules.DevCluster.Api;
using Threeport.Modules.DevCluster.Storage;

namespace Threeport.Modules.DevCluster.Simulation;

// The simulated controllers' reads of stored objects, parsed once per resource version: a ReplicaSet is looked at
// after each change of its pods, and every look parsed all of them again (the largest share of the dev cluster's
// allocations). Only the simulator's loop uses it. The objects are shared between reads, so they are only read,
// except by the store's write that one is handed over to (Take).
internal sealed class ParsedObjects(ObjectStore store, int capacity = 4096)
{
    private readonly Dictionary<(string Key, string Ns, string Name), ParsedObject> parsed = [];

    public JsonObject? Get(string key, string ns, string name)
    {
        if (store.Get(key, ns, name) is not { } stored)
        {
            parsed.Remove((key, ns, name));
            return null;
        }

        if (parsed.TryGetValue((key, ns, name), out var known) && known.ResourceVersion == stored.ResourceVersion)
        {
            return known.Object;
        }

        var obj = ObjectJson.Parse(stored.Json);
        Keep(key, ns, name, new ParsedObject(stored.ResourceVersion, obj));
        return obj;
    }

    // The parse for a write to change in place: no longer shared from here, and what the write leaves comes back
    // through Remember.
    public ParsedObject? Take(string key, string ns, string name) =>
        parsed.Remove((key, ns, name), out var known) ? known : null;

    // An object the simulator has just written, or left as it was, as the store has it (the stored bytes are its
    // serialization): the next look at it need not parse them again. The writer does not change it afterwards, and a
    // write's mutate only changes the object it returns.
    public void Remember(string key, string ns, string name, WriteOutcome written)
    {
        if (written.Kind is WriteKind.Created or WriteKind.Updated or WriteKind.Unchanged && written.Object is { } obj
            && long.TryParse(ObjectJson.Str(obj["metadata"]?["resourceVersion"]), out var resourceVersion))
        {
            Keep(key, ns, name, new ParsedObject(resourceVersion, obj));
        }
    }

    // What is being worked on comes back after one parse; the rest need not stay.
    private void Keep(string key, string ns, string name, ParsedObject obj)
    {
        if (parsed.Count >= capacity)
        {
            parsed.Clear();
        }

        parsed[(key, ns, name)] = obj;
    }

    public void Forget(string key, string ns, string name) => parsed.Remove((key, ns, name));
}
