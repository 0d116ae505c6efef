namespace Threeport.Modules.Platform.Objects;

// Fields every stored object has (Threeport's `Common`).
public abstract class ThreeportObject
{
    public long ID { get; set; }

    public DateTimeOffset? CreatedAt { get; set; }

    // Last change made through the API; status writes by reconcilers leave it alone.
    public DateTimeOffset? UpdatedAt { get; set; }

    // The user's intent counter: every API write bumps it. Status writes carry the value they read, so a
    // reconcile of an older generation can never mark a newer one reconciled (Kubernetes' observedGeneration).
    public long Generation { get; set; }
}
