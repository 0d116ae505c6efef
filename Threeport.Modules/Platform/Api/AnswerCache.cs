using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Threeport.Modules.Platform.Persistence;

namespace Threeport.Modules.Platform.Api;

// Serialized answers to GET by id and list, reused until their table commits a change (what Kubernetes' API server
// does with its watch cache, here with exact invalidation: see TableChanges). Pollers and dashboards read far more
// often than objects change; a reused answer skips the query, EF's materializer and JSON.
// Bounded: when full it starts over, which is cheaper than tracking recency on every hit.
public sealed class AnswerCache(TableChanges changes, IOptions<PlatformSettings> settings)
{
    private const int MaxAnswers = 4096;
    private const long MaxBytes = 64L * 1024 * 1024;
    private const int MaxAnswerBytes = 1024 * 1024;

    private readonly ConcurrentDictionary<AnswerKey, Answer> answers = new();
    private readonly bool enabled = settings.Value.ReuseAnswers;
    private long bytes;
    private long hits;
    private long misses;

    public (long Hits, long Misses) Counts => (Interlocked.Read(ref hits), Interlocked.Read(ref misses));

    // The stamp to read under, taken before the query; null when answers of this table cannot be reused now.
    public long? StampOf(string table) => enabled ? changes.Stamp(table) : null;

    public bool TryGet(AnswerKey key, long? stamp, out byte[] body)
    {
        if (stamp is not null && answers.TryGetValue(key, out var answer) && answer.Stamp == stamp)
        {
            Interlocked.Increment(ref hits);
            body = answer.Body;
            return true;
        }

        Interlocked.Increment(ref misses);
        body = [];
        return false;
    }

    public void Put(AnswerKey key, long? stamp, byte[] body)
    {
        if (stamp is null || body.Length > MaxAnswerBytes)
        {
            return;
        }

        if (answers.Count >= MaxAnswers || Interlocked.Read(ref bytes) + body.Length > MaxBytes)
        {
            answers.Clear();
            Interlocked.Exchange(ref bytes, 0);
        }

        if (answers.TryGetValue(key, out var replaced))
        {
            Interlocked.Add(ref bytes, -replaced.Body.Length);
        }

        answers[key] = new Answer(stamp.Value, body);
        Interlocked.Add(ref bytes, body.Length);
    }

    private sealed record Answer(long Stamp, byte[] Body);
}

// One object (Query null) or one list query (Query is the request's query string) of one object type.
public readonly record struct AnswerKey(string Type, long Id, string? Query);
