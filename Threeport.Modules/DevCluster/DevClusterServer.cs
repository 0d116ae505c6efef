using Threeport.Modules.Platform.Security;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Threeport.Modules.DevCluster.Api;
using Threeport.Modules.DevCluster.Hosting;
using Threeport.Modules.DevCluster.Simulation;
using Threeport.Modules.DevCluster.Storage;

namespace Threeport.Modules.DevCluster;

// The embedded dev cluster: a Kubernetes-compatible API on its own Kestrel on 127.0.0.1.
public sealed class DevClusterServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ClusterSimulator simulator;
    private readonly IStorePersistence? persistence;
    private readonly CancellationTokenSource shutdown;
    private readonly X509Certificate2? certificate;
    private readonly ILogger logger;
    private long requestCount;
    private int stopped;

    private DevClusterServer(WebApplication app, ClusterSimulator simulator, IStorePersistence? persistence, CancellationTokenSource shutdown,
        X509Certificate2? certificate, ILogger logger, ObjectStore store, ResourceRegistry registry, FaultInjector faults)
    {
        this.app = app;
        this.simulator = simulator;
        this.persistence = persistence;
        this.shutdown = shutdown;
        this.certificate = certificate;
        this.logger = logger;
        Store = store;
        Registry = registry;
        Faults = faults;
        BaseAddress = new Uri("http://127.0.0.1/");
        KubeconfigYaml = "";
    }

    public Uri BaseAddress { get; private set; }

    public string KubeconfigYaml { get; private set; }

    public FaultInjector Faults { get; }

    public long RequestCount => Interlocked.Read(ref requestCount);

    internal ObjectStore Store { get; }

    internal ResourceRegistry Registry { get; }

    public static async Task<DevClusterServer> StartAsync(DevClusterOptions options, ILoggerFactory loggerFactory, TimeProvider timeProvider, CancellationToken ct)
    {
        var logger = loggerFactory.CreateLogger<DevClusterServer>();
        IStorePersistence? persistence = null;
        if (options.Persist)
        {
            var dir = options.DataDirectory ?? throw new InvalidOperationException("DevCluster:Persist needs DevCluster:DataDirectory");
            Directory.CreateDirectory(dir);
            persistence = new SqlitePersistence(Path.Combine(dir, "dev-cluster.db"));
        }

        var registry = new ResourceRegistry();
        var store = new ObjectStore(timeProvider, persistence);
        store.Load();
        foreach (var (_, crd) in store.List("apiextensions.k8s.io/customresourcedefinitions", null).Items)
        {
            var parsed = ObjectJson.Parse(crd.Json);
            registry.SetCustom(ObjectJson.Name(parsed)!, CustomResources.RowsFor(parsed));
        }

        var admission = new Admission(timeProvider);
        admission.SeedServiceIps(store.List("/services", null).Items.Select(kv => ObjectJson.Parse(kv.Value.Json)));
        var faults = new FaultInjector();
        var shutdown = new CancellationTokenSource();
        var simulator = new ClusterSimulator(store, registry, admission, timeProvider, options.ReadinessDelay, loggerFactory.CreateLogger<ClusterSimulator>());
        store.SystemListener = simulator.OnChange;
        var handler = new ApiHandler(store, registry, admission, faults, timeProvider, loggerFactory.CreateLogger<ApiHandler>(), shutdown.Token);
        Seed(store, registry, admission, timeProvider);

        var mutual = options.MutualTls;
        var certificate = mutual?.ServerCertificate ?? (options.UseTls ? SelfSignedCertificate.Create(timeProvider.GetUtcNow()) : null);
        // An empty builder: no appsettings, no environment variables, no ASPNETCORE_URLS; this
        // Kestrel belongs to the dev cluster alone, whatever else runs in the process.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.UseKestrelCore();
        if (certificate is not null)
        {
            builder.WebHost.UseKestrelHttpsConfiguration();
        }

        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(IPAddress.Loopback, options.Port, listen =>
            {
                if (mutual is not null)
                {
                    listen.UseHttps(https =>
                    {
                        https.ServerCertificate = mutual.ServerCertificate;
                        https.ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.RequireCertificate;
                        https.ClientCertificateValidation = (client, _, _) => CertificateChains.IsIssuedBy(client, mutual.ClientAuthority, timeProvider.GetUtcNow());
                    });
                }
                else if (certificate is not null)
                {
                    listen.UseHttps(certificate);
                }
            });
        });
        var app = builder.Build();
        var server = new DevClusterServer(app, simulator, persistence, shutdown, certificate, logger, store, registry, faults);
        app.Use(async (HttpContext ctx, RequestDelegate next) =>
        {
            Interlocked.Increment(ref server.requestCount);
            if (faults.Down)
            {
                // "Cluster down": the connection is dropped without an answer.
                ctx.Abort();
                return;
            }

            await next(ctx);
        });
        app.Run(handler.HandleAsync);
        await app.StartAsync(ct);
        simulator.Start();

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(address).Port;
        server.BaseAddress = new Uri($"{(certificate is null ? "http" : "https")}://127.0.0.1:{port}");
        server.KubeconfigYaml = mutual is null
            ? Kubeconfig.Build(server.BaseAddress, certificate?.ExportCertificatePem())
            : Kubeconfig.Build(server.BaseAddress, mutual.ClientAuthority.ExportCertificatePem(), mutual.KubeconfigClientCertificate);
        logger.LogInformation("Started dev cluster at {Address}", server.BaseAddress);
        return server;
    }

    public string WriteKubeconfig(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null)
        {
            Directory.CreateDirectory(dir);
        }

        // It may carry a client key: readable by the owner only.
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var writer = new StreamWriter(new FileStream(path, options)))
        {
            writer.Write(KubeconfigYaml);
        }

        return path;
    }

    public async Task StopAsync(CancellationToken ct)
    {
        if (Interlocked.Exchange(ref stopped, 1) == 1)
        {
            return;
        }

        // End open watches first so Kestrel's graceful stop does not wait for them.
        await shutdown.CancelAsync();
        await app.StopAsync(ct);
        await simulator.DisposeAsync();
        await app.DisposeAsync();
        persistence?.Dispose();
        certificate?.Dispose();
        shutdown.Dispose();
        logger.LogInformation("Stopped dev cluster");
    }

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await StopAsync(cts.Token);
    }

    // What a fresh cluster has: the four standard namespaces, one node, the kubernetes service.
    private static void Seed(ObjectStore store, ResourceRegistry registry, Admission admission, TimeProvider time)
    {
        var nsType = registry.Required("", "namespaces");
        foreach (var ns in new[] { "default", "kube-system", "kube-public", "kube-node-lease" })
        {
            if (!store.NamespaceExists(ns))
            {
                var obj = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = ns } };
                admission.PrepareCreate(nsType, obj, "");
                store.Write(nsType, "", ns, current => current is null ? obj : null);
            }
        }

        var nodeType = registry.Required("", "nodes");
        if (store.Get(nodeType.Key, "", ClusterSimulator.NodeName) is null)
        {
            var node = new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Node",
                ["metadata"] = new JsonObject
                {
                    ["name"] = ClusterSimulator.NodeName,
                    ["labels"] = new JsonObject
                    {
                        ["kubernetes.io/hostname"] = ClusterSimulator.NodeName,
                        ["kubernetes.io/os"] = "linux",
                        ["kubernetes.io/arch"] = "amd64",
                        ["node-role.kubernetes.io/control-plane"] = "",
                    },
                },
                ["spec"] = new JsonObject { ["podCIDR"] = "10.244.0.0/24" },
            };
            admission.PrepareCreate(nodeType, node, "");
            var now = ObjectJson.Timestamp(time.GetUtcNow());
            node["status"] = new JsonObject
            {
                ["conditions"] = new JsonArray(new JsonObject
                {
                    ["type"] = "Ready",
                    ["status"] = "True",
                    ["reason"] = "KubeletReady",
                    ["message"] = "kubelet is posting ready status",
                    ["lastHeartbeatTime"] = now,
                    ["lastTransitionTime"] = now,
                }),
                ["addresses"] = new JsonArray(new JsonObject { ["type"] = "InternalIP", ["address"] = "10.0.0.2" }),
                ["capacity"] = new JsonObject { ["cpu"] = "8", ["memory"] = "16Gi", ["pods"] = "110" },
                ["allocatable"] = new JsonObject { ["cpu"] = "8", ["memory"] = "16Gi", ["pods"] = "110" },
                ["nodeInfo"] = new JsonObject { ["kubeletVersion"] = Discovery.GitVersion, ["containerRuntimeVersion"] = "containerd://1.7.0", ["osImage"] = "Threeport dev cluster", ["architecture"] = "amd64", ["operatingSystem"] = "linux" },
            };
            store.Write(nodeType, "", ClusterSimulator.NodeName, current => current is null ? node : null);
        }

        var svcType = registry.Required("", "services");
        if (store.Get(svcType.Key, "default", "kubernetes") is null)
        {
            var svc = new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Service",
                ["metadata"] = new JsonObject { ["name"] = "kubernetes", ["labels"] = new JsonObject { ["component"] = "apiserver", ["provider"] = "kubernetes" } },
                ["spec"] = new JsonObject
                {
                    ["clusterIP"] = "10.96.0.1",
                    ["ports"] = new JsonArray(new JsonObject { ["name"] = "https", ["port"] = 443, ["protocol"] = "TCP", ["targetPort"] = 6443 }),
                },
            };
            admission.PrepareCreate(svcType, svc, "default");
            store.Write(svcType, "default", "kubernetes", current => current is null ? svc : null);
        }
    }
}
