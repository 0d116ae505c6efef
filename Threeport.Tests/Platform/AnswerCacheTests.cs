using System.Net.Http.Json;
using FluentAssertions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;
using Threeport.Modules.Platform.Api;
using Threeport.Modules.Platform.Persistence;
using Threeport.Tests.Support;

namespace Threeport.Tests.Platform;

// GET and list answers are reused until their table commits a change. A reused answer must never be older than a
// write that finished before the read began, whichever path made the write.
public sealed class AnswerCacheTests
{
    [Test]
    public async Task UnchangedAnswers_AreReused_AndAnyApiWriteIsSeenByTheNextRead()
    {
        await using var cp = await TestControlPlane.StartAsync();
        var id = await ReconciledWidgetAsync(cp);
        var answers = cp.Services.GetRequiredService<AnswerCache>();

        // Read twice first: a read in the instant between the reconcile's commit and its settling keeps nothing.
        for (var i = 0; i < 2; i++)
        {
            await cp.GetAsync("widgets", id);
            await cp.ListAsync("widgets");
        }

        var reusedBefore = answers.Counts.Hits;
        (await cp.GetAsync("widgets", id))["Color"]!.GetValue<string>().Should().Be("red");
        (await cp.ListAsync("widgets")).Should().ContainSingle();
        answers.Counts.Hits.Should().Be(reusedBefore + 2, "nothing changed between the reads");

        (await cp.Client.PatchAsJsonAsync($"/v0/widgets/{id}", new { Color = "blue" })).EnsureSuccessStatusCode();
        (await cp.GetAsync("widgets", id))["Color"]!.GetValue<string>().Should().Be("blue");
        (await cp.ListAsync("widgets")).Single()!["Color"]!.GetValue<string>().Should().Be("blue");

        var second = (await cp.CreateWidgetAsync())["ID"]!.GetValue<long>();
        (await cp.ListAsync("widgets")).Select(w => w!["ID"]!.GetValue<long>()).Should().Equal(id, second);

        (await cp.Client.DeleteAsync($"/v0/widgets/{second}")).EnsureSuccessStatusCode();
        await cp.EventuallyGoneAsync("widgets", second);
        (await cp.ListAsync("widgets")).Select(w => w!["ID"]!.GetValue<long>()).Should().Equal(id);
    }

