using System.Net.Http.Json;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Threeport.Modules.KubernetesRuntimes.Model;
using Threeport.Modules.Platform.Events;
using Threeport.Modules.Platform.Persistence;
using Threeport.Tests.Support;

namespace Threeport.Tests.Platform;

// A backlog's reconcile outcomes are written as plain statements instead of EF's SaveChanges: they must store what
// SaveChanges would, and keep its concurrency check.
public sealed class PlainStatementsTests
{
    private static readonly DateTimeOffset ConfirmedAt = new(2026, 12, 2, 15, 4, 5, 678, TimeSpan.Zero);

    [Test]
    public async Task AStatusWriteAndItsEvent_AreStoredAsSaveChangesStoresThem()
    {
        await using var cp = await StartWithoutReconcilerAsync();
        var bySaveChanges = (await cp.CreateWidgetAsync())["ID"]!.GetValue<long>();
        var byStatements = (await cp.CreateWidgetAsync())["ID"]!.GetValue<long>();

        await cp.WithDbAsync(async db =>
        {
            await ReportAsync(db, bySaveChanges);
            return await db.SaveChangesAsync();
        });
        var written = await cp.WithDbAsync(async from =>
        {
            await ReportAsync(from, byStatements);
            PlainStatements.ChangesOf(from).Should().NotBeNull("an outcome of one status update and one event");
            return await WritePlainAsync(cp, from);
        });

        written.Should().BeTrue();
        var widgets = await cp.WithDbAsync(db => RowsAsync(db, $"SELECT * FROM \"{db.Model.FindEntityType(typeof(Widget))!.GetTableName()}\" WHERE ID IN ($a, $b) ORDER BY ID", bySaveChanges, byStatements));
        var events = await cp.WithDbAsync(db => RowsAsync(db, "SELECT * FROM Events WHERE ObjectID IN ($a, $b) ORDER BY ObjectID", bySaveChanges, byStatements));
        foreach (var rows in new[] { widgets, events })
        {
            rows.Should().HaveCount(2);
            Comparable(rows[1]).Should().Equal(Comparable(rows[0]));
        }

        widgets[1]["CreationConfirmed"].Should().Be(widgets[0]["CreationConfirmed"]).And.NotBeNull();
        widgets[1]["AppliedColor"].Should().Be("reported");
    }

    [Test]
    public async Task ASensitiveField_IsStoredProtected_AndReadsBack()
    {
        await using var cp = await StartWithoutReconcilerAsync();
        var id = await cp.WithDbAsync(async db =>
        {
            var definition = new KubernetesRuntimeDefinition { Name = TestControlPlane.Unique("definition"), InfraProvider = "kind", Generation = 1 };
            db.Add(definition);
            await db.SaveChangesAsync();
            var instance = new KubernetesRuntimeInstance { Name = TestControlPlane.Unique("runtime"), KubernetesRuntimeDefinitionID = definition.ID, Generation = 1 };
            db.Add(instance);
            await db.SaveChangesAsync();
            return instance.ID;
        });

        var written = await cp.WithDbAsync(async from =>
        {
            (await from.Set<KubernetesRuntimeInstance>().FindAsync(id))!.Kubeconfig = "token: plain-secret-value";
            return await WritePlainAsync(cp, from);
        });

        written.Should().BeTrue();
        var stored = await cp.WithDbAsync(db => RowsAsync(db, $"SELECT Kubeconfig FROM \"{db.Model.FindEntityType(typeof(KubernetesRuntimeInstance))!.GetTableName()}\" WHERE ID IN ($a, $b)", id, id));
        stored.Single()["Kubeconfig"].Should().BeOfType<string>().Which.Should().NotContain("plain-secret-value", "the field's converter protects it as SaveChanges would");
        (await cp.WithDbAsync(db => db.Set<KubernetesRuntimeInstance>().AsNoTracking().SingleAsync(i => i.ID == id))).Kubeconfig.Should().Be("token: plain-secret-value");
    }

