using System.Text.Json.Nodes;
using Threeport.Modules.Platform.Client;

namespace Threeport.Host.Cli.Objects;

// An object a command wrote, for `--wait`: events older than `Since` (server time of our write) are from
// earlier attempts and do not count as a failure of this one.
public sealed record TrackedObject(ApiRoute Route, long Id, string Name, DateTimeOffset Since)
{
    public string Display => $"{Route.Title} {Name}";

    public static TrackedObject From(ApiRoute route, JsonObject written, string name, DateTimeOffset fallbackNow) =>
        new(route, written.Id(), name,
            new[] { written.GetTime("UpdatedAt"), written.GetTime("DeletionScheduled"), written.GetTime("CreatedAt") }.Max() ?? fallbackNow);
}
