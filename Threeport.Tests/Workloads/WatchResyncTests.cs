using System.Collections.Concurrent;
using System.Globalization;
using k8s;
using k8s.Models;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Threeport.Modules.DevCluster;
using Threeport.Modules.Platform.Objects;
using Threeport.Modules.Platform.Reconciliation;
using Threeport.Modules.Workloads.Manifests;
using Threeport.Modules.Workloads.Model;
using Threeport.Modules.Workloads.Reconcilers;
using Threeport.Tests.Support;

namespace Threeport.Tests.Workloads;

// When the runtime watch starts, it lists what the cluster has and asks for a reconcile of every instance whose
// recorded resources are gone. A record still Applying belongs to a reconcile that is under way (or will run again):
// asking for another would only repeat its applies.
public sealed class WatchResyncTests
{
    [Test]
    public async Task AtWatchStart_ResourcesMissingFromTheCluster_AreReappliedUnlessTheirRecordIsStillApplying()
    {
        var dataDirectory = TestControlPlane.NewDataDirectory();
        try
        {
            long applying, created;
            await using (var first = await TestControlPlane.StartAsync(dataDirectory, withWidgets: false, devCluster: true))
            {
                var definition = await first.CreateDefinitionAsync(WorkloadTestKit.ThreeResources);
                applying = await first.CreateInstanceAsync(definition);
                created = await first.CreateInstanceAsync(definition);
                await first.ReconciledAsync(applying);
                await first.ReconciledAsync(created);
            }

            // Each instance keeps the record of its ConfigMap alone; the restarted dev cluster holds neither ConfigMap.
            await TestControlPlane.QueryStoppedAsync(dataDirectory, async db =>
            {
                await db.Set<WorkloadResourceInstance>().Where(r => r.Kind != "ConfigMap").ExecuteDeleteAsync();
                await db.Set<WorkloadResourceInstance>().Where(r => r.WorkloadInstanceID == applying)
                    .ExecuteUpdateAsync(set => set.SetProperty(r => r.LastOperation, WorkloadInstanceReconciler.Applying));
                return await db.Set<WorkloadInstance>().Where(i => i.ID == created).ExecuteUpdateAsync(set => set.SetProperty(i => i.Reconciled, false));
            });

            await using var second = await TestControlPlane.StartAsync(dataDirectory, withWidgets: false, devCluster: true);
            await second.ReconciledAsync(created);
            (await second.ResourcesOfAsync(created)).Should().HaveCount(4, "the watch asked for a reconcile, which applied the instance again");

            var records = await second.ResourcesOfAsync(applying);
            records.Select(r => r!["LastOperation"]!.GetValue<string>()).Should().Equal([WorkloadInstanceReconciler.Applying], "no reconcile of this instance ran");
            (await second.WithDbAsync(db => db.OutboxMessages.CountAsync(m => m.ObjectType == nameof(WorkloadInstance) && m.ObjectId == applying)))
                .Should().Be(0, "none was asked for");
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    [Test]
    public async Task AConfigMapAtItsFirstGeneration_AsksForNoReconcile_ItsChangeOutsideThreeportDoes()
    {
        // A ConfigMap is ready once it exists: its watch events matter only when a later generation shows a change.
        await using var cp = await WorkloadTestKit.StartControlPlaneAsync();
        var instance = await cp.CreateInstanceAsync(await cp.CreateDefinitionAsync(WorkloadTestKit.ThreeResources));
        var reconciles = 0;
        cp.Services.GetRequiredService<ReconcileObserver>().Observed += (key, outcome, _) =>
        {
            if (key == new ObjectKey(nameof(WorkloadInstance), instance) && outcome == ReconcileOutcome.Done)
            {
                Interlocked.Increment(ref reconciles);
            }
        };
        var ns = (await cp.ReconciledAsync(instance))["Namespace"]!.GetValue<string>();
        using var k8s = cp.KubernetesClient();
        var before = Volatile.Read(ref reconciles);

        // One with the instance's labels that it never applied: there is no record of it to compare with (an event
        // that overtakes its apply's record, as those of a re-apply can, looks the same).
        var labels = new Dictionary<string, string>
        {
            [ThreeportLabels.ManagedBy] = "threeport",
            [ThreeportLabels.WorkloadInstance] = instance.ToString(CultureInfo.InvariantCulture),
        };
        await k8s.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "stray", Labels = labels } }, ns);
        // A reconcile it asked for would run within this pause: nothing else is pending.
        await Task.Delay(TimeSpan.FromSeconds(1));
        var afterStray = Volatile.Read(ref reconciles);

