using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Threeport.Tests.Reliability;

// `tptctl up` as a child process on a data directory, so a test can kill it the hard way (SIGKILL) and
// start it again, exactly as a crash and a restart would happen.
public sealed class ControlPlaneChild : IAsyncDisposable
{
    private readonly string dataDirectory;
    private readonly string[] extraArguments;
    private Process? process;

    public ControlPlaneChild(string dataDirectory, params string[] extraArguments)
    {
        this.dataDirectory = dataDirectory;
        this.extraArguments = extraArguments;
        ApiPort = FreePort();
        DevClusterPort = FreePort();
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ApiPort}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public int ApiPort { get; }

    public int DevClusterPort { get; }

    public HttpClient Client { get; }

    public string LogPath => Path.Combine(dataDirectory, "child.log");

    public async Task StartAsync()
    {
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "tptctl"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
                 {
                     "up", "--data-dir", dataDirectory, "--api-port", ApiPort.ToString(), "--dev-cluster-port", DevClusterPort.ToString(),
                     "--threeport-config", Path.Combine(dataDirectory, "cli-config.yaml"), "--auth-enabled=false",
                 }.Concat(extraArguments))
        {
            start.ArgumentList.Add(argument);
        }

        process = Process.Start(start) ?? throw new InvalidOperationException("tptctl did not start");
        _ = PumpAsync(process.StandardOutput);
        _ = PumpAsync(process.StandardError);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                Assert.Fail($"tptctl up exited with {process.ExitCode}; log:\n{await File.ReadAllTextAsync(LogPath)}");
            }

            try
            {
                if ((await Client.GetAsync("/readyz")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(50);
        }

        Assert.Fail("tptctl up did not become ready in 60 s");
    }

    // SIGKILL: no shutdown code runs, like a crash or an OOM kill.
    public async Task KillAsync()
    {
        if (process is { HasExited: false })
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    // SIGTERM: the graceful path (Ctrl-C / tptctl down).
    public async Task StopAsync()
    {
        if (process is { HasExited: false })
        {
            Threeport.Host.Cli.ControlPlaneProcess.RequestStop(process);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(timeout.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        Client.Dispose();
        process?.Dispose();
    }

    private readonly Lock logLock = new();

    private async Task PumpAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (logLock)
            {
                File.AppendAllText(LogPath, line + "\n");
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
