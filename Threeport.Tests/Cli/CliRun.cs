using System.Net;
using System.Net.Sockets;
using Threeport.Host.Cli;
using Threeport.Host.Cli.Config;

namespace Threeport.Tests.Cli;

// Runs tptctl in-process with captured output, a temp home and a temp threeport config: never ~/.threeport.
public sealed class CliRun : IDisposable
{
    public CliRun()
    {
        Directory = System.IO.Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "tptctl-tests", Guid.NewGuid().ToString("N"))).FullName;
        ConfigPath = Path.Combine(Directory, "config.yaml");
    }

    public string Directory { get; }

    public string ConfigPath { get; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    public static async Task<CliResult> RunAsync(CliContext context, StringWriter output, StringWriter error, string args)
    {
        var code = await TptctlRoot.InvokeAsync(Split(args), context).WaitAsync(TimeSpan.FromSeconds(120));
        return new CliResult(code, output.ToString(), error.ToString());
    }

    // Runs `tptctl <args> --threeport-config <temp>`.
    public Task<CliResult> RunAsync(string args, bool isTerminal = false)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var context = new CliContext
        {
            Out = output,
            Err = error,
            IsTerminal = isTerminal,
            Time = Time,
            HomeDirectory = Directory,
            GetEnvironmentVariable = _ => null,
            PollInterval = TimeSpan.FromMilliseconds(50),
        };
        return RunAsync(context, output, error, $"{args} --threeport-config {ConfigPath}");
    }

    // A threeport config whose current control plane is at `apiServer`.
    public async Task UseControlPlaneAsync(Uri apiServer, string name = "test")
    {
        var config = new ThreeportConfig { CurrentControlPlane = name };
        config.ControlPlanes.Add(new ControlPlaneConfig { Name = name, APIServer = apiServer.GetLeftPart(UriPartial.Authority) });
        await new ThreeportConfigStore(ConfigPath).SaveAsync(config, CancellationToken.None);
    }

    public string WriteFile(string name, string text)
    {
        var path = Path.Combine(Directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    // Whitespace-separated, double quotes group: enough for test command lines.
    public static string[] Split(string args)
    {
        var parts = new List<string>();
        var current = new System.Text.StringBuilder();
        var quoted = false;
        foreach (var c in args)
        {
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (char.IsWhiteSpace(c) && !quoted)
            {
                if (current.Length > 0)
                {
                    parts.Add(current.ToString());
                    current.Clear();
                }
            }
            else
            {
                current.Append(c);
            }
        }

        if (current.Length > 0)
        {
            parts.Add(current.ToString());
        }

        return [.. parts];
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Left to the OS temp cleanup.
        }
    }
}

public sealed record CliResult(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
}
