using Threeport.Modules.Platform.Reconciliation;

namespace Threeport.Modules.Bench;

// Does nothing but note when it ran: the no-op whose cost is the platform's alone.
internal sealed class BenchReconciler(BenchRecorder recorder) : IReconciler<BenchObject>
{
    public Task<ReconcileResult> ReconcileAsync(BenchObject obj, CancellationToken ct)
    {
        recorder.Invoked(obj.ID);
        return Task.FromResult(ReconcileResult.Done);
    }
}
