using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Threeport.Host.ControlPlane;
using Threeport.Modules.DevCluster;
using Threeport.Modules.Platform;
using Threeport.Modules.Platform.Objects;
using Threeport.Modules.Platform.Persistence;

namespace Threeport.Tests.Support;

// A real control plane for a test: the real host on a free loopback port, a fresh SQLite file, the real
// dispatcher and reconcilers. Optionally with the test-only Widget type and a controllable clock.
public sealed class TestControlPlane : IAsyncDisposable
{
    private TestControlPlane(WebApplication app, string dataDirectory, bool ownsDirectory)
    {
        App = app;
        DataDirectory = dataDirectory;
        this.ownsDirectory = ownsDirectory;
        Client = CreateClient(app.Services.GetService<ControlPlaneCertificates>()?.Client);
    }

    private readonly bool ownsDirectory;

    // A client of the API; with auth on it trusts the control plane's CA and presents `certificate`.
    public HttpClient CreateClient(System.Security.Cryptography.X509Certificates.X509Certificate2? certificate)
    {
        var handler = new SocketsHttpHandler();
        if (App.Services.GetService<ControlPlaneCertificates>() is { } certificates)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, server, _, _) =>
                server is not null && Threeport.Modules.Platform.Security.CertificateChains.IsIssuedBy(new System.Security.Cryptography.X509Certificates.X509Certificate2(server), certificates.Authority, DateTimeOffset.UtcNow);
            if (certificate is not null)
            {
                handler.SslOptions.ClientCertificates = [certificate];
            }
        }

        return new HttpClient(handler) { BaseAddress = ControlPlaneApp.ApiAddress(App), Timeout = TimeSpan.FromSeconds(60) };
    }

    public WebApplication App { get; }

    public HttpClient Client { get; }

    public string DataDirectory { get; }

    public IServiceProvider Services => App.Services;

    public WidgetBehavior Widgets => Services.GetRequiredService<WidgetBehavior>();

    public DevClusterServer DevCluster => Services.GetRequiredService<DevClusterHandle>().Server ?? throw new InvalidOperationException("no dev cluster");

    public string KubeconfigPath => Path.Combine(DataDirectory, "dev-cluster.kubeconfig");

    // A KubernetesClient for the dev cluster, as a user would make one from the kubeconfig.
    public k8s.Kubernetes KubernetesClient() =>
        new(k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile(KubeconfigPath));

    public static string NewDataDirectory() =>
        Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "threeport-tests", Guid.NewGuid().ToString("N"))).FullName;

    public static async Task<TestControlPlane> StartAsync(
        string? dataDirectory = null,
        bool withWidgets = true,
        TimeProvider? time = null,
        IDictionary<string, string?>? settings = null,
        WidgetBehavior? widgetBehavior = null,
        Action<WebApplicationBuilder>? customize = null,
        bool devCluster = false,
        bool auth = false)
    {
        var ownsDirectory = dataDirectory is null;
        dataDirectory ??= NewDataDirectory();
        var options = new UpOptions
        {
            DataDirectory = dataDirectory,
            ApiPort = 0,
            DevClusterEnabled = devCluster,
            AuthEnabled = auth,
            Settings = new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Default"] = "Warning",
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
                if (time is not null)
                {
                    builder.Services.Replace(ServiceDescriptor.Singleton(time));
                }

                if (withWidgets)
                {
                    WidgetType.AddTo(builder.Services, widgetBehavior);
                }

                customize?.Invoke(builder);
            },
            withWidgets ? WidgetType.AddTo : null);
        if (withWidgets)
        {
            WidgetType.MapIn(app);
        }

        await app.StartAsync();
        return new TestControlPlane(app, dataDirectory, ownsDirectory);
    }

    public async Task<T> WithDbAsync<T>(Func<ThreeportDb, Task<T>> query)
    {
        await using var db = await Services.GetRequiredService<IDbContextFactory<ThreeportDb>>().CreateDbContextAsync();
        return await query(db);
    }

    public async Task<JsonObject> CreateWidgetAsync(string? name = null, string color = "red")
    {
        var response = await Client.PostAsJsonAsync("/v0/widgets", new { Name = name ?? Unique("w"), Color = color });
        var body = await ApiResponse.ReadAsync(response);
        response.StatusCode.Should().Be(System.Net.HttpStatusCode.Created, body.Error);
        return body.Single;
    }

    public async Task<JsonObject> CreateAsync(string route, object body)
    {
        var response = await ApiResponse.ReadAsync(await Client.PostAsJsonAsync($"/v0/{route}", body));
        response.StatusCode.Should().Be(System.Net.HttpStatusCode.Created, response.Error);
        return response.Single;
    }

    public async Task<JsonArray> ListAsync(string route, string query = "")
    {
        var response = await ApiResponse.ReadAsync(await Client.GetAsync($"/v0/{route}?size=-1{(query.Length > 0 ? "&" + query : "")}"));
        response.StatusCode.Should().Be(System.Net.HttpStatusCode.OK, response.Error);
        return response.Data!;
    }

    // Waits until GET answers 404: a two-phase delete has finished.
    public async Task EventuallyGoneAsync(string route, long id, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        string last = "";
        while (DateTime.UtcNow < deadline)
        {
            var response = await Client.GetAsync($"/v0/{route}/{id}");
            if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                return;
            }

            last = await response.Content.ReadAsStringAsync();
            await Task.Delay(25);
        }

        Assert.Fail($"{route}/{id} still exists; last seen: {last}");
    }

    public async Task<JsonObject> GetAsync(string route, long id)
    {
        var body = await ApiResponse.ReadAsync(await Client.GetAsync($"/v0/{route}/{id}"));
        return body.Single;
    }

    // A bounded probe: polls until `until` holds, and on timeout fails with the last state seen.
    public async Task<JsonObject> EventuallyAsync(string route, long id, Func<JsonObject, bool> until, TimeSpan? timeout = null)
    {
        JsonObject? last = null;
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (DateTime.UtcNow < deadline)
        {
            var response = await Client.GetAsync($"/v0/{route}/{id}");
            if (response.IsSuccessStatusCode)
            {
                last = (await ApiResponse.ReadAsync(response)).Single;
                if (until(last))
                {
                    return last;
                }
            }

            await Task.Delay(20);
        }

        Assert.Fail($"{route}/{id} did not reach the expected state in time; last seen: {last?.ToJsonString() ?? "nothing"}");
        throw new InvalidOperationException();
    }

    // Reads a stopped control plane's database directly.
    public static async Task<T> QueryStoppedAsync<T>(string dataDirectory, Func<ThreeportDb, Task<T>> query)
    {
        var options = new DbContextOptionsBuilder<ThreeportDb>().UseSqlite($"Data Source={Path.Combine(dataDirectory, "threeport.db")}").Options;
        await using var db = new ThreeportDb(options);
        return await query(db);
    }

    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..20];

    public ValueTask DisposeAsync() => new(HostTeardown.StopAsync(App, Client, ownsDirectory ? DataDirectory : null));
}