    [Test]
    public async Task AStatusWriteOnAChangedObject_WritesNothingOfItsOutcome()
    {
        await using var cp = await StartWithoutReconcilerAsync();
        var id = (await cp.CreateWidgetAsync())["ID"]!.GetValue<long>();

        var written = await cp.WithDbAsync(async from =>
        {
            await ReportAsync(from, id);
            // The user changes the object after the reconcile read it: its Generation moves on.
            (await cp.Client.PatchAsJsonAsync($"/v0/widgets/{id}", new { Color = "green" })).EnsureSuccessStatusCode();
            return await WritePlainAsync(cp, from);
        });

        written.Should().BeFalse();
        var widget = await cp.GetAsync("widgets", id);
        widget["AppliedColor"].Should().BeNull();
        widget["Color"]!.GetValue<string>().Should().Be("green");
        (await cp.WithDbAsync(db => db.Events.CountAsync(e => e.ObjectID == id && e.Reason == "Reported"))).Should().Be(0);
    }

    [Test]
    public async Task ADeleteOrASecondUpdate_IsLeftToSaveChanges()
    {
        await using var cp = await StartWithoutReconcilerAsync();
        var first = (await cp.CreateWidgetAsync())["ID"]!.GetValue<long>();
        var second = (await cp.CreateWidgetAsync())["ID"]!.GetValue<long>();

        (await cp.WithDbAsync(async db =>
        {
            db.Remove((await db.Set<Widget>().FindAsync(first))!);
            return PlainStatements.ChangesOf(db);
        })).Should().BeNull("a delete");
        (await cp.WithDbAsync(async db =>
        {
            await ReportAsync(db, first);
            await ReportAsync(db, second);
            return PlainStatements.ChangesOf(db);
        })).Should().BeNull("two updates in one outcome would not be all or nothing");
    }

    [Test]
    public async Task TheWriteGate_SavesInsertsAndSeveralUpdatesPlainly_WithTheGeneratedKeys_AndAStaleUpdateSavesNothing()
    {
        await using var cp = await StartWithoutReconcilerAsync();
        var first = (await cp.CreateWidgetAsync())["ID"]!.GetValue<long>();
        var second = (await cp.CreateWidgetAsync())["ID"]!.GetValue<long>();
        var writes = cp.Services.GetRequiredService<SqliteWriteGate>();

        var keys = await cp.WithDbAsync(async db =>
        {
            await ReportAsync(db, first);
            await ReportAsync(db, second);
            PlainStatements.ChangesOf(db, maxUpdates: int.MaxValue).Should().NotBeNull("two updates and two inserts, saved alone");
            (await writes.SaveChangesAsync(db, CancellationToken.None)).Should().Be(4);
            db.ChangeTracker.HasChanges().Should().BeFalse("saved entries are left as SaveChanges leaves them");

            // The inserted events carry the keys the database gave them: a later change of one updates its row.
            var events = db.ChangeTracker.Entries<Event>().Select(e => e.Entity).ToList();
            events[0].Note = "changed after its insert";
            (await writes.SaveChangesAsync(db, CancellationToken.None)).Should().Be(1);
            return events.Select(e => e.ID).ToList();
        });

        var stored = await cp.WithDbAsync(db => db.Events.AsNoTracking().Where(e => keys.Contains(e.ID)).OrderBy(e => e.ID).ToListAsync());
        stored.Select(e => e.ObjectID).Should().BeEquivalentTo([first, second]);
        stored.Should().ContainSingle(e => e.Note == "changed after its insert");
        (await cp.GetAsync("widgets", second))["AppliedColor"]!.GetValue<string>().Should().Be("reported");

        var stale = async () => await cp.WithDbAsync(async db =>
        {
            var widget = (await db.Set<Widget>().FindAsync(first))!;
            widget.AppliedColor = "stale";
            (await db.Set<Widget>().FindAsync(second))!.AppliedColor = "lost with it";
            (await cp.Client.PatchAsJsonAsync($"/v0/widgets/{second}", new { Color = "green" })).EnsureSuccessStatusCode();
            return await writes.SaveChangesAsync(db, CancellationToken.None);
        });
        await stale.Should().ThrowAsync<DbUpdateConcurrencyException>();
        (await cp.GetAsync("widgets", first))["AppliedColor"]!.GetValue<string>().Should().Be("reported", "the first update was rolled back with the stale second");
    }

