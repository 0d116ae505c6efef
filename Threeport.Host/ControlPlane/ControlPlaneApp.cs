using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Threeport.Modules.Bench;
using Threeport.Modules.DevCluster;
using Threeport.Modules.KubernetesRuntimes;
using Threeport.Modules.Platform;
using Threeport.Modules.Platform.Persistence;
using Threeport.Modules.Workloads;

namespace Threeport.Host.ControlPlane;

// Composes the modules into one WebApplication: the API, the outbox dispatcher, the reconcilers and (unless
// told not to) the embedded dev cluster.
public static class ControlPlaneApp
{
    public static WebApplication Build(UpOptions options, Action<WebApplicationBuilder>? customize = null, Action<DbContextOptionsBuilder>? configureDatabase = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            // A dotnet tool runs from any directory: read appsettings.json from beside the binary.
            ContentRootPath = AppContext.BaseDirectory,
            Args = [],
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"{PlatformSettings.Section}:DataDirectory"] = options.ResolveDataDirectory(),
            ["DevCluster:DataDirectory"] = options.ResolveDataDirectory(),
            ["DevCluster:Port"] = options.DevClusterPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        builder.Configuration.AddInMemoryCollection(options.Settings);
        ConfigureListener(builder, options);
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(15));
        builder.Services.AddSingleton(options);
        builder.Services.AddPlatform(builder.Configuration, configureDatabase);
        if (options.DevClusterEnabled)
        {
            builder.Services.AddDevCluster(builder.Configuration);
            if (options.AuthEnabled)
            {
                // With auth on, the dev cluster is reached like the API: TLS and a client certificate from our CA.
                builder.Services.PostConfigure<DevClusterOptions>(o =>
                {
                    var certificates = ControlPlaneCertificates.LoadOrCreate(options.ResolveDataDirectory(), TimeProvider.System);
                    o.MutualTls = new MutualTls(certificates.Server, certificates.Authority, certificates.Client);
                });
            }

            builder.Services.AddHostedService<DevClusterRuntimeRegistration>();
        }

        builder.Services.AddKubernetesRuntimes();
        builder.Services.AddWorkloads();
        builder.Services.AddBench(builder.Configuration);
        customize?.Invoke(builder);

        var app = builder.Build();
        if (options.AuthEnabled)
        {
            app.UseMiddleware<ClientCertificateAuthentication>();
        }

        app.MapPlatform();
        app.MapKubernetesRuntimes();
        app.MapWorkloads();
        app.MapBench();
        return app;
    }

    // Plain HTTP only on loopback; anywhere else the API requires TLS and client certificates.
    private static void ConfigureListener(WebApplicationBuilder builder, UpOptions options)
    {
        if (!IPAddress.TryParse(options.ApiBindAddress, out var address))
        {
            throw new StartupException($"--api-address '{options.ApiBindAddress}' is not an IP address");
        }

        if (!options.AuthEnabled)
        {
            if (!IPAddress.IsLoopback(address))
            {
                throw new StartupException($"auth can only be turned off when the API listens on loopback, not on {address}: drop --auth-enabled=false");
            }

            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(address, options.ApiPort));
            return;
        }

        var certificates = ControlPlaneCertificates.LoadOrCreate(options.ResolveDataDirectory(), TimeProvider.System);
        builder.Services.AddSingleton(certificates);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(address, options.ApiPort, listen => listen.UseHttps(https =>
        {
            https.ServerCertificate = certificates.Server;
            // Any certificate completes the handshake; ClientCertificateAuthentication answers 401/403 in the envelope.
            https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
            https.AllowAnyClientCertificate();
        })));
    }

    // Without hill climbing (the host's csproj) the thread pool keeps to its minimum, one worker per core: on two cores
    // that made start-up with 100,000 stored instances 0.3-0.6 s slower, and four did as well as two under load.
    private static void KeepFourWorkersAtLeast()
    {
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        ThreadPool.SetMinThreads(Math.Max(workers, 4), completionPorts);
    }

    public static async Task<int> RunAsync(UpOptions options, TextWriter output, CancellationToken ct)
    {
        KeepFourWorkersAtLeast();
        WebApplication app;
        try
        {
            app = Build(options);
            await app.StartAsync(ct);
        }
        catch (StartupException ex)
        {
            await output.WriteLineAsync($"Error: {ex.Message}");
            return 1;
        }
        catch (IOException ex)
        {
            await output.WriteLineAsync($"Error: cannot listen on {options.ApiBindAddress}:{options.ApiPort} ({ex.Message.TrimEnd('.')}): stop what uses the port or pass --api-port");
            return 1;
        }

        await output.WriteLineAsync($"Threeport API listening on {ApiAddress(app)}");
        await output.WriteLineAsync($"Data directory: {options.ResolveDataDirectory()}");
        if (app.Services.GetService<ControlPlaneCertificates>() is { } certificates)
        {
            await output.WriteLineAsync($"Client credentials: {certificates.ClientCertificatePath}, {certificates.ClientKeyPath} (CA {certificates.AuthorityPath})");
        }

        if (app.Services.GetService<DevClusterHandle>()?.Server is { } devCluster)
        {
            await output.WriteLineAsync($"Dev cluster listening on {devCluster.BaseAddress}");
            await output.WriteLineAsync($"Dev cluster kubeconfig: {DevClusterRuntimeRegistration.KubeconfigPath(options)}  (kubectl --kubeconfig <path> get pods -A)");
        }
        try
        {
            await Task.Delay(Timeout.Infinite, ct);
        }
        catch (OperationCanceledException)
        {
            await output.WriteLineAsync("Stopping the control plane");
        }

        await app.StopAsync(CancellationToken.None);
        await app.DisposeAsync();
        return 0;
    }

    public static Uri ApiAddress(WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
}
