using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Threeport.Host.Cli.Config;
using Threeport.Host.ControlPlane;
using Threeport.Modules.Platform.Client;

namespace Threeport.Host.Cli.Commands;

// `tptctl up`: records the control plane in the threeport config (mode 0600) and runs it in the foreground
// until Ctrl-C, or with --detach as a background process whose PID goes to the data directory.
public sealed class UpCommand : Command
{
    public static readonly Option<string> NameOption = new("--name", "-n")
    {
        Description = "Name of the control plane in the threeport config",
        DefaultValueFactory = _ => "local",
    };

    public static readonly Option<string?> DataDir = new("--data-dir")
    {
        Description = "Where the control plane keeps its data (default: ~/.threeport/<name>)",
    };

    public static readonly Option<int> ApiPort = new("--api-port")
    {
        Description = "Loopback port of the REST API",
        DefaultValueFactory = _ => 1323,
    };

    public static readonly Option<bool> AuthEnabled = new("--auth-enabled")
    {
        Description = "Mutual TLS on the API with the control plane's own CA; the client pair goes into the threeport config. "
            + "On by default, as in Threeport; --auth-enabled=false is allowed on loopback only",
        DefaultValueFactory = _ => true,
    };

    public static readonly Option<bool> NoDevCluster = new("--no-dev-cluster")
    {
        Description = "Do not start the embedded Kubernetes-compatible dev cluster",
    };

    public static readonly Option<int> DevClusterPort = new("--dev-cluster-port")
    {
        Description = "Loopback port of the dev cluster's Kubernetes API (default: any free port)",
    };

    public static readonly Option<bool> Detach = new("--detach", "-d")
    {
        Description = "Run in the background; stop it with `tptctl down --name NAME`",
    };

    public static readonly Option<string> ReadyTimeout =
        ObjectOptions.DurationOption("--timeout", "With --detach: how long to wait for the API to answer /readyz, e.g. 60s, 2m", "2m");

    // Set on the child of --detach: output goes to this file because nobody reads the child's stdout.
    public static readonly Option<string?> LogFile = new("--log-file") { Hidden = true };

    private readonly CliContext _context;

    public UpCommand(CliContext context)
        : base("up", Help.WithExamples(
            "Run a Threeport control plane on this machine (API, reconcilers, dev cluster) until Ctrl-C. "
            + "Extra settings pass through as --Section:Key=value.",
            "tptctl up", "tptctl up --name dev --api-port 1400 --no-dev-cluster", "tptctl up --detach && tptctl get workloads"))
    {
        _context = context;
        Options.Add(NameOption);
        Options.Add(DataDir);
        Options.Add(ApiPort);
        Options.Add(AuthEnabled);
        Options.Add(NoDevCluster);
        Options.Add(DevClusterPort);
        Options.Add(Detach);
        Options.Add(ReadyTimeout);
        Options.Add(LogFile);
        TreatUnmatchedTokensAsErrors = false;
        CommandAction.Set(this, context, ExecuteAsync);
    }