        // The ConfigMap watch delivers in order: once a change made after it is applied again, the stray's event was read.
        await k8s.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("{\"data\":{\"extra\":\"x\"}}", V1Patch.PatchType.MergePatch), "web-config", ns);
        await WordPressSampleTests.EventuallyAsync(
            async () => (await cp.ResourcesOfAsync(instance)).Any(r => r!["Kind"]!.GetValue<string>() == "ConfigMap" && r["AppliedGeneration"]?.GetValue<long>() == 2),
            "the changed ConfigMap to be applied again");
        afterStray.Should().Be(before, "a ConfigMap at its first generation asks for no reconcile");
        Volatile.Read(ref reconciles).Should().BeGreaterThan(before, "its change, at the second generation, did");
    }

    [Test]
    public async Task AWatchStartingWhileInstancesAreApplied_TakesNoneOfThemForDeleted()
    {
        // Deployments turn ready long after their reconcile: a change of readiness asks for no second one.
        await using var cp = await WorkloadTestKit.StartControlPlaneAsync(readinessDelay: "00:00:02");
        // The watch's list of Deployments answers with what the cluster held 3 s earlier: a Deployment applied in
        // those seconds is missing from it although its record says it was applied.
        cp.DevCluster.Faults.Set(new FaultRule { Verb = "list", Resource = "deployments", AnswerLatency = TimeSpan.FromSeconds(3) });
        var reconciles = new ConcurrentDictionary<long, int>();
        cp.Services.GetRequiredService<ReconcileObserver>().Observed += (key, outcome, _) =>
        {
            if (key.Type == nameof(WorkloadInstance) && outcome == ReconcileOutcome.Done)
            {
                reconciles.AddOrUpdate(key.Id, 1, (_, n) => n + 1);
            }
        };

        // The first instance's reconcile starts the watch; instances made one by one for 7 s cover the pause of
        // its list's answer.
        var definition = await cp.CreateDefinitionAsync(WorkloadTestKit.ThreeResources);
        var instances = new List<long>();
        var pacing = System.Diagnostics.Stopwatch.StartNew();
        while (pacing.Elapsed < TimeSpan.FromSeconds(7))
        {
            var instance = await cp.CreateInstanceAsync(definition);
            instances.Add(instance);
            await cp.EventuallyAsync("workload-instances", instance, i => i["Reconciled"]!.GetValue<bool>());
            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }

        // Healthy needs the watch (the list for the first, its events for the rest), which starts after the resync.
        foreach (var instance in instances)
        {
            await cp.ReconciledAsync(instance);
        }

        await WordPressSampleTests.EventuallyAsync(
            async () => !await cp.WithDbAsync(db => db.OutboxMessages.AnyAsync(m => m.ObjectType == nameof(WorkloadInstance))), "every reconcile asked for to run");
        instances.Where(i => reconciles.GetValueOrDefault(i) != 1).Should().BeEmpty("each instance was applied once and none was deleted");
    }

    [Test]
    public async Task TheFirstInstanceOnARuntime_IsWatchedFromItsReconcile_WithoutWaitingForARescan()
    {
        // No rescan after the one at start-up, when no instance exists: only the reconcile can start the watch.
        await using var cp = await TestControlPlane.StartAsync(withWidgets: false, devCluster: true, settings: new Dictionary<string, string?>
        {
            ["Threeport:WatchRescanInterval"] = "01:00:00",
        });
        var instance = await cp.CreateInstanceAsync(await cp.CreateDefinitionAsync(WorkloadTestKit.ThreeResources));

        // Its Deployment turns ready after the apply has answered (the dev cluster's readiness delay): only the
        // watch can tell.
        await cp.ReconciledAsync(instance, timeout: TimeSpan.FromSeconds(20));
    }
}
