using System.Text.Json.Nodes;
using Threeport.Modules.Platform.Client;

namespace Threeport.Host.Cli.Objects;

public enum WriteMode
{
    Create,
    Update,
    Apply,
}

// Creates, updates or deletes the objects of one config in order, like Threeport's util.Operations: a failed
// create deletes what this run already created, in reverse, before the error is reported.
public sealed class ObjectWriter(ThreeportClient client, TextWriter output, Waiter waiter, TimeProvider time)
{
    public async Task<IReadOnlyList<TrackedObject>> WriteAsync(IReadOnlyList<ObjectSpec> specs, WriteMode mode, CancellationToken ct)
    {
        var written = new List<TrackedObject>();
        var created = new List<TrackedObject>();
        try
        {
            foreach (var spec in specs)
            {
                var existing = mode == WriteMode.Create ? null : await client.FindByNameAsync(spec.Route, spec.Name, ct);
                if (existing is null && mode == WriteMode.Update)
                {
                    throw new ThreeportApiException(System.Net.HttpStatusCode.NotFound,
                        $"{spec.Route.Title} {spec.Name} not found: create it first, or use `tptctl apply`");
                }

                var body = await ResolveAsync(spec, ct);
                if (existing is null)
                {
                    var obj = await client.CreateAsync(spec.Route, body, ct);
                    var tracked = TrackedObject.From(spec.Route, obj, spec.Name, time.GetUtcNow());
                    created.Add(tracked);
                    written.Add(tracked);
                    await output.WriteLineAsync($"Created {tracked.Display} (ID {tracked.Id})");
                    continue;
                }

                var patch = Changes(existing, body);
                if (patch.Count == 0)
                {
                    await output.WriteLineAsync($"Unchanged {spec.Route.Title} {spec.Name}");
                    written.Add(TrackedObject.From(spec.Route, existing, spec.Name, time.GetUtcNow()));
                    continue;
                }

                var fields = string.Join(", ", patch.Select(kv => kv.Key));
                var updated = await client.PatchAsync(spec.Route, existing.Id(), patch, ct);
                written.Add(TrackedObject.From(spec.Route, updated, spec.Name, time.GetUtcNow()));
                await output.WriteLineAsync($"Updated {spec.Route.Title} {spec.Name} ({fields})");
            }
        }
        catch (Exception e) when (created.Count > 0 && e is not OperationCanceledException)
        {
            await RollBackAsync(created, ct);
            throw;
        }

        return written;
    }

    // Reverse order; each object must be gone before the one it depends on is deleted (a definition with
    // instances answers 409). Composite parts missing already are skipped; all missing is "not found".
    public async Task<IReadOnlyList<TrackedObject>> DeleteAsync(IReadOnlyList<ObjectSpec> specs, TimeSpan timeout, CancellationToken ct)
    {
        var found = new List<(ObjectSpec Spec, JsonObject Obj)>();
        foreach (var spec in specs.Reverse())
        {
            if (await client.FindByNameAsync(spec.Route, spec.Name, ct) is { } obj)
            {
                found.Add((spec, obj));
            }
        }

        if (found.Count == 0)
        {
            var what = string.Join(" or ", specs.Select(s => $"{s.Route.Title} {s.Name}").Distinct());
            throw new ThreeportApiException(System.Net.HttpStatusCode.NotFound, $"{what} not found");
        }

        var deleted = new List<TrackedObject>();
        for (var i = 0; i < found.Count; i++)
        {
            var (spec, obj) = found[i];
            var answer = await client.DeleteAsync(spec.Route, obj.Id(), ct);
            var tracked = TrackedObject.From(spec.Route, answer ?? obj, spec.Name, time.GetUtcNow());
            deleted.Add(tracked);
            await output.WriteLineAsync($"Deleted {tracked.Display} (ID {tracked.Id})");
            if (i < found.Count - 1)
            {
                var result = await waiter.WaitAsync([tracked], WaitGoal.Gone, timeout, ct);
                if (!result.Succeeded)
                {
                    throw new CliException($"{tracked.Display} was not removed ({result.Message}); {found[i + 1].Spec.Route.Title} {found[i + 1].Spec.Name} was kept", result.ExitCode);
                }
            }
        }

        return deleted;
    }

    // How long a rollback waits for each object to be torn down, so a retry can reuse the names at once.
    private static readonly TimeSpan RollbackTimeout = TimeSpan.FromSeconds(60);

    private async Task RollBackAsync(List<TrackedObject> created, CancellationToken ct)
    {
        foreach (var obj in Enumerable.Reverse(created))
        {
            try
            {
                await client.DeleteAsync(obj.Route, obj.Id, ct);
                var gone = await waiter.WaitAsync([obj], WaitGoal.Gone, RollbackTimeout, ct, report: false);
                await output.WriteLineAsync(gone.Succeeded
                    ? $"Rolled back: deleted {obj.Display} (ID {obj.Id})"
                    : $"Rolled back: deletion of {obj.Display} (ID {obj.Id}) is scheduled but not finished ({gone.Message})");
            }
            catch (Exception e) when (e is ThreeportApiException or ThreeportUnreachableException)
            {
                // The original error is what the user needs; this line tells them what is left behind.
                await output.WriteLineAsync($"Rollback failed: {obj.Display} (ID {obj.Id}) is left behind: {e.Message}");
            }
        }
    }

    private async Task<JsonObject> ResolveAsync(ObjectSpec spec, CancellationToken ct)
    {
        var body = spec.Body();
        foreach (var reference in spec.References)
        {
            var target = await client.FindByNameAsync(reference.Target, reference.Name, ct)
                ?? throw new ThreeportApiException(System.Net.HttpStatusCode.NotFound,
                    $"{reference.Target.Title} {reference.Name} not found (referenced by {spec.Route.Title} {spec.Name})");
            body[reference.Field] = target.Id();
        }

        return body;
    }

    // Only fields whose value differs go into the PATCH, so an unchanged apply is a no-op on the server too.
    internal static JsonObject Changes(JsonObject existing, JsonObject desired)
    {
        var patch = new JsonObject();
        foreach (var (key, value) in desired)
        {
            if (key != "Name" && !JsonNode.DeepEquals(existing[key], value))
            {
                patch[key] = value?.DeepClone();
            }
        }

        return patch;
    }
}