    public async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken ct)
    {
        var options = ReadOptions(parseResult);
        var store = ThreeportConfigStore.Resolve(parseResult.GetValue(GlobalOptions.ThreeportConfig), _context);
        EnsurePortFree(options.ApiPort);
        if (parseResult.GetValue(Detach))
        {
            return await StartDetachedAsync(parseResult, options, store, ct);
        }

        options = await RecordAsync(store, options, ct);
        var logFile = parseResult.GetValue(LogFile);
        if (logFile is null)
        {
            await _context.Out.WriteLineAsync($"Info: control plane {options.Name} recorded in {store.Path}; stop it with Ctrl-C");
            return await _context.RunControlPlane(options, _context.Out, ct);
        }

        await using var log = new StreamWriter(logFile, append: true) { AutoFlush = true };
        Console.SetOut(log);
        Console.SetError(log);
        try
        {
            return await _context.RunControlPlane(options, log, ct);
        }
        finally
        {
            // Only our own pid file: a later `up --detach` may have written its own meanwhile.
            var pidFile = ControlPlaneProcess.PidFile(options.DataDirectory!);
            if (File.Exists(pidFile) && File.ReadLines(pidFile).FirstOrDefault() == Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
            {
                File.Delete(pidFile);
            }
        }
    }

    private UpOptions ReadOptions(ParseResult parseResult)
    {
        var port = parseResult.GetValue(ApiPort);
        if (port is < 1 or > 65535)
        {
            throw new CliException($"--api-port {port} is not a port number (1-65535)", ExitCodes.Usage);
        }

        var devClusterPort = parseResult.GetValue(DevClusterPort);
        if (devClusterPort is < 0 or > 65535)
        {
            throw new CliException($"--dev-cluster-port {devClusterPort} is not a port number (0-65535)", ExitCodes.Usage);
        }

        var name = parseResult.GetValue(NameOption)!;
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var token in parseResult.UnmatchedTokens)
        {
            // `--Section:Key=value` only; anything else is a typo the user should hear about.
            var text = token.StartsWith("--", StringComparison.Ordinal) ? token[2..] : "";
            var eq = text.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || !text[..eq].Contains(':', StringComparison.Ordinal))
            {
                throw new CliException($"unknown argument {token} for `tptctl up` (settings are passed as --Section:Key=value)", ExitCodes.Usage);
            }

            settings[text[..eq]] = text[(eq + 1)..];
        }

        return new UpOptions
        {
            Name = name,
            DataDirectory = Path.GetFullPath(parseResult.GetValue(DataDir) ?? Path.Combine(_context.HomeDirectory, ".threeport", name)),
            ApiPort = port,
            AuthEnabled = parseResult.GetValue(AuthEnabled),
            DevClusterEnabled = !parseResult.GetValue(NoDevCluster),
            DevClusterPort = devClusterPort,
            Settings = settings,
        };
    }

    private static void EnsurePortFree(int port)
    {
        try
        {
            using var probe = new TcpListener(IPAddress.Loopback, port);
            probe.Start();
        }
        catch (SocketException)
        {
            throw new CliException($"port {port} is in use: is a control plane already running? stop it with `tptctl down` or choose another --api-port");
        }
    }

    private async Task<UpOptions> RecordAsync(ThreeportConfigStore store, UpOptions options, CancellationToken ct)
    {
        var config = await store.LoadAsync(ct);
        var entry = config.Find(options.Name);
        if (entry is null)
        {
            entry = new ControlPlaneConfig { Name = options.Name };
            config.ControlPlanes.Add(entry);
        }

        entry.APIServer = $"{(options.AuthEnabled ? "https" : "http")}://{options.ApiBindAddress}:{options.ApiPort.ToString(CultureInfo.InvariantCulture)}";
        entry.AuthEnabled = options.AuthEnabled;
        if (options.AuthEnabled)
        {
            // The same files the API serves with (created here on first use), so the config matches the server.
            var certificates = ControlPlaneCertificates.LoadOrCreate(options.DataDirectory!, _context.Time);
            entry.CACert = ControlPlaneConnection.Encode(certificates.Authority.ExportCertificatePem());
            entry.Credentials =
            [
                new CredentialConfig
                {
                    Name = options.Name,
                    ClientCert = ControlPlaneConnection.Encode(await File.ReadAllTextAsync(certificates.ClientCertificatePath, ct)),
                    ClientKey = ControlPlaneConnection.Encode(await File.ReadAllTextAsync(certificates.ClientKeyPath, ct)),
                },
            ];
        }
        entry.Genesis = true;
        entry.DataDirectory = options.DataDirectory;
        // Threeport keeps the key for sensitive fields in the CLI config and hands it to the control plane. A data
        // directory that already made its own key keeps it, so what it encrypted stays readable.
        var keyFile = Path.Combine(options.DataDirectory!, Threeport.Modules.Platform.Secrets.EncryptionKeySettings.FileName);
        entry.EncryptionKey ??= File.Exists(keyFile)
            ? (await File.ReadAllTextAsync(keyFile, ct)).Trim()
            : Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        config.CurrentControlPlane = options.Name;
        await store.SaveAsync(config, ct);
        var settings = new Dictionary<string, string?>(options.Settings, StringComparer.OrdinalIgnoreCase);
        settings.TryAdd(Threeport.Modules.Platform.Secrets.EncryptionKeySettings.Key, entry.EncryptionKey);
        return options with { Settings = settings };
    }

    private async Task<int> StartDetachedAsync(ParseResult parseResult, UpOptions options, ThreeportConfigStore store, CancellationToken ct)
    {
        var dataDirectory = options.DataDirectory!;
        if (ControlPlaneProcess.FindRunning(dataDirectory) is { } running)
        {
            throw new CliException($"control plane {options.Name} already runs in the background (PID {running.Id.ToString(CultureInfo.InvariantCulture)}); stop it with `tptctl down --name {options.Name}`");
        }

        Directory.CreateDirectory(dataDirectory);
        var logFile = Path.Combine(dataDirectory, ControlPlaneProcess.LogFileName);
        var (fileName, leading) = _context.SelfCommand();
        var start = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in leading)
        {
            start.ArgumentList.Add(arg);
        }

        // The child is the same command without --detach, with every path made absolute.
        string[] args =
        [
            "up", "--name", options.Name, "--data-dir", dataDirectory, "--api-port", options.ApiPort.ToString(CultureInfo.InvariantCulture),
            "--dev-cluster-port", options.DevClusterPort.ToString(CultureInfo.InvariantCulture),
            "--threeport-config", Path.GetFullPath(store.Path), "--log-file", logFile,
        ];
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        if (!options.DevClusterEnabled)
        {
            start.ArgumentList.Add("--no-dev-cluster");
        }

        if (options.AuthEnabled)
        {
            start.ArgumentList.Add("--auth-enabled");
        }

        foreach (var (key, value) in options.Settings)
        {
            start.ArgumentList.Add($"--{key}={value}");
        }

        using var process = Process.Start(start) ?? throw new CliException($"could not start {fileName}");
        // Nobody reads the pipes: the child logs to its file. Closing our ends lets it outlive us.
        process.StandardInput.Close();
        ControlPlaneProcess.WritePidFile(dataDirectory, process);

        var timeout = ObjectOptions.GetDuration(parseResult, ReadyTimeout);
        var deadline = _context.Time.GetUtcNow() + timeout;
        ThreeportClient? client = null;
        while (client is null || !await client.IsReadyAsync(ct))
        {
            // The child records itself (with credentials, when auth is on) before it listens.
            client = (await store.LoadAsync(ct)).Find(options.Name) is { } entry && entry.ApiBaseAddress().Port == options.ApiPort
                ? ControlPlaneConnection.Connect(entry, _context, TimeSpan.FromSeconds(5))
                : null;
            if (process.HasExited)
            {
                throw new CliException($"the control plane exited with code {process.ExitCode.ToString(CultureInfo.InvariantCulture)} before it was ready; its log:{Environment.NewLine}{Tail(logFile)}");
            }

            if (_context.Time.GetUtcNow() >= deadline)
            {
                throw new CliException($"the control plane did not answer /readyz within {Objects.Duration.Format(timeout)} (PID {process.Id.ToString(CultureInfo.InvariantCulture)}, log {logFile}); stop it with `tptctl down --name {options.Name}`",
                    ExitCodes.WaitTimedOut);
            }

            await Task.Delay(_context.PollInterval, _context.Time, ct);
        }

        await _context.Out.WriteLineAsync($"Complete: control plane {options.Name} runs in the background at {client!.BaseAddress.GetLeftPart(UriPartial.Authority)} (PID {process.Id.ToString(CultureInfo.InvariantCulture)}, log {logFile}); stop it with `tptctl down --name {options.Name}`");
        return ExitCodes.Success;
    }

    private static string Tail(string logFile) =>
        File.Exists(logFile) ? string.Join(Environment.NewLine, File.ReadLines(logFile).TakeLast(20)) : "(no log written)";
}
