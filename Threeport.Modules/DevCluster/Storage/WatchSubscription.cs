using System.Threading.Channels;

namespace Threeport.Modules.DevCluster.Storage;

// One watcher's queue. The store writes with TryWrite under its lock (never blocks); a watcher that
// falls too far behind is closed, like the apiserver does, and its client re-lists.
internal sealed class WatchSubscription(ObjectStore store, string resourceKey, string? ns, int capacity) : IDisposable
{
    private readonly Channel<WatchEvent> channel = Channel.CreateBounded<WatchEvent>(new BoundedChannelOptions(capacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    public string ResourceKey { get; } = resourceKey;

    public string? Namespace { get; } = ns;

    public ChannelReader<WatchEvent> Reader => channel.Reader;

    internal bool Offer(WatchEvent e)
    {
        if (channel.Writer.TryWrite(e))
        {
            return true;
        }

        channel.Writer.TryComplete();
        return false;
    }

    public void Dispose()
    {
        store.Unsubscribe(this);
        channel.Writer.TryComplete();
    }
}
