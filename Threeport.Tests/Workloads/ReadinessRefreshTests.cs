using k8s;
using Microsoft.EntityFrameworkCore;
using Threeport.Modules.Platform.Leases;
using Threeport.Modules.Platform.Outbox;
using Threeport.Modules.Workloads.Model;
using Threeport.Tests.DevCluster;
using Threeport.Tests.Support;

namespace Threeport.Tests.Workloads;

// A resource's readiness changing is observed by the runtime watch. With no reconcile of its instance pending, the
// watch records it and refreshes the instance's status itself; with one pending, it leaves that to the reconcile.
// Pods here take a second to become ready, so a first reconcile has long committed when its Deployment turns ready.
public sealed class ReadinessRefreshTests
{
    private TestControlPlane cp = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => cp = await WorkloadTestKit.StartControlPlaneAsync(readinessDelay: "00:00:01");

    [OneTimeTearDown]
    public async Task StopAsync() => await cp.DisposeAsync();

    [Test]
    public async Task ADeploymentTurningReady_WithNoReconcilePending_IsRecordedWithoutApplyingAgain()
    {
        var instanceId = await cp.CreateInstanceAsync(await cp.CreateDefinitionAsync(WorkloadTestKit.ThreeResources));

        await cp.ReconciledAsync(instanceId);

        var deployment = (await cp.ResourcesOfAsync(instanceId)).Single(r => r!["Kind"]!.GetValue<string>() == "Deployment")!;
        deployment["Ready"]!.GetValue<bool>().Should().BeTrue();
        deployment["RuntimeDefinition"]!.GetValue<string>().Should().Contain("\"readyReplicas\":2");
        deployment["LastOperation"]!.GetValue<string>().Should().Be("Created", "a second apply would have recorded Unchanged");
    }

    // The Deployment changes several times while its pods come back, most of them repeating the readiness the one before
    // showed (those are not looked up again); the two turns, to unready and back to ready, must both be recorded.
    [Test]
    public async Task ADeploymentLosingItsPods_WithNoReconcilePending_IsRecordedDownThenHealthyAgain()
    {
        var instanceId = await cp.CreateInstanceAsync(await cp.CreateDefinitionAsync(WorkloadTestKit.ThreeResources));
        var ns = (await cp.ReconciledAsync(instanceId))["Namespace"]!.GetValue<string>();
        await WordPressSampleTests.EventuallyAsync(async () => await StatusAsync(instanceId) == "Healthy", "the instance to be Healthy");

        using var k8s = cp.KubernetesClient();
        await k8s.CoreV1.DeleteCollectionNamespacedPodAsync(ns);
        await WordPressSampleTests.EventuallyAsync(async () => await StatusAsync(instanceId) == "Down", "the watch to record the Deployment unready");
        await WordPressSampleTests.EventuallyAsync(async () => await StatusAsync(instanceId) == "Healthy", "the watch to record it ready again");

        var deployment = (await cp.ResourcesOfAsync(instanceId)).Single(r => r!["Kind"]!.GetValue<string>() == "Deployment")!;
        deployment["Ready"]!.GetValue<bool>().Should().BeTrue();
        deployment["LastOperation"]!.GetValue<string>().Should().Be("Created", "the watch refreshed the status without applying again");
    }

    [Test]
    public async Task AReadinessChange_WhileAReconcileIsPending_IsLeftToThatReconcile()
    {
        var instanceId = await cp.CreateInstanceAsync(await cp.CreateDefinitionAsync(WorkloadTestKit.ThreeResources));
        var ns = (await cp.ReconciledAsync(instanceId))["Namespace"]!.GetValue<string>();

        // Another owner holds the instance's lease: the reconcile a change asks for stays pending, retried with backoff.
        await cp.WithDbAsync(db =>
        {
            db.Leases.Add(new Lease { ObjectType = nameof(WorkloadInstance), ObjectId = instanceId, Owner = "another process", ExpiresAt = long.MaxValue });
            return db.SaveChangesAsync();
        });
        await cp.PatchAsync("workload-instances", instanceId, new { Reconciled = false });
        var notified = await OutboxSequenceAsync(instanceId);
        notified.Should().NotBeNull();

        // New pods take a second to be ready: the Deployment turns unready, and the watch tells the pending reconcile.
        using var k8s = cp.KubernetesClient();
        await k8s.CoreV1.DeleteCollectionNamespacedPodAsync(ns);
        await WordPressSampleTests.EventuallyAsync(async () => await OutboxSequenceAsync(instanceId) > notified, "the watch to notify the pending reconcile");

        var deployment = (await cp.ResourcesOfAsync(instanceId)).Single(r => r!["Kind"]!.GetValue<string>() == "Deployment")!;
        deployment["Ready"]!.GetValue<bool>().Should().BeTrue("the watch did not write while a reconcile was pending");
        (await cp.GetAsync("workload-instances", instanceId))["Status"]!.GetValue<string>().Should().Be("Healthy");

        await cp.WithDbAsync(db => db.Leases.Where(l => l.ObjectId == instanceId && l.Owner == "another process").ExecuteDeleteAsync());
        await cp.ReconciledAsync(instanceId);
    }

    private async Task<string?> StatusAsync(long instanceId) => (await cp.GetAsync("workload-instances", instanceId))["Status"]?.GetValue<string>();

    private Task<long?> OutboxSequenceAsync(long instanceId) =>
        cp.WithDbAsync(db => db.OutboxMessages
            .Where(m => m.ObjectType == nameof(WorkloadInstance) && m.ObjectId == instanceId)
            .Select(m => (long?)m.Sequence)
            .FirstOrDefaultAsync());
}
