using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Threeport.Modules.Platform.Objects;
using Threeport.Modules.Platform.Outbox;
using Threeport.Modules.Platform.Persistence;

namespace Threeport.Modules.Bench;

// Routes only `tptctl bench` calls: read measurements back, run the in-process baselines, and serve canned
// bytes as the bare endpoint the API is compared with. Times are microseconds on this process's Stopwatch.
internal static class BenchEndpoints
{
    private static readonly TimeSpan WaitLimit = TimeSpan.FromMinutes(5);

    public static void Map(IEndpointRouteBuilder app)
    {
        var bench = app.MapGroup("/bench").ExcludeFromDescription();
        bench.MapPost("/reset", (BenchRecorder recorder) =>
        {
            recorder.Reset();
            return Results.NoContent();
        });
        bench.MapGet("/latencies", (BenchRecorder recorder) => Results.Json(recorder.LatencyMicroseconds()));
        bench.MapGet("/objects/{id:long}", ObjectStats);
        bench.MapGet("/allocated", () => Results.Json(GC.GetTotalAllocatedBytes(precise: true)));
        bench.MapGet("/reconciled/{type}/{id:long}", WaitReconciledAsync);
        bench.MapPost("/throughput", ThroughputAsync);
        bench.MapPost("/baselines/channel", ChannelBaselineAsync);
        bench.MapPost("/baselines/sqlite", SqliteBaselineAsync);
        bench.MapPut("/bare/{name}", async (string name, HttpRequest request, BareResponses bare) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            bare.Set(name, body.ToArray());
            return Results.NoContent();
        });
        bench.MapGet("/bare/{name}", (string name, BareResponses bare) =>
            bare.Get(name) is { } body ? Results.Bytes(body, "application/json; charset=utf-8") : Results.NotFound());
        bench.MapPost("/bare/{name}", async (string name, HttpRequest request, BareResponses bare) =>
        {
            // Reads the body as the real create does, then answers the canned bytes.
            await request.Body.CopyToAsync(Stream.Null);
            if (bare.Get(name) is not { } body)
            {
                return Results.NotFound();
            }

            request.HttpContext.Response.StatusCode = StatusCodes.Status201Created;
            return Results.Bytes(body, "application/json; charset=utf-8");
        });
    }

    private static double Micros(long ticks) => ticks * 1_000_000.0 / Stopwatch.Frequency;

    private static IResult ObjectStats(long id, BenchRecorder recorder)
    {
        var reconciled = recorder.ReconciledOf(new ObjectKey(nameof(BenchObject), id));
        return Results.Json(new
        {
            Invocations = recorder.InvocationsOf(id),
            LastCommitMicros = recorder.LastCommitOf(id) is { } commit ? Micros(commit) : (double?)null,
            ReconciledGeneration = reconciled?.Generation,
            ReconciledMicros = reconciled is { } r ? Micros(r.At) : (double?)null,
        });
    }

    // Long poll: answers when the host committed Reconciled=true for `generation` (default 1) of the object.
    private static async Task<IResult> WaitReconciledAsync(string type, long id, long? generation, BenchRecorder recorder, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(WaitLimit);
        var at = await recorder.WaitReconciledAsync(new ObjectKey(type, id), generation ?? 1, limit.Token);
        return Results.Json(new { ReconciledMicros = Micros(at) });
    }

    // Pipeline throughput without the API: `count` objects and their outbox rows are stored in one transaction,
    // the dispatcher is told as the API would tell it, and the clock runs until every status is committed.
    private static async Task<IResult> ThroughputAsync(int count, IDbContextFactory<ThreeportDb> dbFactory, NotificationDispatcher dispatcher, BenchRecorder recorder, TimeProvider time, CancellationToken ct)
    {
        var prefix = $"tp-{Guid.NewGuid():N}"[..15];
        var ids = new List<long>(count);
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            var connection = (SqliteConnection)db.Database.GetDbConnection();
            await db.Database.OpenConnectionAsync(ct);
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText =
                """
                INSERT INTO BenchObject (Name, Generation, Reconciled, CreationFailed, InterruptReconciliation) VALUES ($name, 1, 0, 0, 0);
                INSERT INTO OutboxMessages (ObjectType, ObjectId, Operation, CreatedAt, AvailableAt, Attempt, Sequence)
                VALUES ('BenchObject', last_insert_rowid(), 'Created', $now, $now, 0, 1)
                RETURNING ObjectId;
                """;
            var name = insert.Parameters.Add("$name", SqliteType.Text);
            var now = insert.Parameters.Add("$now", SqliteType.Integer);
            now.Value = time.GetUtcNow().ToUnixTimeMilliseconds();
            for (var i = 0; i < count; i++)
            {
                name.Value = $"{prefix}-{i}";
                ids.Add((long)(await insert.ExecuteScalarAsync(ct))!);
            }

            await transaction.CommitAsync(ct);
        }

        var done = recorder.ExpectReconciles(count);
        var started = Stopwatch.GetTimestamp();
        var dueAt = time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var id in ids)
        {
            dispatcher.Committed(new ObjectKey(nameof(BenchObject), id), dueAt);
        }

        await done.WaitAsync(WaitLimit, ct);
        return Results.Json(new { Count = count, Stopwatch.GetElapsedTime(started).TotalSeconds });
    }

    // The floor under notification latency: one write to a Channel and a waiting reader waking up for it.
    private static async Task<IResult> ChannelBaselineAsync(int count, CancellationToken ct)
    {
        var channel = Channel.CreateBounded<long>(new BoundedChannelOptions(64) { SingleReader = true, SingleWriter = true });
        var acks = Channel.CreateUnbounded<bool>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var samples = new long[count];
        var reader = Task.Run(
            async () =>
            {
                for (var i = 0; i < count; i++)
                {
                    var sent = await channel.Reader.ReadAsync(ct);
                    samples[i] = Stopwatch.GetTimestamp() - sent;
                    acks.Writer.TryWrite(true);
                }
            },
            ct);
        for (var i = 0; i < count; i++)
        {
            await channel.Writer.WriteAsync(Stopwatch.GetTimestamp(), ct);
            await acks.Reader.ReadAsync(ct);
        }

        await reader;
        return Results.Json(samples.Select(Micros).ToArray());
    }

    // The ceiling for reconciles: one-row write transactions per second on the same database file, same pragmas.
    private static async Task<IResult> SqliteBaselineAsync(int count, IDbContextFactory<ThreeportDb> dbFactory, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var connection = (SqliteConnection)db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        await using (var create = connection.CreateCommand())
        {
            create.CommandText = "CREATE TABLE IF NOT EXISTS BenchCommit (ID INTEGER PRIMARY KEY AUTOINCREMENT, At INTEGER NOT NULL)";
            await create.ExecuteNonQueryAsync(ct);
        }

        await using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO BenchCommit (At) VALUES ($at)";
        var at = insert.Parameters.Add("$at", SqliteType.Integer);
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
            insert.Transaction = transaction;
            at.Value = Stopwatch.GetTimestamp();
            await insert.ExecuteNonQueryAsync(ct);
            await transaction.CommitAsync(ct);
        }

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        await using (var drop = connection.CreateCommand())
        {
            drop.CommandText = "DELETE FROM BenchCommit";
            await drop.ExecuteNonQueryAsync(ct);
        }

        return Results.Json(new { Count = count, TotalSeconds = seconds });
    }
}
