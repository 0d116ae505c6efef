using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Threeport.Modules.Platform.Objects;

namespace Threeport.Modules.Platform.Outbox;

// The in-process broker: one bounded channel per reconciled object type whose controller is enabled.
// The dispatcher is the only writer; that type's ReconcilerHost workers are the readers. A type without
// a channel is not being reconciled here: its notifications wait in the outbox table.
public sealed class NotificationChannels
{
    private readonly Dictionary<string, Channel<Notification>> channels = new();

    public NotificationChannels(ObjectTypeRegistry registry, IOptions<PlatformSettings> settings)
    {
        Capacity = Math.Max(1, settings.Value.ChannelCapacity);
        foreach (var type in registry.All.Where(t => t.IsReconciled && t.ReconcilerType is not null))
        {
            if (!settings.Value.ControllerFor(type.Controller).Enabled)
            {
                continue;
            }

            channels[type.Name] = Channel.CreateBounded<Notification>(new BoundedChannelOptions(Capacity)
            {
                SingleWriter = true,
                FullMode = BoundedChannelFullMode.Wait,
            });
        }
    }

    public int Capacity { get; }

    public IEnumerable<string> Types => channels.Keys;

    public bool TryGet(string type, out Channel<Notification> channel) => channels.TryGetValue(type, out channel!);
}
