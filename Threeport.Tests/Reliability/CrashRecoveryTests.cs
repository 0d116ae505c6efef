using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using k8s;
using Microsoft.EntityFrameworkCore;
using Threeport.Tests.Support;
using Threeport.Tests.Workloads;

namespace Threeport.Tests.Reliability;

// Kills `tptctl up` with SIGKILL at random moments while creates, updates and deletes of workload instances
// are under way, restarts it on the same data directory (dev cluster persisted in it), and checks that it
// settles: every instance reconciled to its latest definition, everything deleted gone from the cluster,
// no duplicates, no lease held, no outbox row left. The seed is printed for replay
// (THREEPORT_CRASH_SEED=<n>); THREEPORT_CRASH_KILLS sets how many kills (default 3, the long run uses 12).
[Category("Reliability")]
public sealed class CrashRecoveryTests
{
    [Test]
    public Task KilledControlPlane_SettlesWithNothingLost_Short() => RunAsync(KillsFromEnvironment(3), operationsPerRound: 150);

    [Test]
    [Category("Long")]
    [Explicit("release check: dotnet test --filter Category=Long")]
    public Task KilledControlPlane_SettlesWithNothingLost_Long() => RunAsync(KillsFromEnvironment(12), operationsPerRound: 1000);

    private static int KillsFromEnvironment(int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable("THREEPORT_CRASH_KILLS"), out var kills) ? kills : fallback;

