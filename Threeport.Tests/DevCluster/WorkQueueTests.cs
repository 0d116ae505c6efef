using Threeport.Modules.DevCluster.Simulation;

namespace Threeport.Tests.DevCluster;

// The simulator's work queue folds the changes of an object that is still waiting into one item, as a
// Kubernetes controller's queue does, and queues it again once it has been handed out.
public sealed class WorkQueueTests
{
    private static WorkItem Change(string name, string json, bool deleted = false) =>
        new("/pods", "default", name, Deleted: deleted) { Json = System.Text.Encoding.UTF8.GetBytes(json) };

    private static async Task<List<WorkItem>> TakeAsync(WorkQueue queue, int count)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var taken = new List<WorkItem>();
        await foreach (var item in queue.ReadAllAsync(cts.Token))
        {
            taken.Add(item);
            if (taken.Count == count)
            {
                break;
            }
        }

        return taken;
    }

    [Test]
    public async Task ChangesWhileWaiting_AreHandedOutOnce_AsTheLastChangeLeftTheObject_InFirstQueuedOrder()
    {
        var queue = new WorkQueue();
        queue.Add(Change("a", "{\"v\":1}"));
        queue.Add(Change("b", "{\"v\":1}"));
        queue.Add(Change("a", "{\"v\":2}"));
        queue.Add(new WorkItem("/pods", "default", "a", TimerFired: true));
        queue.Add(Change("a", "{\"v\":3}"));
        queue.Add(Change("c", "{\"v\":1}"));
        queue.Complete();

        var taken = await TakeAsync(queue, 3);

        taken.Select(i => i.Name).Should().Equal("a", "b", "c");
        System.Text.Encoding.UTF8.GetString(taken[0].Json!).Should().Be("{\"v\":3}");
        taken[0].TimerFired.Should().BeTrue("the timer that fired while the pod waited must not be lost");
        taken[1].TimerFired.Should().BeFalse();
    }

    [Test]
    public async Task ANudgeAfterADeletion_KeepsTheDeletion_AndALaterChangeReplacesIt()
    {
        var queue = new WorkQueue();
        queue.Add(Change("gone", "{\"v\":1}", deleted: true));
        queue.Add(new WorkItem("/pods", "default", "gone"));
        queue.Add(Change("back", "{\"v\":1}", deleted: true));
        queue.Add(Change("back", "{\"v\":2}"));
        queue.Complete();

        var taken = await TakeAsync(queue, 2);

        taken[0].Deleted.Should().BeTrue();
        System.Text.Encoding.UTF8.GetString(taken[0].Json!).Should().Be("{\"v\":1}");
        taken[1].Deleted.Should().BeFalse("the object was created again after its deletion");
    }

    [Test]
    public async Task AChangeAfterTheItemWasHandedOut_QueuesItAgain()
    {
        var queue = new WorkQueue();
        queue.Add(Change("a", "{\"v\":1}"));
        (await TakeAsync(queue, 1)).Should().ContainSingle();

        queue.Add(Change("a", "{\"v\":2}"));
        queue.Complete();

        var again = await TakeAsync(queue, 1);
        System.Text.Encoding.UTF8.GetString(again.Single().Json!).Should().Be("{\"v\":2}");
    }
}
