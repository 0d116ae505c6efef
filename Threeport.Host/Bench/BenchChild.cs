using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Threeport.Host.Bench;

// A private control plane in its own process: the same tptctl binary runs `up` on free loopback ports with a
// temporary data directory and the bench type enabled. The child also gets HOME=<run folder> and the same
// settings as environment variables, so it is isolated (its threeport config lands in the run folder) and an
// entry point that ignores arguments still starts the same control plane.
internal sealed class BenchChild : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);
    private readonly Process process;
    private readonly Queue<string> lastLines = new();

    private BenchChild(Process process, string dataDirectory, Uri api)
    {
        this.process = process;
        DataDirectory = dataDirectory;
        Api = api;
        Client = NewClient(api, 64);
    }

    public string DataDirectory { get; }

    public string DatabasePath => Path.Combine(DataDirectory, "threeport.db");

    public string KubeconfigPath => Path.Combine(DataDirectory, "dev-cluster.kubeconfig");

    public Uri Api { get; }

    public HttpClient Client { get; }

    // From process start to the first 200 from /readyz.
    public TimeSpan StartupTime { get; private set; }

    public int ProcessId => process.Id;

    // CPU time the child has used so far, all threads.
    public TimeSpan ProcessorTime
    {
        get
        {
            process.Refresh();
            return process.TotalProcessorTime;
        }
    }

    public static HttpClient NewClient(Uri api, int connections) =>
        new(new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5), UseProxy = false })
        {
            BaseAddress = api,
            Timeout = TimeSpan.FromMinutes(5),
        };

    // `home` is the run folder; the data directory is the one `up` uses there by default.
    public static async Task<BenchChild> StartAsync(string home, IReadOnlyDictionary<string, string> settings, CancellationToken ct)
    {
        var dataDirectory = Path.Combine(home, ".threeport", "local");
        Directory.CreateDirectory(dataDirectory);
        var apiPort = FreePort();
        var all = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["Threeport:Bench:Enabled"] = "true",
            ["DevCluster:ReadinessDelay"] = "00:00:00",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        var start = StartInfo();
        foreach (var arg in new[] { "up", "--data-dir", dataDirectory, "--api-port", apiPort.ToString(CultureInfo.InvariantCulture), "--dev-cluster-port", FreePort().ToString(CultureInfo.InvariantCulture), "--auth-enabled=false" })
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in all)
        {
            start.ArgumentList.Add($"--{key}={value}");
        }

        start.Environment["HOME"] = home;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;

        var started = Stopwatch.GetTimestamp();
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the bench control plane");
        var child = new BenchChild(process, dataDirectory, new Uri($"http://127.0.0.1:{apiPort}/"));
        process.OutputDataReceived += (_, e) => child.Remember(e.Data);
        process.ErrorDataReceived += (_, e) => child.Remember(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await child.WaitReadyAsync(ct);
        }
        catch
        {
            await child.DisposeAsync();
            throw;
        }

        child.StartupTime = Stopwatch.GetElapsedTime(started);
        return child;
    }

    // The child's resident set (VmRSS), in MB.
    public double ResidentMegabytes()
    {
        var status = $"/proc/{process.Id}/status";
        if (File.Exists(status))
        {
            var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            if (line is not null)
            {
                return double.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024;
            }
        }

        process.Refresh();
        return process.WorkingSet64 / 1024.0 / 1024.0;
    }

    public string LastOutput()
    {
        lock (lastLines)
        {
            return string.Join(Environment.NewLine, lastLines);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!process.HasExited)
        {
            // SIGINT (Ctrl-C): the control plane shuts down cleanly (leases released, database closed).
            using (var kill = Process.Start(new ProcessStartInfo("kill", ["-INT", process.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false }))
            {
                if (kill is not null)
                {
                    await kill.WaitForExitAsync();
                }
            }

            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }

        process.Dispose();
    }

    private static ProcessStartInfo StartInfo()
    {
        // This very binary: tptctl.dll beside this assembly, run by the same dotnet host.
        var dll = typeof(BenchChild).Assembly.Location;
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (string.IsNullOrEmpty(host) || !File.Exists(host))
        {
            host = Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
        }

        var start = new ProcessStartInfo(host);
        start.ArgumentList.Add(dll);
        return start;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (lastLines)
        {
            lastLines.Enqueue(line);
            while (lastLines.Count > 40)
            {
                lastLines.Dequeue();
            }
        }
    }

    private async Task WaitReadyAsync(CancellationToken ct)
    {
        using var probe = new HttpClient { BaseAddress = Api, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.GetTimestamp() + (long)(ReadyTimeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the bench control plane exited with code {process.ExitCode}:{Environment.NewLine}{LastOutput()}");
            }

            try
            {
                using var response = await probe.GetAsync("readyz", ct);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or System.Net.Sockets.SocketException)
            {
                // Not listening yet. A connection reset while it is set up can surface as a bare SocketException
                // (ENOTCONN from the socket's remote end point), not wrapped in HttpRequestException.
            }

            await Task.Delay(10, ct);
        }

        throw new TimeoutException($"the bench control plane was not ready within {ReadyTimeout.TotalSeconds:0} s:{Environment.NewLine}{LastOutput()}");
    }
}
