using Microsoft.EntityFrameworkCore;
using Threeport.Modules.Workloads.Model;
using Threeport.Tests.Support;

namespace Threeport.Tests.Workloads;

// A definition's split marks its instances for reconciliation only when the definition was updated: instances apply
// the manifest itself, so one created before the first split already applies what the split holds.
public sealed class DefinitionSplitTests
{
    [Test]
    public async Task AnInstanceCreatedBeforeItsDefinitionIsSplit_IsNotMarkedForAnotherReconcile()
    {
        var dataDirectory = TestControlPlane.NewDataDirectory();
        try
        {
            // Stored while the workload reconcilers are off: at the next start, the definition's split and the
            // instance's first reconcile are both due, and the split sees the instance.
            long definition, instance;
            var workloadsOff = new Dictionary<string, string?> { ["Threeport:Controllers:Workload:Enabled"] = "false" };
            await using (var first = await TestControlPlane.StartAsync(dataDirectory, withWidgets: false, devCluster: true, settings: workloadsOff))
            {
                definition = await first.CreateDefinitionAsync(WorkloadTestKit.ThreeResources);
                instance = await first.CreateInstanceAsync(definition);
            }

            await using var second = await TestControlPlane.StartAsync(dataDirectory, withWidgets: false, devCluster: true);
            await second.ReconciledAsync(instance);
            await second.EventuallyAsync("workload-definitions", definition, d => d["Reconciled"]!.GetValue<bool>());
            await WordPressSampleTests.EventuallyAsync(
                async () => !await second.WithDbAsync(db => db.OutboxMessages.AnyAsync(m => m.ObjectType == nameof(WorkloadInstance))), "every reconcile asked for to run");

            var settled = await second.GetAsync("workload-instances", instance);
            settled["Generation"]!.GetValue<long>().Should().Be(1, "the split did not mark the instance for another reconcile");
            settled["Reconciled"]!.GetValue<bool>().Should().BeTrue();
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }
}