    [Test]
    public async Task UpdatesOfOneType_ThatChangeDifferentFields_EachWriteTheirOwn()
    {
        // The statements are kept per type and per set of changed fields: one kept per type would write the second
        // update's value into the first update's column.
        await using var cp = await StartWithoutReconcilerAsync();
        var id = (await cp.CreateWidgetAsync())["ID"]!.GetValue<long>();
        var writes = cp.Services.GetRequiredService<SqliteWriteGate>();
        async Task SaveAsync(Action<Widget> change) => await cp.WithDbAsync(async db =>
        {
            change((await db.Set<Widget>().FindAsync(id))!);
            return await writes.SaveChangesAsync(db, CancellationToken.None);
        });

        await SaveAsync(w => w.AppliedColor = "first");
        await SaveAsync(w => w.Reconciled = true);
        await SaveAsync(w => w.CreationConfirmed = ConfirmedAt);
        await SaveAsync(w => w.AppliedColor = "second");

        var stored = await cp.GetAsync("widgets", id);
        stored["AppliedColor"]!.GetValue<string>().Should().Be("second");
        stored["Reconciled"]!.GetValue<bool>().Should().BeTrue();
        stored["CreationConfirmed"]!.GetValue<DateTimeOffset>().Should().Be(ConfirmedAt);
    }

    private static Task<TestControlPlane> StartWithoutReconcilerAsync() =>
        TestControlPlane.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Threeport:Controllers:Test:Enabled"] = "false",
            ["Threeport:Controllers:KubernetesRuntime:Enabled"] = "false",
        });

    // What a reconcile leaves on its context: a status change and an event.
    private static async Task ReportAsync(ThreeportDb db, long id)
    {
        var widget = (await db.Set<Widget>().FindAsync(id))!;
        widget.Reconciled = true;
        widget.CreationConfirmed = ConfirmedAt;
        widget.AppliedColor = "reported";
        db.Events.Add(new Event
        {
            ObjectType = "Widget",
            ObjectID = id,
            Type = EventRecorder.Normal,
            Reason = "Reported",
            Note = "a note with 'quotes' and ünïcode",
            Count = 1,
            EventTime = ConfirmedAt,
            LastObservedTime = ConfirmedAt,
            ReportingController = "TestController",
            CreatedAt = ConfirmedAt,
            UpdatedAt = ConfirmedAt,
            Generation = 1,
        });
    }

    private static async Task<bool> WritePlainAsync(TestControlPlane cp, ThreeportDb from) =>
        await cp.WithDbAsync(async into =>
        {
            await using var transaction = await into.Database.BeginTransactionAsync();
            await using var statements = new PlainStatements(into);
            var written = await statements.TryWriteAsync(PlainStatements.ChangesOf(from)!, CancellationToken.None);
            await transaction.CommitAsync();
            return written;
        });

    private static async Task<List<Dictionary<string, object?>>> RowsAsync(ThreeportDb db, string sql, long a, long b)
    {
        await db.Database.OpenConnectionAsync();
        await using var command = (SqliteCommand)db.Database.GetDbConnection().CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$a", a);
        command.Parameters.AddWithValue("$b", b);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<Dictionary<string, object?>>();
        while (await reader.ReadAsync())
        {
            rows.Add(Enumerable.Range(0, reader.FieldCount).ToDictionary(reader.GetName, i => reader.IsDBNull(i) ? null : reader.GetValue(i)));
        }

        return rows;
    }

    // Everything but what tells the two rows apart from the start: keys, names, the creation of the widgets.
    private static List<KeyValuePair<string, object?>> Comparable(Dictionary<string, object?> row)
    {
        string[] distinct = row.ContainsKey("Reason") ? ["ID", "ObjectID"] : ["ID", "Name", "CreatedAt", "UpdatedAt"];
        return row.Where(c => !distinct.Contains(c.Key, StringComparer.OrdinalIgnoreCase)).OrderBy(c => c.Key).ToList();
    }
}
