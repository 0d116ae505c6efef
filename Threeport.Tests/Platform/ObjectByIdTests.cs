using System.Net;
using FluentAssertions;
using NUnit.Framework;
using Threeport.Tests.Support;

namespace Threeport.Tests.Platform;

// GET by id and the reconcile's load use queries compiled per EF model. Two hosts in one process have two models
// (each has its own encryption key, part of the model), and both must load their objects.
public sealed class ObjectByIdTests
{
    [Test]
    public async Task TwoHostsInOneProcess_EachGetsAndReconcilesItsObjects()
    {
        await using var first = await TestControlPlane.StartAsync();
        await using var second = await TestControlPlane.StartAsync();

        foreach (var cp in new[] { first, second, first })
        {
            var name = TestControlPlane.Unique("by-id");
            var id = (await cp.CreateWidgetAsync(name))["ID"]!.GetValue<long>();
            (await cp.EventuallyAsync("widgets", id, w => w["Reconciled"]!.GetValue<bool>()))["Name"]!.GetValue<string>().Should().Be(name);
            (await cp.Client.GetAsync($"/v0/widgets/{id + 1000}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        }
    }
}