    [Test]
    public async Task WritesMadeOutsideSaveChanges_AreSeenByTheNextRead()
    {
        await using var cp = await TestControlPlane.StartAsync();
        var id = await ReconciledWidgetAsync(cp);
        (await cp.GetAsync("widgets", id))["Size"]!.GetValue<long>().Should().Be(0);
        (await cp.ListAsync("widgets", "color=red")).Should().ContainSingle();

        await cp.WithDbAsync(db => db.Database.ExecuteSqlAsync($"UPDATE Widget SET Size = 7, Color = 'green' WHERE ID = {id}"));
        (await cp.GetAsync("widgets", id))["Size"]!.GetValue<long>().Should().Be(7);
        (await cp.ListAsync("widgets", "color=red")).Should().BeEmpty();

        await cp.WithDbAsync(db => db.Set<Widget>().Where(w => w.ID == id).ExecuteUpdateAsync(set => set.SetProperty(w => w.Size, 8)));
        (await cp.GetAsync("widgets", id))["Size"]!.GetValue<long>().Should().Be(8);

        await cp.WithDbAsync(async db =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            await db.Database.ExecuteSqlAsync($"UPDATE Widget SET Size = 9 WHERE ID = {id}");
            await transaction.CommitAsync();
            return 0;
        });
        (await cp.GetAsync("widgets", id))["Size"]!.GetValue<long>().Should().Be(9);
    }

    [Test]
    public async Task ACommitMadeWithAdoNetAlone_IsSettled_AtEFsNextCommandOnTheConnection()
    {
        await using var cp = await TestControlPlane.StartAsync();
        var id = await ReconciledWidgetAsync(cp);
        await cp.WithDbAsync(async db =>
        {
            var connection = (Microsoft.Data.Sqlite.SqliteConnection)db.Database.GetDbConnection();
            await connection.OpenAsync();
            await using var transaction = (Microsoft.Data.Sqlite.SqliteTransaction)await connection.BeginTransactionAsync();
            await using var update = connection.CreateCommand();
            update.Transaction = transaction;
            update.CommandText = $"UPDATE Widget SET Size = 5 WHERE ID = {id}";
            await update.ExecuteNonQueryAsync();
            await transaction.CommitAsync();
            return await db.Set<Widget>().CountAsync();
        });

        var answers = cp.Services.GetRequiredService<AnswerCache>();
        (await cp.GetAsync("widgets", id))["Size"]!.GetValue<long>().Should().Be(5);
        var reused = answers.Counts.Hits;
        (await cp.GetAsync("widgets", id))["Size"]!.GetValue<long>().Should().Be(5);
        answers.Counts.Hits.Should().Be(reused + 1, "the commit was settled, so the table's answers are reused again");
    }

    [Test]
    public async Task ASecondHostOnTheSameFile_InOneProcess_SeesItsOwnWrites()
    {
        // The pool keeps native connections across hosts of one file; their hooks must report to the host using them.
        var dataDirectory = TestControlPlane.NewDataDirectory();
        var first = await TestControlPlane.StartAsync(dataDirectory);
        var id = await ReconciledWidgetAsync(first);
        // Stopped without clearing the pools (HostTeardown clears them): the second host gets the first one's handles.
        first.Client.Dispose();
        await first.App.StopAsync();
        await first.App.DisposeAsync();

        await using var second = await TestControlPlane.StartAsync(dataDirectory);
        (await second.GetAsync("widgets", id))["Size"]!.GetValue<long>().Should().Be(0);
        await second.WithDbAsync(db => db.Database.ExecuteSqlAsync($"UPDATE Widget SET Size = 3 WHERE ID = {id}"));
        (await second.GetAsync("widgets", id))["Size"]!.GetValue<long>().Should().Be(3);
    }

    // The stamp protocol itself, step by step: the race test below rarely lands inside a commit.
    [Test]
    public void AStampReadWhileACommitIsUnderWay_IsNone_AndNoStampFromBeforeTheCommitEqualsOneAfterIt()
    {
        var changes = new TableChanges();
        var clock = changes.Clock("Widget");
        var before = changes.Stamp("Widget");
        before.Should().NotBeNull();

        clock.CommitStarting();
        changes.Stamp("Widget").Should().BeNull("a query now may or may not see the commit");
        clock.CommitStarting();
        clock.CommitSettled();
        changes.Stamp("Widget").Should().BeNull("one of two commits is still under way");
        clock.CommitSettled();

        var after = changes.Stamp("Widget");
        after.Should().NotBeNull().And.NotBe(before);
        changes.Stamp("Other").Should().NotBeNull("another table's commits do not hold it back");
    }

    [Test]
    public async Task ReadsRacingWrites_NeverAnswerOlderThanAWriteThatHadReturned()
    {
        await using var cp = await TestControlPlane.StartAsync();
        var id = (await cp.CreateWidgetAsync())["ID"]!.GetValue<long>();
        long acknowledged = 0;
        var stale = new List<string>();
        using var done = new CancellationTokenSource();

        async Task ReadAsync()
        {
            while (!done.IsCancellationRequested)
            {
                var floor = Interlocked.Read(ref acknowledged);
                var seen = (await cp.GetAsync("widgets", id))["Size"]!.GetValue<long>();
                var listed = (await cp.ListAsync("widgets")).Single()!["Size"]!.GetValue<long>();
                if (seen < floor || listed < floor)
                {
                    lock (stale)
                    {
                        stale.Add($"GET {seen}, list {listed} after {floor} had been acknowledged");
                    }
                }
            }
        }

        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(ReadAsync)).ToList();
        for (var size = 1; size <= 150; size++)
        {
            (await cp.Client.PatchAsJsonAsync($"/v0/widgets/{id}", new { Size = size })).EnsureSuccessStatusCode();
            Interlocked.Exchange(ref acknowledged, size);
        }

        await done.CancelAsync();
        await Task.WhenAll(readers);
        stale.Should().BeEmpty();
        cp.Services.GetRequiredService<AnswerCache>().Counts.Hits.Should().BePositive("between writes, reads reuse answers");
    }

    // A red widget whose create has been reconciled, so no status write is still to come.
    private static async Task<long> ReconciledWidgetAsync(TestControlPlane cp)
    {
        var id = (await cp.CreateWidgetAsync(color: "red"))["ID"]!.GetValue<long>();
        await cp.EventuallyAsync("widgets", id, w => w["Reconciled"]!.GetValue<bool>());
        return id;
    }
}
