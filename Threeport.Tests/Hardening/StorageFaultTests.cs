using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Threeport.Modules.Platform.Persistence;

namespace Threeport.Tests.Hardening;

// Issue 7: a busy database is waited out; busy beyond the timeout, disk full and read-only answer 503 with what
// to do and leave nothing half-written; a corrupt database or an unusable data directory stops start-up with one
// sentence.
[NonParallelizable]
public sealed class StorageFaultTests
{
    private const int SqliteFull = 13;
    private const int SqliteReadOnly = 8;

    [Test]
    public async Task Write_WhileAnotherConnectionHoldsTheWriteLock_WaitsAndSucceeds()
    {
        await using var cp = await HardenedControlPlane.StartAsync(settings: HardenedControlPlane.NoReconcilers());
        await using var other = new SqliteConnection($"Data Source={cp.DatabasePath};Pooling=False");
        await other.OpenAsync();
        await using (var begin = other.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE";
            await begin.ExecuteNonQueryAsync();
        }

        var create = cp.Client.PostAsJsonAsync("/v0/widgets", new { Name = "waits-for-lock" });
        var held = await Task.WhenAny(create, Task.Delay(TimeSpan.FromSeconds(2))) != create;
        await using (var commit = other.CreateCommand())
        {
            commit.CommandText = "COMMIT";
            await commit.ExecuteNonQueryAsync();
        }

        held.Should().BeTrue("the write waits while the lock is held");
        var response = await create.WaitAsync(TimeSpan.FromSeconds(30));
        response.StatusCode.Should().Be(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    [Test]
    public async Task Write_WhenTheLockIsHeldBeyondTheBusyTimeout_Returns503_AndWritesNothing()
    {
        var settings = HardenedControlPlane.NoReconcilers();
        settings["Threeport:Database:BusyTimeout"] = "00:00:01";
        await using var cp = await HardenedControlPlane.StartAsync(settings: settings);
        var before = await DatabaseSnapshot.TakeAsync(cp.DatabasePath);
        await using var other = new SqliteConnection($"Data Source={cp.DatabasePath};Pooling=False");
        await other.OpenAsync();
        await using (var begin = other.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE";
            await begin.ExecuteNonQueryAsync();
        }

        var response = await cp.Client.PostAsJsonAsync("/v0/widgets", new { Name = "gives-up" });
        await using (var rollback = other.CreateCommand())
        {
            rollback.CommandText = "ROLLBACK";
            await rollback.ExecuteNonQueryAsync();
        }

        var answer = await EnvelopeAsync(response);
        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        answer.Error.Should().Contain("busy").And.Contain("retry");
        response.Headers.RetryAfter.Should().NotBeNull();
        (await DatabaseSnapshot.TakeAsync(cp.DatabasePath)).Should().Be(before);
    }

    [Test]
    public async Task Creates_SavedInOneGroup_WhenTheDiskFillsUp_AllReturn503_AndWriteNothing()
    {
        // The creates queue behind a held write gate and are saved as one group, whose first write fails.
        var faults = new SqliteFaultInjector();
        await using var cp = await HardenedControlPlane.StartAsync(settings: HardenedControlPlane.NoReconcilers(), interceptors: [faults]);
        var before = await DatabaseSnapshot.TakeAsync(cp.DatabasePath);
        var names = Enumerable.Range(0, 10).Select(i => $"grouped-{i}").ToList();
        foreach (var response in await Support.WritesBehindTheGate.CreateAsync(cp.Services, cp.Client, names, () => faults.FailWrite(SqliteFull, 1)))
        {
            var answer = await EnvelopeAsync(response);
            response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable, answer.Error);
            answer.Error.Should().Contain("full").And.Contain("nothing was written");
        }

        faults.Injected.Should().Be(1, "the group failed once, for all of its writers");
        (await DatabaseSnapshot.TakeAsync(cp.DatabasePath)).Should().Be(before);
    }

    public static IEnumerable<TestCaseData> WriteFaults()
    {
        foreach (var (code, name, message) in new[] { (SqliteFull, "DiskFull", "full"), (SqliteReadOnly, "ReadOnly", "read-only") })
        {
            foreach (var operation in new[] { "POST", "PATCH", "PUT", "DELETE" })
            {
                // 1: the object's own statement; 2: its outbox row, in the same transaction.
                foreach (var nth in new[] { 1, 2 })
                {
                    yield return new TestCaseData(code, operation, nth, message).SetName($"{operation}_When{name}AtWrite{nth}_Returns503_AndWritesNothing");
                }
            }
        }
    }

    [TestCaseSource(nameof(WriteFaults))]
    public async Task Write_WhenStorageFails_Returns503_AndWritesNothing(int code, string operation, int nth, string message)
    {
        var faults = new SqliteFaultInjector();
        await using var cp = await HardenedControlPlane.StartAsync(settings: HardenedControlPlane.NoReconcilers(), interceptors: [faults]);
        var created = await cp.Client.PostAsJsonAsync("/v0/widgets", new { Name = "existing", Color = "red" });
        var id = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["Data"]![0]!["ID"]!.GetValue<long>();
        var before = await DatabaseSnapshot.TakeAsync(cp.DatabasePath);

        faults.FailWrite(code, nth);
        var response = operation switch
        {
            "POST" => await cp.Client.PostAsJsonAsync("/v0/widgets", new { Name = "new-one", Color = "blue" }),
            "PATCH" => await cp.Client.PatchAsJsonAsync($"/v0/widgets/{id}", new { Color = "blue" }),
            "PUT" => await cp.Client.PutAsJsonAsync($"/v0/widgets/{id}", new { Name = "existing", Color = "green" }),
            _ => await cp.Client.DeleteAsync($"/v0/widgets/{id}"),
        };
        faults.Disarm();

        var answer = await EnvelopeAsync(response);
        faults.Injected.Should().Be(1);
        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable, answer.Error);
        answer.Error.Should().Contain(message).And.Contain("nothing was written");
        (await DatabaseSnapshot.TakeAsync(cp.DatabasePath)).Should().Be(before);
        cp.Logs.Lines.Should().NotContain(l => l.Contains("unexpected error", StringComparison.Ordinal), "a storage fault is not an unexpected error");

        // Once the fault is gone the same request goes through.
        var retried = operation == "POST" ? await cp.Client.PostAsJsonAsync("/v0/widgets", new { Name = "new-one", Color = "blue" }) : await cp.Client.GetAsync($"/v0/widgets/{id}");
        retried.IsSuccessStatusCode.Should().BeTrue();
    }

