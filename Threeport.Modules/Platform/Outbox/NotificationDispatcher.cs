using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Threeport.Modules.Platform.Objects;
using Threeport.Modules.Platform.Persistence;

namespace Threeport.Modules.Platform.Outbox;

// Moves committed outbox rows into the per-type channels. Its loop is the single owner of what is in flight,
// so an object is never handed to two workers at once, and a change made while it is in flight is delivered
// right after (the row survives the reconcile because its Sequence moved on).
//
// Hot path: a commit signals the object directly, and it goes to the channel with no database read when the
// channel has room. Everything else (full channels, due requeues, rows from before a restart or from other
// processes) is found by reading the table, in batches no larger than the free room, so memory stays bounded
// however many rows wait.
//
// Hot objects: an object changed again while it was being reconciled is not handed straight back (that made one
// reconcile per update under a burst, most of them discarded as stale). Its next reconcile waits until it has been
// quiet for QuietPeriod, or at most MaxHold, so a burst costs a few reconciles and the last state is reconciled
// soon after the burst ends (controller-runtime's rate-limited queue is the model). The first change of a quiet
// object is never delayed.
public sealed class NotificationDispatcher(
    NotificationChannels channels,
    IDbContextFactory<ThreeportDb> dbFactory,
    TimeProvider time,
    IOptions<PlatformSettings> settings,
    ILogger<NotificationDispatcher> log) : BackgroundService
{
    private readonly Channel<Signal> signals = Channel.CreateBounded<Signal>(new BoundedChannelOptions(65_536)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private static readonly long QuietPeriod = 20;
    private static readonly long MaxHold = 500;
    private static readonly long HotWindow = 100;

    private readonly HashSet<ObjectKey> inFlight = [];
    private readonly Dictionary<ObjectKey, Hot> hot = [];
    private long? nextHoldAt;
    private readonly HashSet<string> typesWithRowsInTable = [];
    private long? nextDueAt;
    private int inFlightCount;
    private int sweepRequested = 1;

    // Objects handed to workers and not yet completed (for metrics and tests; written only by the loop).
    public int InFlightCount => Volatile.Read(ref inFlightCount);

    // Called after a commit that wrote the row of `key`, due at `dueAt` (Unix ms); `committed`, the object as the commit
    // stored it, goes to the reconciler with the notification when it is handed over at once.
    public void Committed(ObjectKey key, long dueAt, CommittedObject? committed = null) => Send(new Signal(key, dueAt, Completed: false, committed));

    // Called by a worker when it is done with `key`; `remainingDueAt` is set when the row is still there.
    public void Completed(ObjectKey key, long? remainingDueAt) => Send(new Signal(key, remainingDueAt, Completed: true, null));

    private void Send(Signal signal)
    {
        if (!signals.Writer.TryWrite(signal))
        {
            // Dropping a signal is safe: the row is in the table and the sweep finds it.
            Interlocked.Exchange(ref sweepRequested, 1);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var sweepInterval = settings.Value.SweepInterval;
        var nextSweepAt = Now();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                while (signals.Reader.TryRead(out var signal))
                {
                    Handle(signal);
                }

                if (hot.Count > 0)
                {
                    ReleaseHeld();
                }

                Volatile.Write(ref inFlightCount, inFlight.Count);

                var now = Now();
                if (Interlocked.Exchange(ref sweepRequested, 0) == 1 || now >= nextSweepAt || nextDueAt <= now)
                {
                    typesWithRowsInTable.UnionWith(channels.Types);
                    nextSweepAt = now + (long)sweepInterval.TotalMilliseconds;
                    nextDueAt = null;
                    try
                    {
                        await RefreshNextDueAsync(now, stoppingToken);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        log.LogError(ex, "Dispatcher failed to read the next due time; retrying at the next sweep");
                    }
                }

                try
                {
                    await DispatchFromTableAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A busy or failing database must not stop delivery for good: try again at the next sweep.
                    log.LogError(ex, "Dispatcher failed to read the outbox; retrying at the next sweep");
                    nextSweepAt = Now() + (long)sweepInterval.TotalMilliseconds;
                }

                await WaitForWorkAsync(Math.Min(Math.Min(nextSweepAt, nextDueAt ?? long.MaxValue), nextHoldAt ?? long.MaxValue), stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown: anything not delivered stays in the table for the next start.
        }
    }

    private void Handle(Signal signal)
    {
        var now = Now();
        var due = signal.DueAt;
        if (signal.Completed)
        {
            inFlight.Remove(signal.Key);
            if (due is null && hot.TryGetValue(signal.Key, out var changed) && changed.ChangedInFlight)
            {
                // The reconcile deleted the row it read, and a change committed after it wrote a new one.
                due = now;
            }
        }

        if (due is not { } dueAt || !channels.TryGet(signal.Key.Type, out var channel))
        {
            return;
        }

        if (dueAt > now)
        {
            nextDueAt = Math.Min(nextDueAt ?? long.MaxValue, dueAt);
            return;
        }

        if (inFlight.Contains(signal.Key))
        {
            // Changed while being reconciled: the object is hot.
            var changed = hot.TryGetValue(signal.Key, out var h) ? h : hot[signal.Key] = new Hot();
            changed.ChangedInFlight = true;
            changed.LastChangeAt = now;
            return;
        }

        if (hot.TryGetValue(signal.Key, out var held) && (held.ChangedInFlight || held.HoldSince is not null || now < held.CoolsAt))
        {
            // Hot: wait for a quiet moment (or MaxHold) instead of reconciling each change of a burst.
            if (!signal.Completed)
            {
                held.LastChangeAt = now;
            }

            held.ChangedInFlight = false;
            held.HoldSince ??= now;
            nextHoldAt = Math.Min(nextHoldAt ?? long.MaxValue, held.ReleaseAt);
            return;
        }

        if (channel.Writer.TryWrite(new Notification(signal.Key, signal.Committed)))
        {
            inFlight.Add(signal.Key);
        }
        else
        {
            typesWithRowsInTable.Add(signal.Key.Type);
        }
    }

    // Hands held hot objects to their channels once quiet (or held for MaxHold); forgets objects that cooled down.
    private void ReleaseHeld()
    {
        var now = Now();
        nextHoldAt = null;
        List<ObjectKey>? cooled = null;
        foreach (var (key, h) in hot)
        {
            if (h.HoldSince is null)
            {
                if (!h.ChangedInFlight && !inFlight.Contains(key) && now >= h.CoolsAt)
                {
                    (cooled ??= []).Add(key);
                }

                continue;
            }

            if (now < h.ReleaseAt)
            {
                nextHoldAt = Math.Min(nextHoldAt ?? long.MaxValue, h.ReleaseAt);
                continue;
            }

            h.HoldSince = null;
            h.CoolsAt = now + HotWindow;
            if (channels.TryGet(key.Type, out var channel) && channel.Writer.TryWrite(new Notification(key)))
            {
                inFlight.Add(key);
            }
            else
            {
                typesWithRowsInTable.Add(key.Type);
            }
        }

        cooled?.ForEach(key => hot.Remove(key));
        if (hot.Count > 0)
        {
            // Check again for cooling even when nothing is held.
            nextHoldAt = Math.Min(nextHoldAt ?? long.MaxValue, now + HotWindow);
        }
    }

    private async Task DispatchFromTableAsync(CancellationToken ct)
    {
        if (typesWithRowsInTable.Count == 0)
        {
            return;
        }

        var now = Now();
        foreach (var type in typesWithRowsInTable.ToList())
        {
            channels.TryGet(type, out var channel);
            var room = channels.Capacity - channel.Reader.Count;
            // Wait for half the room before reading again, so a backlog is read in batches, not row by row.
            if (room < Math.Max(1, channels.Capacity / 2))
            {
                continue;
            }

            var limit = room + inFlight.Count;
            List<long> due;
            await using (var db = await dbFactory.CreateDbContextAsync(ct))
            {
                due = await db.OutboxMessages.AsNoTracking()
                    .Where(m => m.ObjectType == type && m.AvailableAt <= now)
                    .OrderBy(m => m.AvailableAt)
                    .Select(m => m.ObjectId)
                    .Take(limit)
                    .ToListAsync(ct);
            }

            foreach (var id in due)
            {
                var key = new ObjectKey(type, id);
                if (hot.TryGetValue(key, out var h) && h.HoldSince is not null)
                {
                    continue;
                }

                if (!inFlight.Contains(key) && channel.Writer.TryWrite(new Notification(key)))
                {
                    inFlight.Add(key);
                }
            }

            if (due.Count < limit)
            {
                typesWithRowsInTable.Remove(type);
            }
        }
    }

    private async Task RefreshNextDueAsync(long now, CancellationToken ct)
    {
        var types = channels.Types.ToList();
        if (types.Count == 0)
        {
            return;
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var next = await db.OutboxMessages.AsNoTracking()
            .Where(m => types.Contains(m.ObjectType) && m.AvailableAt > now)
            .MinAsync(m => (long?)m.AvailableAt, ct);
        if (next is { } due)
        {
            nextDueAt = Math.Min(nextDueAt ?? long.MaxValue, due);
        }
    }

    private async Task WaitForWorkAsync(long wakeAt, CancellationToken stoppingToken)
    {
        if (signals.Reader.Count > 0)
        {
            return;
        }

        var delay = TimeSpan.FromMilliseconds(Math.Max(0, wakeAt - Now()));
        if (delay == TimeSpan.Zero)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(delay, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timeout.Token);
        try
        {
            await signals.Reader.WaitToReadAsync(linked.Token);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            log.LogTrace("Dispatcher woke for due notifications");
        }
    }

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();

    private readonly record struct Signal(ObjectKey Key, long? DueAt, bool Completed, CommittedObject? Committed);

    private sealed class Hot
    {
        // A change arrived while the object was being reconciled.
        public bool ChangedInFlight { get; set; }

        public long LastChangeAt { get; set; }

        // Set while the next reconcile is held back.
        public long? HoldSince { get; set; }

        // Until then, a new change counts as part of the same burst.
        public long CoolsAt { get; set; }

        public long ReleaseAt => Math.Min(LastChangeAt + QuietPeriod, (HoldSince ?? LastChangeAt) + MaxHold);
    }
}
