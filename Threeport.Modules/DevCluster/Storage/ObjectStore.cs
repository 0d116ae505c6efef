using System.Globalization;
using System.Text.Json.Nodes;
using Threeport.Modules.DevCluster.Api;

namespace Threeport.Modules.DevCluster.Storage;

// The single owner of all objects. One lock guards objects, indexes, the watch history ring and the
// subscriber list; work under it is CPU only (no network writes, no logging, no awaits).
internal sealed class ObjectStore(TimeProvider time, IStorePersistence? persistence, int historyCapacity = 20_000)
{
    public const string NamespacesKey = "/namespaces";

    private readonly object gate = new();

    // Every object by kind, namespace and name, for reads and updates. An update replaces the object in its slot, which
    // the ordered maps below share, so only a create or a delete touches them.
    private readonly Dictionary<(string Key, string Namespace, string Name), Slot> slots = [];

    // The same slots by kind and namespace, by name: listing or watching one namespace (the simulator does it for every
    // pod and service change) costs that namespace's objects, not every object of the kind.
    private readonly Dictionary<(string Key, string Namespace), SortedDictionary<string, Slot>> byNamespace = [];

    // And those maps by kind, in the order of their "namespace/" prefixes, so that a kind's objects list in
    // "namespace/name" order, the order of the continue keys. Two levels rather than one map keyed "namespace/name": a
    // create went down a tree of all the kind's objects (tens of thousands of Events) comparing long keys with a common
    // prefix, 1.5 % of the CPU of creating workloads (docs/benchmarks.md); now it is a namespace's few.
    private readonly Dictionary<string, SortedDictionary<string, SortedDictionary<string, Slot>>> byKind = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<ObjectRef>> dependents = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> namespaceCounts = new(StringComparer.Ordinal);
    private readonly HashSet<string> terminating = new(StringComparer.Ordinal);
    private readonly WatchEvent?[] ring = new WatchEvent?[historyCapacity];
    private readonly List<WatchSubscription> subscriptions = [];
    private int ringHead;
    private int ringCount;
    private long evictedUpTo;
    private long resourceVersion;

    // Called under the lock for every change; the simulator only enqueues from it.
    public Action<WatchEvent>? SystemListener { get; set; }

    public long CurrentResourceVersion
    {
        get
        {
            lock (gate)
            {
                return resourceVersion;
            }
        }
    }

    public void Load()
    {
        if (persistence is null)
        {
            return;
        }

        lock (gate)
        {
            resourceVersion = persistence.LoadLastResourceVersion();
            foreach (var row in persistence.LoadAll())
            {
                var obj = ObjectJson.Parse(row.Json);
                PutLocked(row.Key, row.Namespace, row.Name, new StoredObject(row.Json, row.ResourceVersion, ObjectJson.Uid(obj) ?? "", Owners(obj)), null);
                resourceVersion = Math.Max(resourceVersion, row.ResourceVersion);
                if (row.Key == NamespacesKey && obj["metadata"]?["deletionTimestamp"] is not null)
                {
                    terminating.Add(row.Name);
                }
            }

            evictedUpTo = resourceVersion;
        }
    }

    public StoredObject? Get(string key, string ns, string name)
    {
        lock (gate)
        {
            return GetLocked(key, ns, name);
        }
    }

    // Items in key order, starting after the continue key; ns null means all namespaces.
    public (List<KeyValuePair<string, StoredObject>> Items, long ResourceVersion) List(string key, string? ns)
    {
        lock (gate)
        {
            var items = new List<KeyValuePair<string, StoredObject>>();
            if (ns is not null)
            {
                if (byNamespace.TryGetValue((key, ns), out var names))
                {
                    items.AddRange(names.Select(kv => KeyValuePair.Create(ns + "/" + kv.Key, kv.Value.Object)));
                }
            }
            else if (byKind.TryGetValue(key, out var namespaces))
            {
                foreach (var (inNamespace, names) in namespaces)
                {
                    items.AddRange(names.Select(kv => KeyValuePair.Create(inNamespace + "/" + kv.Key, kv.Value.Object)));
                }
            }

            return (items, resourceVersion);
        }
    }

