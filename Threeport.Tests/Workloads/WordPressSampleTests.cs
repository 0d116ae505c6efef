using k8s;
using Threeport.Tests.DevCluster;
using Threeport.Tests.Support;

namespace Threeport.Tests.Workloads;

// Threeport's own WordPress sample, end to end: API → reconcilers → dev cluster over HTTP, checked with kubectl.
public sealed class WordPressSampleTests
{
    [Test]
    public async Task WordPressSample_Deploys_IsHealthy_AndIsVisibleInKubectl_ThenDeletesCleanly()
    {
        Kubectl.RequireInstalled();
        await using var cp = await TestControlPlane.StartAsync(withWidgets: false, devCluster: true);
        var definitionId = await cp.CreateDefinitionAsync(Samples.Read("wordpress-manifest-local.yaml"), "wordpress");
        var instanceId = await cp.CreateInstanceAsync(definitionId, "wordpress-01");

        var instance = await cp.ReconciledAsync(instanceId);
        var ns = instance["Namespace"]!.GetValue<string>();
        ns.Should().StartWith("wordpress-01-");
        instance["KubernetesRuntimeInstanceID"]!.GetValue<long>().Should().BePositive("the default runtime is the dev cluster");

        var kubectl = new Kubectl(cp.KubeconfigPath, cp.DataDirectory);
        var listed = (await kubectl.RunAsync("get", "deploy,statefulset,svc,cm,secret,pvc,sa", "-n", ns, "-o", "name")).ShouldSucceed().Stdout;
        listed.Should().Contain("deployment.apps/getting-started-wordpress")
            .And.Contain("statefulset.apps/getting-started-mariadb")
            .And.Contain("service/getting-started-wordpress")
            .And.Contain("configmap/getting-started-mariadb")
            .And.Contain("secret/getting-started-wordpress")
            .And.Contain("persistentvolumeclaim/getting-started-wordpress")
            .And.Contain("serviceaccount/getting-started-mariadb");
        var labels = (await kubectl.RunAsync("get", "deploy", "getting-started-wordpress", "-n", ns, "-o", "jsonpath={.metadata.labels}")).ShouldSucceed().Stdout;
        labels.Should().Contain($"\"control-plane.threeport.io/workload-instance\":\"{instanceId}\"");

        var resources = await cp.ResourcesOfAsync(instanceId);
        resources.Select(r => r!["Kind"]!.GetValue<string>()).Should().Contain(["Namespace", "Deployment", "StatefulSet", "Service", "Secret"]);
        resources.Should().OnlyContain(r => r!["Ready"]!.GetValue<bool>());
        var definitions = await cp.ListAsync("workload-resource-definitions", $"workloaddefinitionid={definitionId}");
        definitions.Should().HaveCount(9, "the sample has nine documents");

        // The cluster's events about the workload's resources come back as WorkloadEvents.
        await EventuallyAsync(async () => (await cp.ListAsync("workload-events", $"workloadinstanceid={instanceId}")).Count > 0, "workload events");

        await cp.DeleteAsync("workload-instances", instanceId);
        await cp.EventuallyGoneAsync("workload-instances", instanceId, TimeSpan.FromSeconds(60));
        var after = await kubectl.RunAsync("get", "namespace", ns);
        after.ExitCode.Should().NotBe(0);
        after.Stderr.Should().Contain("NotFound");
        (await cp.ListAsync("workload-resource-instances", $"workloadinstanceid={instanceId}")).Should().BeEmpty();
        await cp.DeleteAsync("workload-definitions", definitionId);
        await cp.EventuallyGoneAsync("workload-definitions", definitionId);
    }

    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail($"{what} did not happen in time");
    }
}