    private static async Task RunAsync(int kills, int operationsPerRound)
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("THREEPORT_CRASH_SEED"), out var fixedSeed) ? fixedSeed : Random.Shared.Next();
        TestContext.Out.WriteLine($"crash seed {seed} (replay with THREEPORT_CRASH_SEED={seed}), kills {kills}");
        // Kill moments and load choices draw from separate streams, so a replay kills at the same moments.
        var killRandom = new Random(seed);
        var random = new Random(seed + 1);
        var data = TestControlPlane.NewDataDirectory();
        await using var child = new ControlPlaneChild(
            data,
            "--DevCluster:Persist=true", "--DevCluster:ReadinessDelay=00:00:00.050",
            "--Threeport:BackoffInitial=00:00:00.100", "--Threeport:BackoffMax=00:00:01", "--Threeport:LeaseDuration=00:00:05");
        await child.StartAsync();

        var images = new[] { "nginx:1.25", "nginx:1.26", "nginx:1.27" };
        var definitions = new List<long>();
        foreach (var image in images)
        {
            definitions.Add(await CreateAsync(child.Client, "workload-definitions", new { Name = $"def-{image.Replace(':', '-').Replace('.', '-')}", YAMLDocument = WorkloadTestKit.ThreeResources.Replace("nginx:1.27", image) }));
        }

        var requests = 0;
        var failedRequests = 0;
        for (var round = 0; round <= kills; round++)
        {
            var killAfter = TimeSpan.FromMilliseconds(killRandom.Next(300, 2000));
            var load = RunLoadAsync(child.Client, random, definitions, operationsPerRound, round);
            if (round < kills)
            {
                await Task.Delay(killAfter);
                await child.KillAsync();
                TestContext.Out.WriteLine($"round {round}: killed after {killAfter.TotalMilliseconds:F0} ms");
            }

            var (tried, failed) = await load;
            requests += tried;
            failedRequests += failed;
            if (round < kills)
            {
                await child.StartAsync();
            }
        }

        var instances = await SettleAsync(child.Client);
        var namespaces = await CheckClusterAsync(Path.Combine(data, "dev-cluster.kubeconfig"), child.Client, instances);
        await child.StopAsync();
        await using (var db = new Modules.Platform.Persistence.ThreeportDb(new DbContextOptionsBuilder<Modules.Platform.Persistence.ThreeportDb>().UseSqlite($"Data Source={Path.Combine(data, "threeport.db")}").Options))
        {
            (await db.Leases.CountAsync()).Should().Be(0, "no lease is held after a clean stop");
            (await db.OutboxMessages.CountAsync()).Should().Be(0, "no notification is stuck: the outbox drained before the stop and nothing changed after");
        }

        TestContext.Out.WriteLine($"kills survived {kills}, requests tried {requests} ({failedRequests} cut off by kills), instances at the end {instances.Count}, namespaces {namespaces}, objects lost 0");
    }

    // Creates, re-points (an update to another definition) and deletes instances as fast as the API answers,
    // until `operations` are done or a kill cuts a request off. A request cut off may or may not have been
    // stored: the checks afterwards only trust what the API says.
    private static async Task<(int Tried, int Failed)> RunLoadAsync(HttpClient api, Random random, List<long> definitions, int operations, int round)
    {
        int tried = 0;
        try
        {
            var live = (await ListAsync(api, "workload-instances")).Where(e => e!["DeletionScheduled"] is null).Select(e => e!["ID"]!.GetValue<long>()).ToList();
            for (var i = 0; i < operations; i++)
            {
                tried++;
                var choice = random.Next(10);
                if (choice < 5 || live.Count < 3)
                {
                    var created = await api.PostAsJsonAsync("/v0/workload-instances", new { Name = $"crash-{round}-{i}-{random.Next(1000)}", WorkloadDefinitionID = definitions[random.Next(definitions.Count)] });
                    if (created.StatusCode == HttpStatusCode.Created)
                    {
                        live.Add((await ApiResponse.ReadAsync(created)).Single["ID"]!.GetValue<long>());
                    }
                }
                else if (choice < 8)
                {
                    await api.PatchAsJsonAsync($"/v0/workload-instances/{live[random.Next(live.Count)]}", new { WorkloadDefinitionID = definitions[random.Next(definitions.Count)] });
                }
                else
                {
                    var target = live[random.Next(live.Count)];
                    live.Remove(target);
                    await api.DeleteAsync($"/v0/workload-instances/{target}");
                }
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return (tried, 1);
        }

        return (tried, 0);
    }

    private static async Task<List<JsonObject>> SettleAsync(HttpClient api)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        List<JsonObject> instances = [];
        while (DateTime.UtcNow < deadline)
        {
            instances = (await ListAsync(api, "workload-instances")).Select(i => i!.AsObject()).ToList();
            // Settled also means nothing is waiting in the outbox (a resync the runtime watcher asked for, say).
            var pending = (await api.GetStringAsync("/metrics")).Split('\n')
                .Any(line => line.StartsWith("threeport_outbox_pending{", StringComparison.Ordinal) && !line.EndsWith(" 0", StringComparison.Ordinal));
            if (!pending && instances.All(i => i["Reconciled"]!.GetValue<bool>() && i["DeletionScheduled"] is null && i["Status"]?.GetValue<string>() == "Healthy"))
            {
                return instances;
            }

            await Task.Delay(200);
        }

        Assert.Fail("the control plane did not settle in 120 s: " + string.Join("\n", instances
            .Where(i => !i["Reconciled"]!.GetValue<bool>() || i["DeletionScheduled"] is not null || i["Status"]?.GetValue<string>() != "Healthy")
            .Select(i => i.ToJsonString())));
        return instances;
    }

    private static async Task<int> CheckClusterAsync(string kubeconfig, HttpClient api, List<JsonObject> instances)
    {
        using var k8s = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
        var definitionImages = new Dictionary<long, string>();
        foreach (var definition in await ListAsync(api, "workload-definitions"))
        {
            var yaml = definition!["YAMLDocument"]!.GetValue<string>();
            var start = yaml.IndexOf("image: ", StringComparison.Ordinal) + "image: ".Length;
            var end = yaml.IndexOf('\n', start);
            definitionImages[definition["ID"]!.GetValue<long>()] = (end < 0 ? yaml[start..] : yaml[start..end]).Trim();
        }

        var managed = await k8s.CoreV1.ListNamespaceAsync(labelSelector: "control-plane.threeport.io/managed-by=threeport");
        var expected = instances.Select(i => i["Namespace"]!.GetValue<string>()).ToHashSet();
        var actual = managed.Items.Select(n => n.Metadata.Name).Where(n => n.StartsWith("crash-", StringComparison.Ordinal)).ToHashSet();
        actual.Except(expected).Should().BeEmpty("every deleted instance's namespace is gone");
        expected.Except(actual).Should().BeEmpty("every live instance's namespace exists");

        foreach (var instance in instances)
        {
            var ns = instance["Namespace"]!.GetValue<string>();
            var deployments = await k8s.AppsV1.ListNamespacedDeploymentAsync(ns);
            deployments.Items.Should().ContainSingle("no duplicate resources in {0}", ns);
            deployments.Items[0].Spec.Template.Spec.Containers[0].Image.Should().Be(
                definitionImages[instance["WorkloadDefinitionID"]!.GetValue<long>()], "instance {0} runs its latest definition", instance["Name"]);
            (await k8s.CoreV1.ListNamespacedConfigMapAsync(ns)).Items.Count(c => c.Metadata.Name == "web-config").Should().Be(1);
        }

        var all = await k8s.AppsV1.ListDeploymentForAllNamespacesAsync(labelSelector: "control-plane.threeport.io/managed-by=threeport");
        all.Items.Should().HaveCount(instances.Count, "nothing is left behind by deleted instances");
        return expected.Count;
    }

    private static async Task<long> CreateAsync(HttpClient api, string route, object body)
    {
        var response = await ApiResponse.ReadAsync(await api.PostAsJsonAsync($"/v0/{route}", body));
        response.StatusCode.Should().Be(HttpStatusCode.Created, response.Error);
        return response.Single["ID"]!.GetValue<long>();
    }

    private static async Task<JsonArray> ListAsync(HttpClient api, string route) =>
        (await ApiResponse.ReadAsync(await api.GetAsync($"/v0/{route}?size=-1"))).Data!;
}