    public int Count(string key)
    {
        lock (gate)
        {
            return byKind.TryGetValue(key, out var namespaces) ? namespaces.Values.Sum(names => names.Count) : 0;
        }
    }

    public bool NamespaceExists(string ns)
    {
        lock (gate)
        {
            return GetLocked(NamespacesKey, "", ns) is not null;
        }
    }

    // Read-modify-write of one object. mutate sees the current object (null when absent) and returns
    // the next one, or null to leave it alone. It may throw ApiException (conflicts, validation). The current object is
    // mutate's own parse of the stored bytes: it may change it in place and return it (no copy per status write).
    // A caller that holds a parse of the object at its stored version may hand it over as handedOver, which is then
    // that parse (the simulator's writes, most of them to objects it wrote last, need not parse them again).
    public WriteOutcome Write(ResourceType type, string ns, string name, Func<JsonObject?, JsonObject?> mutate, bool dryRun = false, ParsedObject? handedOver = null)
    {
        lock (gate)
        {
            var existing = GetLocked(type.Key, ns, name);
            var current = existing is null ? null
                : handedOver is { } known && known.ResourceVersion == existing.ResourceVersion ? known.Object
                : ObjectJson.Parse(existing.Json);
            var next = mutate(current);
            if (next is null)
            {
                return new WriteOutcome(WriteKind.Unchanged, current);
            }

            var meta = ObjectJson.Meta(next);
            meta["name"] = name;
            if (type.Namespaced)
            {
                meta["namespace"] = ns;
            }
            else
            {
                meta.Remove("namespace");
            }

            if (existing is null)
            {
                CheckCreatableLocked(type, ns, name);
            }

            // Removing the last finalizer of an object being deleted completes its deletion.
            if (existing is not null && meta["deletionTimestamp"] is not null && !HasFinalizers(next) && type.Key != NamespacesKey)
            {
                if (!dryRun)
                {
                    RemoveLocked(type.Key, ns, name, next);
                }

                return new WriteOutcome(WriteKind.Deleted, next);
            }

            // Serialized once, with the next resourceVersion: an update that changes nothing else is the same bytes but
            // for it, and is no write.
            var rv = resourceVersion + 1;
            meta["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture);
            var bytes = ObjectJson.ToBytes(next);
            if (existing is not null && SameButVersion(existing, bytes, rv))
            {
                meta["resourceVersion"] = existing.ResourceVersion.ToString(CultureInfo.InvariantCulture);
                return new WriteOutcome(WriteKind.Unchanged, next);
            }

            if (dryRun)
            {
                if (existing is null)
                {
                    meta.Remove("resourceVersion");
                }
                else
                {
                    meta["resourceVersion"] = existing.ResourceVersion.ToString(CultureInfo.InvariantCulture);
                }

                return new WriteOutcome(existing is null ? WriteKind.Created : WriteKind.Updated, next);
            }

            resourceVersion = rv;
            PutLocked(type.Key, ns, name, new StoredObject(bytes, rv, ObjectJson.Uid(next) ?? "", Owners(next)), existing);
            if (type.Key == NamespacesKey && meta["deletionTimestamp"] is not null)
            {
                terminating.Add(name);
            }

            persistence?.Upsert(type.Key, ns, name, rv, bytes);
            PublishLocked(new WatchEvent(existing is null ? "ADDED" : "MODIFIED", type.Key, ns, name, rv, bytes));
            return new WriteOutcome(existing is null ? WriteKind.Created : WriteKind.Updated, next);
        }
    }

    // Creates an object that the caller serializes, at the resourceVersion it is given, without nodes to build first:
    // the simulator's Events, about eleven for a Deployment of two replicas. Unchanged when one of that name exists.
    public WriteKind Create(ResourceType type, string ns, string name, string uid, Func<long, byte[]> serializeAt)
    {
        lock (gate)
        {
            if (GetLocked(type.Key, ns, name) is not null)
            {
                return WriteKind.Unchanged;
            }

            CheckCreatableLocked(type, ns, name);
            var rv = ++resourceVersion;
            var bytes = serializeAt(rv);
            PutLocked(type.Key, ns, name, new StoredObject(bytes, rv, uid, []), null);
            persistence?.Upsert(type.Key, ns, name, rv, bytes);
            PublishLocked(new WatchEvent("ADDED", type.Key, ns, name, rv, bytes));
            return WriteKind.Created;
        }
    }

    // Deletes now, or marks for deletion when finalizers (or, for a namespace, contents) remain.
    public WriteOutcome Delete(ResourceType type, string ns, string name, Action<JsonObject>? precondition, bool dryRun = false)
    {
        lock (gate)
        {
            var existing = GetLocked(type.Key, ns, name) ?? throw ApiException.NotFound(type, name);
            var current = ObjectJson.Parse(existing.Json);
            precondition?.Invoke(current);
            var holdsContents = type.Key == NamespacesKey && namespaceCounts.GetValueOrDefault(name) > 0;
            if (HasFinalizers(current) || holdsContents)
            {
                var meta = ObjectJson.Meta(current);
                if (meta["deletionTimestamp"] is not null || dryRun)
                {
                    return new WriteOutcome(WriteKind.MarkedForDeletion, current);
                }

                meta["deletionTimestamp"] = ObjectJson.Timestamp(time.GetUtcNow());
                meta["deletionGracePeriodSeconds"] = 0;
                if (type.Key == NamespacesKey)
                {
                    ObjectJson.Child(current, "status")["phase"] = "Terminating";
                    terminating.Add(name);
                }

                var rv = ++resourceVersion;
                meta["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture);
                var bytes = ObjectJson.ToBytes(current);
                PutLocked(type.Key, ns, name, existing with { Json = bytes, ResourceVersion = rv }, existing);
                persistence?.Upsert(type.Key, ns, name, rv, bytes);
                PublishLocked(new WatchEvent("MODIFIED", type.Key, ns, name, rv, bytes));
                return new WriteOutcome(WriteKind.MarkedForDeletion, current);
            }

            if (!dryRun)
            {
                RemoveLocked(type.Key, ns, name, current);
            }

            return new WriteOutcome(WriteKind.Deleted, current);
        }
    }

    public List<ObjectRef> DependentsOf(string uid)
    {
        lock (gate)
        {
            return dependents.TryGetValue(uid, out var set) ? [.. set] : [];
        }
    }

    public List<ObjectRef> ObjectsInNamespace(string ns)
    {
        lock (gate)
        {
            var result = new List<ObjectRef>();
            foreach (var key in byKind.Keys)
            {
                if (byNamespace.TryGetValue((key, ns), out var names))
                {
                    result.AddRange(names.Keys.Select(name => new ObjectRef(key, ns, name)));
                }
            }

            return result;
        }
    }

    // Starts a watch. Without a resourceVersion the current objects come first as ADDED events;
    // with one, the history after it is replayed, or 410 Gone when it has left the ring.
    public WatchSubscription Subscribe(string key, string? ns, long? fromResourceVersion, int capacity, out List<WatchEvent> backlog)
    {
        lock (gate)
        {
            backlog = [];
            if (fromResourceVersion is null or 0)
            {
                foreach (var (k, obj) in List(key, ns).Items)
                {
                    var slash = k.IndexOf('/', StringComparison.Ordinal);
                    backlog.Add(new WatchEvent("ADDED", key, k[..slash], k[(slash + 1)..], obj.ResourceVersion, obj.Json));
                }
            }
            else
            {
                if (fromResourceVersion < evictedUpTo)
                {
                    throw ApiException.Gone($"too old resource version: {fromResourceVersion} ({evictedUpTo})");
                }

                for (var i = 0; i < ringCount; i++)
                {
                    var e = ring[(ringHead + i) % ring.Length]!;
                    if (e.ResourceVersion > fromResourceVersion && e.ResourceKey == key && (ns is null || e.Namespace == ns))
                    {
                        backlog.Add(e);
                    }
                }
            }

            var sub = new WatchSubscription(this, key, ns, capacity + backlog.Count);
            subscriptions.Add(sub);
            return sub;
        }
    }

    internal void Unsubscribe(WatchSubscription sub)
    {
        lock (gate)
        {
            subscriptions.Remove(sub);
        }
    }

    private static bool HasFinalizers(JsonObject o) => o["metadata"]?["finalizers"] is JsonArray { Count: > 0 };

    private static string[] Owners(JsonObject o) =>
        o["metadata"]?["ownerReferences"] is JsonArray refs
            ? refs.Select(r => ObjectJson.Str(r?["uid"])).OfType<string>().ToArray()
            : [];

    // The next version is given to no object yet, so its first `"resourceVersion":"<next>"` is in the metadata (a copy
    // of it elsewhere could only make an unchanged object look changed, and cost a write).
    private static bool SameButVersion(StoredObject existing, byte[] bytes, long version)
    {
        ReadOnlySpan<byte> field = "\"resourceVersion\":\""u8;
        Span<byte> marked = stackalloc byte[field.Length + 21];
        field.CopyTo(marked);
        version.TryFormat(marked[field.Length..], out var digits, provider: CultureInfo.InvariantCulture);
        marked[field.Length + digits] = (byte)'"';
        var at = bytes.AsSpan().IndexOf(marked[..(field.Length + digits + 1)]);
        Span<byte> old = stackalloc byte[20];
        existing.ResourceVersion.TryFormat(old, out var oldDigits, provider: CultureInfo.InvariantCulture);
        old = old[..oldDigits];
        var head = at + field.Length;
        var stored = existing.Json.AsSpan();
        return at >= 0
            && stored.Length == bytes.Length - digits + oldDigits
            && stored[..head].SequenceEqual(bytes.AsSpan(0, head))
            && stored.Slice(head, oldDigits).SequenceEqual(old)
            && stored[(head + oldDigits)..].SequenceEqual(bytes.AsSpan(head + digits));
    }

    private void CheckCreatableLocked(ResourceType type, string ns, string name)
    {
        if (!type.Namespaced)
        {
            return;
        }

        if (GetLocked(NamespacesKey, "", ns) is null)
        {
            throw ApiException.NamespaceNotFound(ns);
        }

        if (terminating.Contains(ns))
        {
            throw ApiException.Forbidden(type, name, $"unable to create new content in namespace {ns} because it is being terminated");
        }
    }

    private StoredObject? GetLocked(string key, string ns, string name) =>
        slots.TryGetValue((key, ns, name), out var slot) ? slot.Object : null;

    private void PutLocked(string key, string ns, string name, StoredObject obj, StoredObject? previous)
    {
        if (slots.TryGetValue((key, ns, name), out var slot))
        {
            slot.Object = obj;
        }
        else
        {
            slot = new Slot { Object = obj };
            slots[(key, ns, name)] = slot;
            if (!byNamespace.TryGetValue((key, ns), out var names))
            {
                names = new SortedDictionary<string, Slot>(StringComparer.Ordinal);
                byNamespace[(key, ns)] = names;
                if (!byKind.TryGetValue(key, out var namespaces))
                {
                    namespaces = new SortedDictionary<string, SortedDictionary<string, Slot>>(NamespaceOrder.Instance);
                    byKind[key] = namespaces;
                }

                namespaces[ns] = names;
            }

            names[name] = slot;
        }

        var self = new ObjectRef(key, ns, name);
        if (previous is not null)
        {
            foreach (var owner in previous.OwnerUids)
            {
                if (dependents.TryGetValue(owner, out var set) && set.Remove(self) && set.Count == 0)
                {
                    dependents.Remove(owner);
                }
            }
        }
        else if (ns.Length > 0)
        {
            namespaceCounts[ns] = namespaceCounts.GetValueOrDefault(ns) + 1;
        }

        foreach (var owner in obj.OwnerUids)
        {
            if (!dependents.TryGetValue(owner, out var set))
            {
                set = [];
                dependents[owner] = set;
            }

            set.Add(self);
        }
    }

    private void RemoveLocked(string key, string ns, string name, JsonObject last)
    {
        var previous = slots[(key, ns, name)].Object;
        slots.Remove((key, ns, name));
        if (byNamespace.TryGetValue((key, ns), out var names) && names.Remove(name) && names.Count == 0)
        {
            byNamespace.Remove((key, ns));
            byKind[key].Remove(ns);
        }

        var self = new ObjectRef(key, ns, name);
        foreach (var owner in previous.OwnerUids)
        {
            if (dependents.TryGetValue(owner, out var set) && set.Remove(self) && set.Count == 0)
            {
                dependents.Remove(owner);
            }
        }

        var rv = ++resourceVersion;
        ObjectJson.Meta(last)["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture);
        persistence?.Delete(key, ns, name, rv);
        PublishLocked(new WatchEvent("DELETED", key, ns, name, rv, ObjectJson.ToBytes(last)));
        if (key == NamespacesKey)
        {
            terminating.Remove(name);
            namespaceCounts.Remove(name);
            return;
        }

        if (ns.Length > 0)
        {
            var left = namespaceCounts.GetValueOrDefault(ns) - 1;
            namespaceCounts[ns] = left;
            // A terminating namespace goes away with its last object, like the namespace controller.
            if (left <= 0 && terminating.Contains(ns) && GetLocked(NamespacesKey, "", ns) is { } nsObj)
            {
                RemoveLocked(NamespacesKey, "", ns, ObjectJson.Parse(nsObj.Json));
            }
        }
    }

    private void PublishLocked(WatchEvent e)
    {
        if (ringCount == ring.Length)
        {
            evictedUpTo = ring[ringHead]!.ResourceVersion;
            ring[ringHead] = e;
            ringHead = (ringHead + 1) % ring.Length;
        }
        else
        {
            ring[(ringHead + ringCount) % ring.Length] = e;
            ringCount++;
        }

        for (var i = subscriptions.Count - 1; i >= 0; i--)
        {
            var sub = subscriptions[i];
            if (sub.ResourceKey == e.ResourceKey && (sub.Namespace is null || sub.Namespace == e.Namespace) && !sub.Offer(e))
            {
                subscriptions.RemoveAt(i);
            }
        }

        SystemListener?.Invoke(e);
    }

    // Namespaces in the order of "namespace/": "a-b" before "a", as "a-b/" sorts before "a/" ('-' is below '/').
    private sealed class NamespaceOrder : IComparer<string>
    {
        public static readonly NamespaceOrder Instance = new();

        public int Compare(string? x, string? y)
        {
            var a = (x ?? "").AsSpan();
            var b = (y ?? "").AsSpan();
            var common = Math.Min(a.Length, b.Length);
            var order = a[..common].SequenceCompareTo(b[..common]);
            if (order != 0 || a.Length == b.Length)
            {
                return order;
            }

            return a.Length < b.Length ? '/' - b[common] : a[common] - '/';
        }
    }

    // Where the index and the ordered maps keep an object, so that an update replaces it in all of them at once.
    private sealed class Slot
    {
        public required StoredObject Object { get; set; }
    }
}
