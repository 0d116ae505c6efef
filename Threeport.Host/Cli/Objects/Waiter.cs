using System.Net;
using System.Text.Json.Nodes;
using Threeport.Modules.Platform.Client;

namespace Threeport.Host.Cli.Objects;

public enum WaitGoal
{
    Reconciled,
    Gone,
}

public sealed record WaitResult(bool Succeeded, int ExitCode, string Message)
{
    public static readonly WaitResult Done = new(true, ExitCodes.Success, "done");
}

// `--wait`: polls each object until it is reconciled (or gone, for delete), failed, or the timeout passes.
// Failed = CreationFailed, or a Warning/Failed Event or WorkloadEvent about the object since our write.
public sealed class Waiter(ThreeportClient client, Progress progress, TimeProvider time, TimeSpan pollInterval)
{
    private static readonly HashSet<string> FailureTypes = new(StringComparer.OrdinalIgnoreCase) { "Warning", "Failed" };

    private bool _eventFilterUnsupported;

    public async Task<WaitResult> WaitAsync(IReadOnlyList<TrackedObject> objects, WaitGoal goal, TimeSpan timeout, CancellationToken ct, bool report = true)
    {
        var deadline = time.GetUtcNow() + timeout;
        var pending = objects.ToList();
        var states = objects.ToDictionary(o => o, _ => "waiting");
        while (true)
        {
            foreach (var obj in pending.ToList())
            {
                var (state, finished, failure) = await ProbeAsync(obj, goal, ct);
                states[obj] = state;
                if (report)
                {
                    progress.Report(obj.Display, state);
                }

                if (failure is not null)
                {
                    progress.Complete();
                    return new WaitResult(false, ExitCodes.WaitFailed, $"{obj.Display} failed: {failure}");
                }

                if (finished)
                {
                    pending.Remove(obj);
                }
            }

            if (pending.Count == 0)
            {
                progress.Complete();
                return WaitResult.Done;
            }

            var left = deadline - time.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                progress.Complete();
                var last = string.Join("; ", pending.Select(o => $"{o.Display} is {states[o]}"));
                return new WaitResult(false, ExitCodes.WaitTimedOut, $"timed out after {Duration.Format(timeout)}: {last}");
            }

            await Task.Delay(left < pollInterval ? left : pollInterval, time, ct);
        }
    }

    private async Task<(string State, bool Finished, string? Failure)> ProbeAsync(TrackedObject tracked, WaitGoal goal, CancellationToken ct)
    {
        JsonObject obj;
        try
        {
            obj = await client.GetAsync(tracked.Route, tracked.Id, ct);
        }
        catch (ThreeportApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return goal == WaitGoal.Gone ? ("deleted", true, null) : ("gone", false, "it was deleted while waiting");
        }

        if (obj.GetBool("CreationFailed"))
        {
            return ("failed", false, "creation failed" + await LatestFailureSuffixAsync(tracked, ct));
        }

        if (await LatestFailureAsync(tracked, ct) is { } failure)
        {
            return ("failed", false, failure);
        }

        if (goal == WaitGoal.Gone)
        {
            return ("deleting", false, null);
        }

        var reconciled = obj.GetBool("Reconciled");
        var status = obj.GetString("Status");
        var state = reconciled ? status is { Length: > 0 } && status != "Reconciling" ? $"reconciled ({status})" : "reconciled" : status is { Length: > 0 } ? status : "reconciling";
        return (state, reconciled, null);
    }

    private async Task<string> LatestFailureSuffixAsync(TrackedObject tracked, CancellationToken ct) =>
        await LatestFailureAsync(tracked, ct) is { } reason ? ": " + reason : "";

    private async Task<string?> LatestFailureAsync(TrackedObject tracked, CancellationToken ct)
    {
        var events = await EventsAsync(tracked, ct);
        var failure = events
            .Where(e => FailureTypes.Contains(e.GetString("Type") ?? "")
                && (e.GetTime("LastObservedTime") ?? e.GetTime("EventTime") ?? e.GetTime("Timestamp") ?? e.GetTime("CreatedAt")) >= tracked.Since)
            .OrderBy(e => e.GetTime("LastObservedTime") ?? e.GetTime("EventTime") ?? e.GetTime("Timestamp"))
            .LastOrDefault();
        return failure is null ? null : $"{failure.GetString("Reason")}: {failure.GetString("Note") ?? failure.GetString("Message")}".Trim(' ', ':');
    }

    private async Task<IEnumerable<JsonObject>> EventsAsync(TrackedObject tracked, CancellationToken ct)
    {
        var events = (await ListFilteredAsync(ApiRoute.Events, "objectid", tracked.Id, ct))
            .Where(e => e.GetLong("ObjectID") == tracked.Id
                && (e.GetString("ObjectType") ?? "").EndsWith(tracked.Route.Type, StringComparison.Ordinal));
        if (tracked.Route == ApiRoute.WorkloadInstances)
        {
            var workloadEvents = (await ListFilteredAsync(ApiRoute.WorkloadEvents, "workloadinstanceid", tracked.Id, ct))
                .Where(e => e.GetLong("WorkloadInstanceID") == tracked.Id);
            events = events.Concat(workloadEvents);
        }

        return events.ToList();
    }

    // A server that rejects the filter still lets us filter on our side.
    private async Task<IReadOnlyList<JsonObject>> ListFilteredAsync(ApiRoute route, string filter, long id, CancellationToken ct)
    {
        if (!_eventFilterUnsupported)
        {
            try
            {
                return await client.ListAsync(route, new Dictionary<string, string> { [filter] = id.ToString(System.Globalization.CultureInfo.InvariantCulture) }, ct);
            }
            catch (ThreeportApiException e) when (e.StatusCode == HttpStatusCode.BadRequest)
            {
                _eventFilterUnsupported = true;
            }
        }

        return await client.ListAsync(route, null, ct);
    }
}
