using System.CommandLine;

namespace Threeport.Host.Cli;

// Options every command accepts (Recursive), like Threeport's persistent cobra flags.
public static class GlobalOptions
{
    public static readonly Option<string?> ThreeportConfig = new("--threeport-config")
    {
        Description = "Path to the threeport config file (default: $THREEPORT_CONFIG, else ~/.threeport/config.yaml)",
        Recursive = true,
    };

    public static readonly Option<string?> ControlPlaneName = new("--control-plane-name", "-i")
    {
        Description = "Control plane to talk to (default: CurrentControlPlane of the threeport config)",
        Recursive = true,
    };

    public static readonly Option<bool> Debug = new("--debug")
    {
        Description = "Show stack traces and API details on errors",
        Recursive = true,
    };
}
