namespace Threeport.Modules.DevCluster.Storage;

// Objects are kept as their serialized UTF-8 JSON so 100k of them stay small; the few fields the
// store itself needs (uid, owners) are kept beside the bytes.
internal sealed record StoredObject(byte[] Json, long ResourceVersion, string Uid, string[] OwnerUids);

// A parse of a stored object, as of its resourceVersion.
internal readonly record struct ParsedObject(long ResourceVersion, System.Text.Json.Nodes.JsonObject Object);

internal sealed record WatchEvent(string Type, string ResourceKey, string Namespace, string Name, long ResourceVersion, byte[] Json);

internal readonly record struct ObjectRef(string ResourceKey, string Namespace, string Name);

internal enum WriteKind
{
    Unchanged,
    Created,
    Updated,
    Deleted,
    MarkedForDeletion,
}

internal sealed record WriteOutcome(WriteKind Kind, System.Text.Json.Nodes.JsonObject? Object);
