namespace Threeport.Modules.Platform.Reconciliation;

public enum ReconcileOutcome
{
    Done,
    RequeueAfter,
    Interrupt,
}

// What a reconcile asks the host to do next (controller-runtime's Result / TerminalError).
public sealed record ReconcileResult
{
    private ReconcileResult(ReconcileOutcome outcome, TimeSpan delay, string? reason)
    {
        Outcome = outcome;
        Delay = delay;
        Reason = reason;
    }

    public static ReconcileResult Done { get; } = new(ReconcileOutcome.Done, TimeSpan.Zero, null);

    public ReconcileOutcome Outcome { get; }

    public TimeSpan Delay { get; }

    public string? Reason { get; }

    // Not finished yet (waiting on something outside); run again after `delay`, not marked reconciled.
    public static ReconcileResult RequeueAfter(TimeSpan delay, string? reason = null) =>
        new(ReconcileOutcome.RequeueAfter, delay < TimeSpan.Zero ? TimeSpan.Zero : delay, reason);

    // Going on could do harm: stop requeueing until a user changes the object.
    public static ReconcileResult Interrupt(string reason) => new(ReconcileOutcome.Interrupt, TimeSpan.Zero, reason);
}
