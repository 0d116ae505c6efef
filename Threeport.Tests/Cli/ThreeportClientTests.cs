using System.Net;
using System.Text.Json.Nodes;
using Threeport.Modules.Platform.Client;
using Threeport.Tests.Support;

namespace Threeport.Tests.Cli;

// The typed client against a live control plane, using the test-only Widget type of the platform.
public sealed class ThreeportClientTests
{
    public static readonly ApiRoute Widgets = new("Widget", "widgets", "widget");

    [Test]
    public async Task Crud_ThroughTheClient_UnwrapsTheEnvelope()
    {
        await using var cp = await TestControlPlane.StartAsync();
        var client = ThreeportClient.Create(cp.Client.BaseAddress!);
        var name = TestControlPlane.Unique("w");

        var created = await client.CreateAsync(Widgets, new JsonObject { ["Name"] = name, ["Color"] = "red" });
        var byName = await client.GetByNameAsync(Widgets, name);
        var patched = await client.PatchAsync(Widgets, created.Id(), new JsonObject { ["Color"] = "blue" });
        var listed = await client.ListAsync(Widgets, new Dictionary<string, string> { ["name"] = name });
        var missing = await client.FindByNameAsync(Widgets, name + "-x");

        byName.Id().Should().Be(created.Id());
        patched.GetString("Color").Should().Be("blue");
        listed.Should().ContainSingle().Which.GetString("Color").Should().Be("blue");
        missing.Should().BeNull();
        (await client.GetVersionAsync()).Should().NotBeNullOrEmpty();
        (await client.IsReadyAsync()).Should().BeTrue();
    }

    [Test]
    public async Task List_PagesThroughEverything()
    {
        await using var cp = await TestControlPlane.StartAsync();
        var client = ThreeportClient.Create(cp.Client.BaseAddress!);
        for (var i = 0; i < 205; i++)
        {
            await client.CreateAsync(Widgets, new JsonObject { ["Name"] = $"w-{i}" });
        }

        var all = await client.ListAsync(Widgets);

        all.Select(w => w.Name()).Should().HaveCount(205).And.OnlyHaveUniqueItems();
    }

    [Test]
    public async Task Errors_CarryTheStatusCodeAndTheServersMessage()
    {
        await using var cp = await TestControlPlane.StartAsync();
        var client = ThreeportClient.Create(cp.Client.BaseAddress!);
        await client.CreateAsync(Widgets, new JsonObject { ["Name"] = "taken" });

        var duplicate = async () => await client.CreateAsync(Widgets, new JsonObject { ["Name"] = "taken" });
        var unknownField = async () => await client.CreateAsync(Widgets, new JsonObject { ["Name"] = "b", ["Flavour"] = "x" });
        var missing = async () => await client.GetAsync(Widgets, 987654);
        var noRoute = async () => await client.ListAsync(new ApiRoute("Nothing", "nothings", "nothing"));

        (await duplicate.Should().ThrowAsync<ThreeportApiException>()).Which.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await unknownField.Should().ThrowAsync<ThreeportApiException>()).Which.Should().Match<ThreeportApiException>(
            e => e.StatusCode == HttpStatusCode.BadRequest && e.Message.Contains("Flavour"));
        (await missing.Should().ThrowAsync<ThreeportApiException>()).Which.IsNotFound.Should().BeTrue();
        // The server answers an unknown route in its envelope; the client passes its message through.
        var unrouted = (await noRoute.Should().ThrowAsync<ThreeportApiException>()).Which;
        unrouted.IsNotFound.Should().BeTrue();
        unrouted.Message.Should().Contain("there is no route /v0/nothings");
    }

    [Test]
    public async Task NothingListening_IsUnreachableNotAnApiError()
    {
        var address = new Uri($"http://127.0.0.1:{CliRun.FreePort()}");
        var client = ThreeportClient.Create(address);

        var act = async () => await client.ListAsync(Widgets);

        (await act.Should().ThrowAsync<ThreeportUnreachableException>()).Which.BaseAddress.Authority.Should().Be(address.Authority);
        (await client.IsReadyAsync()).Should().BeFalse();
    }

    [Test]
    public async Task Delete_OfAReconciledObject_IsScheduledThenGone()
    {
        await using var cp = await TestControlPlane.StartAsync();
        var client = ThreeportClient.Create(cp.Client.BaseAddress!);
        var created = await client.CreateAsync(Widgets, new JsonObject { ["Name"] = "doomed" });
        await cp.EventuallyAsync("widgets", created.Id(), w => w.GetBool("Reconciled"));

        var scheduled = await client.DeleteAsync(Widgets, created.Id());

        scheduled!.GetTime("DeletionScheduled").Should().NotBeNull();

    }
}
