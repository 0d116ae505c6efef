using System.Text.Json.Nodes;
using Threeport.Modules.DevCluster.Api;

namespace Threeport.Modules.DevCluster.Simulation;

// A namespace's Services as the Endpoints simulation last saw them, indexed so that a pod's change finds the Services
// it concerns without checking every Service of the namespace (with thousands in one namespace, that check was half
// the simulation's time): by one label each selector requires, which every pod it selects carries, and by the pods
// each Service's Endpoints list. Only the simulation's loop uses it.
internal sealed class NamespaceServices
{
    private readonly Dictionary<string, ServiceView> byName = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Key, string Value), HashSet<string>> bySelectorLabel = [];
    private readonly Dictionary<string, HashSet<string>> listingPod = new(StringComparer.Ordinal);

    public ServiceView? Get(string name) => byName.GetValueOrDefault(name);

    // A new version of a Service's view; the pods its Endpoints list stay listed until it is synced again.
    public void Put(ServiceView view)
    {
        if (byName.Remove(view.Name, out var old))
        {
            Unindex(old);
        }

        byName[view.Name] = view;
        if (view.SelectorLabel is { } label)
        {
            Add(bySelectorLabel, label, view.Name);
        }
    }

    public void Remove(string name)
    {
        if (byName.Remove(name, out var old))
        {
            Unindex(old);
            foreach (var pod in old.Listed)
            {
                Remove(listingPod, pod, name);
            }
        }
    }

    // The Services a pod with these labels may be selected by (null when the pod is gone), and those listing it.
    public List<ServiceView> Concerning(string pod, IReadOnlyDictionary<string, string>? labels)
    {
        var names = new HashSet<string>(listingPod.GetValueOrDefault(pod) ?? [], StringComparer.Ordinal);
        foreach (var (key, value) in labels ?? new Dictionary<string, string>())
        {
            if (bySelectorLabel.TryGetValue((key, value), out var selecting))
            {
                names.UnionWith(selecting);
            }
        }

        return names.Select(byName.GetValueOrDefault).OfType<ServiceView>().ToList();
    }

    public void SetListed(ServiceView view, bool listed, string pod)
    {
        if (listed ? view.Listed.Add(pod) : view.Listed.Remove(pod))
        {
            if (listed)
            {
                Add(listingPod, pod, view.Name);
            }
            else
            {
                Remove(listingPod, pod, view.Name);
            }
        }
    }

    public void ReplaceListed(ServiceView view, HashSet<string> pods)
    {
        foreach (var pod in view.Listed.Except(pods).ToList())
        {
            SetListed(view, false, pod);
        }

        foreach (var pod in pods)
        {
            SetListed(view, true, pod);
        }
    }

    private void Unindex(ServiceView view)
    {
        if (view.SelectorLabel is { } label)
        {
            Remove(bySelectorLabel, label, view.Name);
        }
    }

    private static void Add<TKey>(Dictionary<TKey, HashSet<string>> index, TKey key, string name)
        where TKey : notnull
    {
        if (!index.TryGetValue(key, out var names))
        {
            names = new HashSet<string>(StringComparer.Ordinal);
            index[key] = names;
        }

        names.Add(name);
    }

    private static void Remove<TKey>(Dictionary<TKey, HashSet<string>> index, TKey key, string name)
        where TKey : notnull
    {
        if (index.TryGetValue(key, out var names) && names.Remove(name) && names.Count == 0)
        {
            index.Remove(key);
        }
    }
}

// A Service as last parsed: its selector (null when it selects nothing) and the pods its Endpoints list.
internal sealed record ServiceView(string Name, long ResourceVersion, JsonObject Object, LabelSelector? Selector, (string Key, string Value)? SelectorLabel)
{
    // The pods its Endpoints listed when last synced; changed through NamespaceServices, which indexes them.
    public HashSet<string> Listed { get; init; } = new(StringComparer.Ordinal);

    // Listed came from a scan of the namespace's pods against this version's selector, so a pod's change only
    // needs that pod checked.
    public bool Scanned { get; set; }
}
