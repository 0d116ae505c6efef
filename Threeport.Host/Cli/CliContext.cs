using Threeport.Host.ControlPlane;

namespace Threeport.Host.Cli;

// Everything a command touches outside its arguments, so tests run commands in-process with their own
// writers, clock, environment and home directory and never the user's ~/.threeport.
public sealed class CliContext
{
    public TextWriter Out { get; init; } = Console.Out;
    public TextWriter Err { get; init; } = Console.Error;
    public TimeProvider Time { get; init; } = TimeProvider.System;
    // True when Out is an interactive terminal: `--wait` then redraws one status line per object.
    public bool IsTerminal { get; init; } = !Console.IsOutputRedirected;
    public Func<string, string?> GetEnvironmentVariable { get; init; } = Environment.GetEnvironmentVariable;
    public string HomeDirectory { get; init; } = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
    public HttpMessageHandler? HttpHandler { get; init; }
    // How often `--wait` and `up --detach` poll the API.
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);
    public Func<UpOptions, TextWriter, CancellationToken, Task<int>> RunControlPlane { get; init; } = ControlPlaneApp.RunAsync;
    // The command line that starts this same tptctl as a child (`up --detach`): file name plus leading arguments.
    public Func<(string FileName, IReadOnlyList<string> Arguments)> SelfCommand { get; init; } = DefaultSelfCommand;

    public static (string FileName, IReadOnlyList<string> Arguments) DefaultSelfCommand()
    {
        var processPath = Environment.ProcessPath ?? throw new CliException("cannot tell which executable runs tptctl");
        // `dotnet tptctl.dll ...` (framework-dependent run): start the same dll again, not bare `dotnet`.
        return Path.GetFileNameWithoutExtension(processPath).Equals("dotnet", StringComparison.OrdinalIgnoreCase)
            ? (processPath, [typeof(CliContext).Assembly.Location])
            : (processPath, []);
    }
}
