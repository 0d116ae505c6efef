namespace Threeport.Modules.Platform.Reconciliation;

// Delay before retry number `attempt` (1-based): doubling from Initial, capped at Max, with jitter so that
// objects failing together do not retry together. Threeport's bounds (1 s .. 30 s) are the defaults.
public sealed record Backoff(TimeSpan Initial, TimeSpan Max, double Jitter = 0.2)
{
    public static Backoff Default { get; } = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));

    // `random` is in [0, 1): 0.5 means no jitter.
    public TimeSpan Next(int attempt, double random)
    {
        var exponent = Math.Clamp(attempt - 1, 0, 30);
        var doubled = Initial.TotalMilliseconds * Math.Pow(2, exponent);
        var capped = Math.Min(doubled, Max.TotalMilliseconds);
        var jittered = capped * (1 + Jitter * (2 * random - 1));
        return TimeSpan.FromMilliseconds(Math.Clamp(jittered, Initial.TotalMilliseconds, Max.TotalMilliseconds));
    }
}
