using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Threeport.Modules.DevCluster;
using Threeport.Modules.Platform.Objects;
using Threeport.Modules.Platform.Reconciliation;
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
