using Microsoft.EntityFrameworkCore;
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
}