    [Test]
    public async Task Start_WhenTheDatabaseFileIsRandomBytes_FailsWithOneClearMessage()
    {
        var dir = Support.TestControlPlane.NewDataDirectory();
        await File.WriteAllBytesAsync(Path.Combine(dir, "threeport.db"), new Random(7).GetItems<byte>(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray(), 8192));

        var failure = await HardenedControlPlane.StartupFailureAsync(dir);

        failure.Should().BeOfType<StartupException>();
        failure.Message.Should().Contain("threeport.db").And.Contain("cannot be used").And.Contain("backup").And.NotContain("\n");
    }

    [Test]
    public async Task Start_WhenTheDataDirectoryIsAFile_FailsWithOneClearMessage()
    {
        var file = Path.Combine(Support.TestControlPlane.NewDataDirectory(), "not-a-directory");
        await File.WriteAllTextAsync(file, "");

        var failure = await HardenedControlPlane.StartupFailureAsync(file);

        failure.Should().BeOfType<StartupException>();
        failure.Message.Should().Contain(file).And.Contain("not writable").And.NotContain("\n");
    }

    [Test]
    public async Task Start_WhenTheDataDirectoryIsReadOnly_FailsWithOneClearMessage()
    {
        if (OperatingSystem.IsWindows() || Environment.UserName == "root")
        {
            Assert.Ignore("root writes to read-only folders; Windows has no Unix modes");
            return;
        }

        var dir = Support.TestControlPlane.NewDataDirectory();
        File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        try
        {
            var failure = await HardenedControlPlane.StartupFailureAsync(dir);

            failure.Should().BeOfType<StartupException>();
            failure.Message.Should().Contain("not writable").And.NotContain("\n");
        }
        finally
        {
            File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private static async Task<Support.ApiResponse> EnvelopeAsync(HttpResponseMessage response) => await Support.ApiResponse.ReadAsync(response);
}
