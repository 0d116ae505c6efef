using System.Diagnostics;
using System.Globalization;
using Threeport.Host.Cli;
using Threeport.Host.Cli.Config;
using System.Security.Cryptography.X509Certificates;
using Threeport.Host.ControlPlane;
using Threeport.Modules.Platform.Client;

namespace Threeport.Tests.Cli;

public sealed class UpCommandTests
{
    [Test]
    public async Task Up_RecordsTheControlPlaneThenServesUntilCancelled()
    {
        using var run = new CliRun();
        var port = CliRun.FreePort();
        var output = new StringWriter();
        var error = new StringWriter();
        var context = new CliContext { Out = TextWriter.Synchronized(output), Err = error, HomeDirectory = run.Directory, GetEnvironmentVariable = _ => null };
        using var stop = new CancellationTokenSource();
        var dataDir = Path.Combine(run.Directory, "data");

        var up = TptctlRoot.InvokeAsync(
            CliRun.Split($"up --name it --api-port {port} --data-dir {dataDir} --no-dev-cluster --auth-enabled=false --Logging:LogLevel:Default=Warning --threeport-config {run.ConfigPath}"),
            context, stop.Token);
        var client = ThreeportClient.Create(new Uri($"http://127.0.0.1:{port}"));
        for (var i = 0; i < 600 && !up.IsCompleted && !await client.IsReadyAsync(); i++)
        {
            await Task.Delay(50);
        }

        up.IsCompleted.Should().BeFalse($"up must keep running: {output}{error}");
        var get = await run.RunAsync("get events");
        var listed = await run.RunAsync("config get-control-planes");
        await stop.CancelAsync();
        var code = await up.WaitAsync(TimeSpan.FromSeconds(60));

        get.ExitCode.Should().Be(0, get.ToString());
        listed.Output.Should().Contain($"it     http://127.0.0.1:{port}   false          *");
        code.Should().Be(0, error.ToString());
        output.ToString().Should().Contain($"Info: control plane it recorded in {run.ConfigPath}");
        if (!OperatingSystem.IsWindows())
        {
            File.GetUnixFileMode(run.ConfigPath).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        var entry = (await new ThreeportConfigStore(run.ConfigPath).LoadAsync(CancellationToken.None)).Find("it")!;
        entry.DataDirectory.Should().Be(dataDir);
        (await client.IsReadyAsync()).Should().BeFalse("the control plane stopped");
    }

    [Test]
    public async Task Up_WithAuth_RecordsCredentialsThatTheCliUsesOverMutualTls()
    {
        using var run = new CliRun();
        var port = CliRun.FreePort();
        var output = new StringWriter();
        var context = new CliContext { Out = TextWriter.Synchronized(output), Err = new StringWriter(), HomeDirectory = run.Directory, GetEnvironmentVariable = _ => null };
        using var stop = new CancellationTokenSource();

        var up = TptctlRoot.InvokeAsync(
            CliRun.Split($"up --name secure --auth-enabled --api-port {port} --data-dir {Path.Combine(run.Directory, "data")} --no-dev-cluster --Logging:LogLevel:Default=Warning --threeport-config {run.ConfigPath}"),
            context, stop.Token);
        CliResult version = new(-1, "", "");
        for (var i = 0; i < 600 && !up.IsCompleted && !version.Output.Contains("control plane secure version", StringComparison.Ordinal); i++)
        {
            await Task.Delay(50);
            version = File.Exists(run.ConfigPath) ? await run.RunAsync("version") : version;
        }

        var events = await run.RunAsync("get events");
        var store = new ThreeportConfigStore(run.ConfigPath);
        var config = await store.LoadAsync(CancellationToken.None);
        var foreignCa = ControlPlaneCertificates.CreateAuthority(DateTimeOffset.UtcNow);
        var intruder = ControlPlaneCertificates.Issue(foreignCa, "intruder", DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1), server: false);
        config.Find("secure")!.Credentials =
        [
            new CredentialConfig
            {
                Name = "intruder",
                ClientCert = intruder.ExportCertificatePem(),
                ClientKey = intruder.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem(),
            },
        ];
        await store.SaveAsync(config, CancellationToken.None);
        var foreign = await run.RunAsync("get events");
        await stop.CancelAsync();
        await up.WaitAsync(TimeSpan.FromSeconds(60));

        version.Output.Should().Contain($"control plane secure version", output.ToString());
        events.ExitCode.Should().Be(0, events.ToString());
        foreign.ExitCode.Should().Be(ExitCodes.Rejected, foreign.ToString());
        foreign.Error.Should().Be("Error: the client certificate is not valid here: it is expired or was not issued by this control plane's CA\n");
        var entry = (await new ThreeportConfigStore(run.ConfigPath).LoadAsync(CancellationToken.None)).Find("secure")!;
        entry.APIServer.Should().Be($"https://127.0.0.1:{port}");
        entry.CACert.Should().NotBeNullOrEmpty();
    }

    [Test]
    public async Task Get_WithAuthButNoCredentials_SaysWhatIsMissing()
    {
        using var run = new CliRun();
        var config = new ThreeportConfig { CurrentControlPlane = "secure" };
        config.ControlPlanes.Add(new ControlPlaneConfig { Name = "secure", AuthEnabled = true, APIServer = "127.0.0.1:1" });
        await new ThreeportConfigStore(run.ConfigPath).SaveAsync(config, CancellationToken.None);

        var result = await run.RunAsync("get workloads");

        result.ExitCode.Should().Be(ExitCodes.InvalidConfig);
        result.Error.Should().Be("Error: control plane secure has AuthEnabled but no Credentials with ClientCert and ClientKey in the threeport config\n");
    }

    [Test]
    public async Task Up_OnAPortInUse_SaysSo()
    {
        using var run = new CliRun();
        using var busy = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        busy.Start();
        var port = ((System.Net.IPEndPoint)busy.LocalEndpoint).Port;

        var result = await run.RunAsync($"up --api-port {port} --data-dir {run.Directory}");

        result.ExitCode.Should().Be(ExitCodes.Error);
        result.Error.Should().Be($"Error: port {port} is in use: is a control plane already running? stop it with `tptctl down` or choose another --api-port\n");
    }

    [Test]
    public async Task Down_WithoutADetachedControlPlane_SaysSo()
    {
        using var run = new CliRun();

        var result = await run.RunAsync($"down --name ghost --data-dir {run.Directory}");

        result.ExitCode.Should().Be(ExitCodes.NotFound);
        result.Error.Should().Be($"Error: control plane ghost is not running in the background (no live pid file in {run.Directory})\n");
    }

    [Test]
    public async Task Down_IgnoresAPidFileWhosePidBelongsToAnotherProcess()
    {
        using var run = new CliRun();
        using var self = Process.GetCurrentProcess();
        // Our own PID with a different start time: a recycled PID that must never be signalled.
        File.WriteAllText(Path.Combine(run.Directory, ControlPlaneProcess.PidFileName),
            $"{self.Id}\n{self.StartTime.ToUniversalTime().AddHours(-1).Ticks.ToString(CultureInfo.InvariantCulture)}\n");

        var result = await run.RunAsync($"down --name ghost --data-dir {run.Directory}");

        result.ExitCode.Should().Be(ExitCodes.NotFound, result.ToString());
    }
}
