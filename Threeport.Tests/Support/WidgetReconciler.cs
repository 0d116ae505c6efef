using System.Collections.Concurrent;
using Threeport.Modules.Platform.Reconciliation;

namespace Threeport.Tests.Support;

// Instrumented: counts calls, detects two reconciles of one object at once, and lets a test script the outcome.
public sealed class WidgetReconciler(WidgetBehavior behavior) : IReconciler<Widget>
{
    public async Task<ReconcileResult> ReconcileAsync(Widget obj, CancellationToken ct)
    {
        if (behavior.Active.AddOrUpdate(obj.ID, 1, (_, n) => n + 1) > 1)
        {
            Interlocked.Increment(ref behavior.Overlaps);
        }

        try
        {
            behavior.Calls.AddOrUpdate(obj.ID, 1, (_, n) => n + 1);
            behavior.Seen.Enqueue((obj.ID, obj.Generation, obj.Color));
            obj.AppliedColor = obj.Color;
            return await behavior.Script(obj, ct);
        }
        finally
        {
            behavior.Active.AddOrUpdate(obj.ID, 0, (_, n) => n - 1);
        }
    }
}

public sealed class WidgetBehavior
{
    public int Overlaps;

    public ConcurrentDictionary<long, int> Active { get; } = new();

    public ConcurrentDictionary<long, int> Calls { get; } = new();

    public ConcurrentQueue<(long Id, long Generation, string? Color)> Seen { get; } = new();

    // What a reconcile does; by default it finishes at once.
    public Func<Widget, CancellationToken, Task<ReconcileResult>> Script { get; set; } = (_, _) => Task.FromResult(ReconcileResult.Done);

    public int CallsFor(long id) => Calls.TryGetValue(id, out var n) ? n : 0;
}
