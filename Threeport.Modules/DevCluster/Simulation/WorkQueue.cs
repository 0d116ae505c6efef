using System.Threading.Channels;

namespace Threeport.Modules.DevCluster.Simulation;

// Like a Kubernetes controller's work queue: an object waiting to be looked at is queued once, however often it
// changes meanwhile, because the simulated controllers read its current state when they get to it. A pod's three
// writes and its ReplicaSet's status writes then cost one pass of its ReplicaSet and Deployment, not one each.
// Writers are the store (under its lock), timers and the loop itself; the loop is the one reader.
internal sealed class WorkQueue
{
    private readonly Channel<(string, string, string)> keys = Channel.CreateUnbounded<(string, string, string)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<(string, string, string), WorkItem> waiting = [];

    public void Add(WorkItem item)
    {
        var key = item.Key;
        lock (waiting)
        {
            if (waiting.TryGetValue(key, out var queued))
            {
                waiting[key] = queued.Merge(item);
                return;
            }

            waiting[key] = item;
        }

        keys.Writer.TryWrite(key);
    }

    public void Complete() => keys.Writer.TryComplete();

    // Each waiting object once, in the order it was first queued; it leaves the queue as it is handed out, so a
    // change made while it is processed queues it again.
    public async IAsyncEnumerable<WorkItem> ReadAllAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var key in keys.Reader.ReadAllAsync(ct))
        {
            WorkItem? item;
            lock (waiting)
            {
                waiting.Remove(key, out item);
            }

            yield return item!;
        }
    }
}
