using System.Text.Json.Nodes;
using Threeport.Modules.DevCluster.Api;
using Threeport.Modules.DevCluster.Storage;

namespace Threeport.Modules.DevCluster.Simulation;

// The simulated controllers' reads of stored objects, parsed once per resource version: a ReplicaSet is looked at
// after each change of its pods, and every look parsed all of them again (the largest share of the dev cluster's
// allocations). Only the simulator's loop uses it. The objects are shared between reads, so they are only read:
// a change goes through the store, which parses its own copy.
internal sealed class ParsedObjects(ObjectStore store, int capacity = 4096)
{
    private readonly Dictionary<(string Key, string Ns, string Name), (long ResourceVersion, JsonObject Object)> parsed = [];

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
        Keep(key, ns, name, stored.ResourceVersion, obj);
        return obj;
    }

    // An object the simulator has just written, as it wrote it (the stored bytes are its serialization): the next look
    // at it need not parse them again. The writer does not change it afterwards.
    public void Remember(string key, string ns, string name, WriteOutcome written)
    {
        if (written.Kind is WriteKind.Created or WriteKind.Updated && written.Object is { } obj
            && long.TryParse(ObjectJson.Str(obj["metadata"]?["resourceVersion"]), out var resourceVersion))
        {
            Keep(key, ns, name, resourceVersion, obj);
        }
    }

    // What is being worked on comes back after one parse; the rest need not stay.
    private void Keep(string key, string ns, string name, long resourceVersion, JsonObject obj)
    {
        if (parsed.Count >= capacity)
        {
            parsed.Clear();
        }

        parsed[(key, ns, name)] = (resourceVersion, obj);
    }

    public void Forget(string key, string ns, string name) => parsed.Remove((key, ns, name));
}
