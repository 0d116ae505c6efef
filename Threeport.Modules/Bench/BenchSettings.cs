namespace Threeport.Modules.Bench;

// "Threeport:Bench": set only by `tptctl bench` on the control plane it starts.
public sealed class BenchSettings
{
    public const string Section = "Threeport:Bench";

    // Registers the BenchObject type, its no-op reconciler and the /bench routes.
    public bool Enabled { get; set; }
}
