using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Threeport.Modules.Platform.Persistence;
using Threeport.Tests.Support;

namespace Threeport.Tests.Platform;

public sealed class ApiConventionTests
{
    [Test]
    public async Task List_FiltersPagesAndCounts_InIdOrder()
    {
        await using var cp = await TestControlPlane.StartAsync(settings: new Dictionary<string, string?> { ["Threeport:Controllers:Test:Enabled"] = "false" });
        var color = TestControlPlane.Unique("c");
        for (var i = 0; i < 7; i++)
        {
            await cp.CreateWidgetAsync(color: i % 2 == 0 ? color : "other");
        }

        var page = await ApiResponse.ReadAsync(await cp.Client.GetAsync($"/v0/widgets?color={color}&page=2&size=3"));

        page.StatusCode.Should().Be(HttpStatusCode.OK);
        page.Envelope["Meta"]!["TotalCount"]!.GetValue<long>().Should().Be(4);
        page.Envelope["Meta"]!["Page"]!.GetValue<int>().Should().Be(2);
        page.Data!.Should().ContainSingle().Which!["Color"]!.GetValue<string>().Should().Be(color);
        var all = await ApiResponse.ReadAsync(await cp.Client.GetAsync("/v0/widgets?size=-1"));
        all.Data!.Select(w => w!["ID"]!.GetValue<long>()).Should().BeInAscendingOrder().And.HaveCount(7);
        all.Envelope["Meta"]!["TotalCount"]!.GetValue<long>().Should().Be(7);
        foreach (var (size, because) in new[] { (3, "a full first page counts the matches beyond it"), (10, "a first page that is not full holds them all") })
        {
            var first = await ApiResponse.ReadAsync(await cp.Client.GetAsync($"/v0/widgets?color={color}&page=1&size={size}"));
            first.Envelope["Meta"]!["TotalCount"]!.GetValue<long>().Should().Be(4, because);
        }
    }

    [Test]
    public async Task Envelope_OfASuccessfulCreate_HasThreeportsShape()
    {
        await using var cp = await TestControlPlane.StartAsync();
        var response = await cp.Client.PostAsJsonAsync("/v0/widgets", new { Name = "shape", Color = "red" });
        var envelope = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();

        response.StatusCode.Should().Be(HttpStatusCode.Created);
        envelope.Select(p => p.Key).Should().Equal("Meta", "Type", "Data", "Status");
        envelope["Status"]!.AsObject().Select(p => p.Key).Should().Equal("code", "message", "error");
        envelope["Status"]!["message"]!.GetValue<string>().Should().Be("Created");
        var obj = envelope["Data"]![0]!.AsObject();
        obj["Name"]!.GetValue<string>().Should().Be("shape");
        obj["Generation"]!.GetValue<long>().Should().Be(1);
        obj.ContainsKey("DeletionScheduled").Should().BeFalse("empty fields are left out, like Go's omitempty");
    }

    [Test]
    public async Task Put_ReplacesUserFields_AndPatchMergesThem()
    {
        await using var cp = await TestControlPlane.StartAsync();
        var id = (await cp.CreateWidgetAsync("replace-me", "red"))["ID"]!.GetValue<long>();
        (await cp.Client.PatchAsJsonAsync($"/v0/widgets/{id}", new { Size = 3 })).StatusCode.Should().Be(HttpStatusCode.OK);
        var patched = await cp.GetAsync("widgets", id);
        patched["Color"]!.GetValue<string>().Should().Be("red");
        patched["Size"]!.GetValue<long>().Should().Be(3);

        (await cp.Client.PutAsJsonAsync($"/v0/widgets/{id}", new { Name = "replace-me" })).StatusCode.Should().Be(HttpStatusCode.OK);
        var replaced = await cp.GetAsync("widgets", id);
        replaced.ContainsKey("Color").Should().BeFalse();
        replaced["Size"]!.GetValue<long>().Should().Be(0);
        replaced["Generation"]!.GetValue<long>().Should().Be(3);
        await cp.EventuallyAsync("widgets", id, w => w["Reconciled"]!.GetValue<bool>() && w["Generation"]!.GetValue<long>() == 3);
    }

    [Test]
    public async Task SystemRoutes_AnswerVersionReadinessOpenApiAndMetrics()
    {
        await using var cp = await TestControlPlane.StartAsync();
        await cp.CreateWidgetAsync();

        var version = JsonNode.Parse(await cp.Client.GetStringAsync("/version"))!;
        version["Version"]!.GetValue<string>().Should().MatchRegex(@"^\d+\.\d+\.\d+");
        var versions = JsonNode.Parse(await cp.Client.GetStringAsync("/widgets/versions"))!;
        versions["API"]!.GetValue<string>().Should().Be("Widget");
        versions["Versions"]!.AsArray().Select(v => v!.GetValue<string>()).Should().Equal("v0");
        (await cp.Client.GetStringAsync("/healthz")).Should().Be("ok");
        var ready = JsonNode.Parse(await cp.Client.GetStringAsync("/readyz"))!;
        ready["Ready"]!.GetValue<bool>().Should().BeTrue();
        ready["Controllers"]!["Test"]!["Reconcilers"]![0]!.GetValue<string>().Should().Be("WidgetReconciler");
        var openApi = JsonNode.Parse(await cp.Client.GetStringAsync("/openapi/v1.json"))!;
        openApi["paths"]!.AsObject().Select(p => p.Key).Should().Contain(["/v0/widgets", "/v0/widgets/{id}", "/v0/events"]);
        var events = await ApiResponse.ReadAsync(await cp.Client.GetAsync("/v0/events"));
        events.StatusCode.Should().Be(HttpStatusCode.OK);
        var metrics = await cp.Client.GetStringAsync("/metrics");
        metrics.Should().Contain("threeport_reconciles_total{controller=\"Test\",type=\"Widget\"");
    }

    [Test]
    public async Task ProductModel_MatchesTheMigrations()
    {
        var directory = TestControlPlane.NewDataDirectory();
        var options = new DbContextOptionsBuilder<ThreeportDb>().UseSqlite($"Data Source={Path.Combine(directory, "m.db")}").Options;
        await using var db = new ThreeportDb(options);
        db.Database.HasPendingModelChanges().Should().BeFalse("every model change needs a migration: dotnet ef migrations add <Name>");
        await db.Database.MigrateAsync();
        (await db.Database.GetAppliedMigrationsAsync()).Should().NotBeEmpty();
    }
}
