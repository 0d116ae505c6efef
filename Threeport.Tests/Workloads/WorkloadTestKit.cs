using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Threeport.Tests.Support;

namespace Threeport.Tests.Workloads;

// Workload steps shared by the workload tests: create a definition and an instance through the API and
// wait for the verdict.
public static class WorkloadTestKit
{
    // ConfigMap, Service and a two-replica Deployment: the manifest the benchmark deploys too.
    public const string ThreeResources = Threeport.Host.Bench.BenchRunner.ThreeResources;

    // A control plane with its dev cluster and short backoffs, so retries of failed reconciles come quickly.
    public static Task<TestControlPlane> StartControlPlaneAsync(string? readinessDelay = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Threeport:BackoffInitial"] = "00:00:00.050",
            ["Threeport:BackoffMax"] = "00:00:00.500",
        };
        if (readinessDelay is not null)
        {
            settings["DevCluster:ReadinessDelay"] = readinessDelay;
        }

        return TestControlPlane.StartAsync(withWidgets: false, devCluster: true, settings: settings);
    }

    public static async Task<long> CreateDefinitionAsync(this TestControlPlane cp, string yaml, string? name = null) =>
        (await cp.CreateAsync("workload-definitions", new { Name = name ?? TestControlPlane.Unique("def"), YAMLDocument = yaml }))["ID"]!.GetValue<long>();

    public static async Task<long> CreateInstanceAsync(this TestControlPlane cp, long definitionId, string? name = null) =>
        (await cp.CreateAsync("workload-instances", new { Name = name ?? TestControlPlane.Unique("inst"), WorkloadDefinitionID = definitionId }))["ID"]!.GetValue<long>();

    public static Task<JsonObject> ReconciledAsync(this TestControlPlane cp, long instanceId, string status = "Healthy", TimeSpan? timeout = null) =>
        cp.EventuallyAsync("workload-instances", instanceId, i => i["Reconciled"]!.GetValue<bool>() && i["Status"]?.GetValue<string>() == status, timeout ?? TimeSpan.FromSeconds(60));

    public static async Task<JsonArray> ResourcesOfAsync(this TestControlPlane cp, long instanceId) =>
        await cp.ListAsync("workload-resource-instances", $"workloadinstanceid={instanceId}");

    public static async Task PatchAsync(this TestControlPlane cp, string route, long id, object body)
    {
        var response = await ApiResponse.ReadAsync(await cp.Client.PatchAsJsonAsync($"/v0/{route}/{id}", body));
        response.StatusCode.Should().Be(System.Net.HttpStatusCode.OK, response.Error);
    }

    public static async Task DeleteAsync(this TestControlPlane cp, string route, long id)
    {
        var response = await ApiResponse.ReadAsync(await cp.Client.DeleteAsync($"/v0/{route}/{id}"));
        response.StatusCode.Should().Be(System.Net.HttpStatusCode.OK, response.Error);
    }
}
