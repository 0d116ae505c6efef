using System.Collections.Concurrent;

namespace Threeport.Modules.Bench;

// Canned answers for the bare endpoints: the API baseline serves the same bytes the real routes do.
public sealed class BareResponses
{
    private readonly ConcurrentDictionary<string, byte[]> bodies = new(StringComparer.Ordinal);

    public void Set(string name, byte[] body) => bodies[name] = body;

    public byte[]? Get(string name) => bodies.GetValueOrDefault(name);
}
