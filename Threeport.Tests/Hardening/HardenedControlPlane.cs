using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Threeport.Host.ControlPlane;
using Threeport.Modules.Platform;
using Threeport.Modules.Platform.Objects;
using Threeport.Tests.Support;

namespace Threeport.Tests.Hardening;

// A real control plane like TestControlPlane, plus what hardening tests need: EF interceptors through the
// host's configureDatabase hook (storage faults), every log line captured at Debug level, and a way to build
// a host whose start-up is expected to fail.
public sealed class HardenedControlPlane : IAsyncDisposable
{
    private readonly bool ownsDirectory;

    private HardenedControlPlane(WebApplication app, string dataDirectory, bool ownsDirectory, CapturedLogs logs)
    {
        App = app;
        DataDirectory = dataDirectory;
        Logs = logs;
        this.ownsDirectory = ownsDirectory;
        Client = new HttpClient { BaseAddress = ControlPlaneApp.ApiAddress(app), Timeout = TimeSpan.FromSeconds(60) };
    }

    public WebApplication App { get; }

    public HttpClient Client { get; }

    public string DataDirectory { get; }

    public CapturedLogs Logs { get; }

    public IServiceProvider Services => App.Services;

    public string DatabasePath => Path.Combine(DataDirectory, "threeport.db");

    public string KubeconfigPath => Path.Combine(DataDirectory, "dev-cluster.kubeconfig");

    // Every controller off: nothing but requests writes to the database, so before/after snapshots compare exactly.
    public static Dictionary<string, string?> NoReconcilers() => new()
    {
        ["Threeport:Controllers:Test:Enabled"] = "false",
        ["Threeport:Controllers:Workload:Enabled"] = "false",
        ["Threeport:Controllers:KubernetesRuntime:Enabled"] = "false",
        ["Threeport:Controllers:Platform:Enabled"] = "false",
    };

    public static WebApplication Build(
        string dataDirectory,
        CapturedLogs logs,
        bool withWidgets = true,
        bool devCluster = false,
        IDictionary<string, string?>? settings = null,
        IReadOnlyList<IInterceptor>? interceptors = null,
        Action<WebApplication>? map = null)
    {
        var options = new UpOptions
        {
            DataDirectory = dataDirectory,
            ApiPort = 0,
            DevClusterEnabled = devCluster,
            AuthEnabled = false,
            Settings = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>())
            {
                ["Logging:LogLevel:Default"] = "Debug",
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Debug",
                ["Logging:LogLevel:Microsoft.EntityFrameworkCore"] = "Debug",
                ["DevCluster:ReadinessDelay"] = "00:00:00.200",
            },
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            ((Dictionary<string, string?>)options.Settings)[key] = value;
        }

        var app = ControlPlaneApp.Build(
            options,
            builder =>
            {
                builder.Logging.ClearProviders();
                builder.Logging.AddProvider(logs);
                builder.Logging.SetMinimumLevel(LogLevel.Debug);
                if (withWidgets)
                {
                    WidgetType.AddTo(builder.Services);
                }
            },
            db =>
            {
                if (withWidgets)
                {
                    WidgetType.AddTo(db);
                }

                if (interceptors is { Count: > 0 })
                {
                    db.AddInterceptors(interceptors);
                }
            });
        if (withWidgets)
        {
            WidgetType.MapIn(app);
        }

        map?.Invoke(app);
        return app;
    }

    public static async Task<HardenedControlPlane> StartAsync(
        string? dataDirectory = null,
        bool withWidgets = true,
        bool devCluster = false,
        IDictionary<string, string?>? settings = null,
        IReadOnlyList<IInterceptor>? interceptors = null,
        Action<WebApplication>? map = null)
    {
        var ownsDirectory = dataDirectory is null;
        dataDirectory ??= TestControlPlane.NewDataDirectory();
        var logs = new CapturedLogs();
        var app = Build(dataDirectory, logs, withWidgets, devCluster, settings, interceptors, map);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return new HardenedControlPlane(app, dataDirectory, ownsDirectory, logs);
    }

    // Starts a host that is expected not to start; returns what start-up threw.
    public static async Task<Exception> StartupFailureAsync(string dataDirectory, IDictionary<string, string?>? settings = null)
    {
        var app = Build(dataDirectory, new CapturedLogs(), withWidgets: false, settings: settings);
        try
        {
            await app.StartAsync();
        }
        catch (Exception ex)
        {
            return ex;
        }
        finally
        {
            await app.DisposeAsync();
            SqliteConnection.ClearAllPools();
        }

        throw new AssertionException("the control plane started");
    }

    public async Task<T> WithDbAsync<T>(Func<Modules.Platform.Persistence.ThreeportDb, Task<T>> query)
    {
        await using var db = await Services.GetRequiredService<IDbContextFactory<Modules.Platform.Persistence.ThreeportDb>>().CreateDbContextAsync();
        return await query(db);
    }

    public ValueTask DisposeAsync() => new(HostTeardown.StopAsync(App, Client, ownsDirectory ? DataDirectory : null));
}
