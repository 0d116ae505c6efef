using System.Net.Http.Json;
using System.Net;
using System.Text.Json.Nodes;
using FluentAssertions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;
using Threeport.Modules.Platform.Outbox;
using Threeport.Modules.Platform.Persistence;
using Threeport.Tests.Support;

namespace Threeport.Tests.Platform;

// Concurrent API saves commit in groups. These tests hold the write gate while creates arrive, so that they all queue
// behind the first one (the leader) and are committed in one group when the gate is free.
public sealed class GroupedSaveTests
{
    [Test]
    public async Task ConcurrentCreates_CommitTogether_AndEachIsAnsweredWithItsOwnStoredObject()
    {
        await using var cp = await TestControlPlane.StartAsync();
        var names = Enumerable.Range(0, 30).Select(i => TestControlPlane.Unique($"g{i}")).ToList();

        var answers = await CreateBehindTheGateAsync(cp, names);

        answers.Select(a => a.Status).Should().AllSatisfy(status => status.Should().Be(HttpStatusCode.Created));
        var ids = answers.Select(a => a.Object!["ID"]!.GetValue<long>()).ToList();
        ids.Should().OnlyHaveUniqueItems().And.AllSatisfy(id => id.Should().BePositive());
        foreach (var (name, id) in names.Zip(ids))
        {
            (await cp.GetAsync("widgets", id))["Name"]!.GetValue<string>().Should().Be(name, "the answer carries the ID the database gave that create");
            await cp.EventuallyAsync("widgets", id, w => w["Reconciled"]!.GetValue<bool>());
        }

        cp.Services.GetRequiredService<OutboxWriter>().Groups.Saves.Should().Be(names.Count, "every create committed in the one group");
        ids.Select(cp.Widgets.CallsFor).Should().AllSatisfy(calls => calls.Should().Be(1));
        (await cp.WithDbAsync(db => db.OutboxMessages.CountAsync())).Should().Be(0);
    }

    [Test]
    public async Task AGroupWithTakenNames_IsSavedOneByOne_AndOnlyTheCreatesWithTakenNamesAreRefused()
    {
        await using var cp = await TestControlPlane.StartAsync();
        var taken = (await cp.CreateWidgetAsync())["Name"]!.GetValue<string>();
        var twice = TestControlPlane.Unique("twice");
        var names = Enumerable.Range(0, 20).Select(i => TestControlPlane.Unique($"g{i}")).Concat([taken, twice, twice]).ToList();

        var answers = await CreateBehindTheGateAsync(cp, names);

        answers.Count(a => a.Status == HttpStatusCode.Created).Should().Be(21);
        answers.Where(a => a.Status != HttpStatusCode.Created).Should().HaveCount(2)
            .And.AllSatisfy(a => a.Status.Should().Be(HttpStatusCode.Conflict));
        foreach (var created in answers.Where(a => a.Status == HttpStatusCode.Created))
        {
            var id = created.Object!["ID"]!.GetValue<long>();
            (await cp.GetAsync("widgets", id))["Name"]!.GetValue<string>().Should().Be(created.Name);
        }

        var stored = await cp.WithDbAsync(db => db.Set<Widget>().Where(w => names.Contains(w.Name)).Select(w => w.Name).ToListAsync());
        stored.Should().OnlyHaveUniqueItems().And.HaveCount(22);
        cp.Services.GetRequiredService<OutboxWriter>().Groups.Saves.Should().Be(0, "the group failed and each create was saved alone");
    }

    // An update's copy in the group must keep the Generation its writer read as the value its WHERE compares: with the
    // new one there, the group would fail and every PATCH would be saved alone.
    [Test]
    public async Task ConcurrentPatches_CommitTogether_EachCheckedAgainstTheGenerationItRead()
    {
        await using var cp = await TestControlPlane.StartAsync();
        var ids = new List<long>();
        for (var i = 0; i < 10; i++)
        {
            var id = (await cp.CreateWidgetAsync())["ID"]!.GetValue<long>();
            await cp.EventuallyAsync("widgets", id, w => w["Reconciled"]!.GetValue<bool>());
            ids.Add(id);
        }

        var grouped = cp.Services.GetRequiredService<OutboxWriter>().Groups.Saves;
        var answers = await WritesBehindTheGate.SendAsync(cp.Services, ids.Count, i => cp.Client.PatchAsJsonAsync($"/v0/widgets/{ids[i]}", new { Color = "blue" }));

        answers.Should().AllSatisfy(a => a.StatusCode.Should().Be(HttpStatusCode.OK));
        cp.Services.GetRequiredService<OutboxWriter>().Groups.Saves.Should().Be(grouped + ids.Count, "the PATCHes committed in one group");
        foreach (var id in ids)
        {
            var widget = await cp.EventuallyAsync("widgets", id, w => w["Reconciled"]!.GetValue<bool>() && w["AppliedColor"]?.GetValue<string>() == "blue");
            widget["Generation"]!.GetValue<long>().Should().Be(2);
        }
    }

    // A process of many hosts (the test suite) has contexts on different instances of one model, whose temporary keys
    // coincide: copied as they were, two creates of one group would claim one key and the whole group would fail.
    [Test]
    public async Task CreatesFromContextsOnTwoModelInstances_CommitTogether_EachWithItsOwnKey()
    {
        await using var first = await TestControlPlane.StartAsync();
        await using var second = await TestControlPlane.StartAsync();
        await using var fromFirst = await first.Services.GetRequiredService<IDbContextFactory<ThreeportDb>>().CreateDbContextAsync();
        await using var fromSecond = await second.Services.GetRequiredService<IDbContextFactory<ThreeportDb>>().CreateDbContextAsync();
        var one = new Widget { Name = TestControlPlane.Unique("one") };
        var other = new Widget { Name = TestControlPlane.Unique("other") };
        fromFirst.Add(one);
        fromSecond.Add(other);
        fromFirst.Model.Should().NotBeSameAs(fromSecond.Model);
        one.ID.Should().Be(other.ID, "each model instance hands out the same temporary keys");

        await using var group = await first.Services.GetRequiredService<IDbContextFactory<ThreeportDb>>().CreateDbContextAsync();
        var copies = new[] { GroupedChanges.CopyInto(fromFirst, group), GroupedChanges.CopyInto(fromSecond, group) };
        await group.SaveChangesAsync();
        GroupedChanges.AcceptSaved(fromFirst, copies[0]);
        GroupedChanges.AcceptSaved(fromSecond, copies[1]);

        one.ID.Should().BePositive();
        other.ID.Should().BePositive().And.NotBe(one.ID);
        var stored = await first.WithDbAsync(db => db.Set<Widget>().Where(w => w.ID == one.ID || w.ID == other.ID).Select(w => w.Name).ToListAsync());
        stored.Should().BeEquivalentTo(one.Name, other.Name);
    }

    private static async Task<List<(string Name, HttpStatusCode Status, JsonObject? Object)>> CreateBehindTheGateAsync(TestControlPlane cp, List<string> names)
    {
        var answers = new List<(string, HttpStatusCode, JsonObject?)>();
        foreach (var (name, response) in names.Zip(await WritesBehindTheGate.CreateAsync(cp.Services, cp.Client, names)))
        {
            answers.Add((name, response.StatusCode, response.IsSuccessStatusCode ? (await ApiResponse.ReadAsync(response)).Single : null));
        }

        return answers;
    }
}
