using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Threeport.Host.Cli.Objects;
using Threeport.Host.Cli.Output;
using Threeport.Modules.Platform.Client;

namespace Threeport.Host.Cli.Commands;

// `tptctl describe <singular> -n NAME | -c FILE [-o json|yaml] [-f Field]`.
public sealed class DescribeCommand : Command
{
    private readonly CliContext _context;

    public DescribeCommand(CliContext context)
        : base("describe", Help.WithExamples("Show the details of one object.",
            "tptctl describe workload -n wordpress", "tptctl describe workload-instance -n wordpress-01 -f Status"))
    {
        _context = context;
        foreach (var kind in ObjectKind.All)
        {
            var noun = new Command(kind.Singular, Help.WithExamples($"Show the details of a {kind.Title}.",
                $"tptctl describe {kind.Singular} -n {kind.SampleName}",
                $"tptctl describe {kind.Singular} -c {kind.SampleConfig} -o yaml",
                $"tptctl describe {kind.Singular} -n {kind.SampleName} -f {(kind.Parts[^1] == ApiRoute.WorkloadDefinitions ? "YAMLDocument" : "Reconciled")}"))
            {
                ObjectOptions.Name, ObjectOptions.Config, ObjectOptions.Output, ObjectOptions.Field,
            };
            noun.Aliases.Add(kind.Plural);
            CommandAction.Set(noun, context, (parseResult, ct) => ExecuteAsync(kind, parseResult, ct));
            Subcommands.Add(noun);
        }
    }

    public async Task<int> ExecuteAsync(ObjectKind kind, ParseResult parseResult, CancellationToken ct)
    {
        var specs = ObjectOptions.Select(parseResult, kind, "describe");
        var (client, _) = await CommandAction.ConnectAsync(parseResult, _context, ct);
        var found = new List<(ObjectSpec Spec, JsonObject Obj)>();
        foreach (var spec in specs)
        {
            if (await client.FindByNameAsync(spec.Route, spec.Name, ct) is { } obj)
            {
                found.Add((spec, obj));
            }
        }

        if (found.Count == 0)
        {
            throw new ThreeportApiException(System.Net.HttpStatusCode.NotFound,
                $"{kind.Title} {string.Join(", ", specs.Select(s => s.Name).Distinct())} not found");
        }

        if (parseResult.GetValue(ObjectOptions.Field) is { } field)
        {
            return await WriteFieldAsync(found, field);
        }

        var format = parseResult.GetValue(ObjectOptions.Output);
        if (format != OutputFormat.Plain)
        {
            JsonNode node = found.Count == 1 && !kind.IsComposite
                ? found[0].Obj
                : new JsonObject(found.OrderBy(f => specs.ToList().IndexOf(f.Spec)).Select(f => KeyValuePair.Create(f.Spec.Route.Type, (JsonNode?)f.Obj.DeepClone())));
            StructuredOutput.Write(_context.Out, node, format);
            return ExitCodes.Success;
        }

        foreach (var (spec, obj) in found.OrderBy(f => specs.ToList().IndexOf(f.Spec)))
        {
            await WritePlainAsync(spec.Route, obj);
            await WriteEventsAsync(client, spec.Route, obj, ct);
        }

        return ExitCodes.Success;
    }

    private async Task<int> WriteFieldAsync(List<(ObjectSpec Spec, JsonObject Obj)> found, string field)
    {
        // Instance first: for a composite, Status and the like live on the instance.
        foreach (var (_, obj) in Enumerable.Reverse(found))
        {
            var key = obj.Select(kv => kv.Key).FirstOrDefault(k => k.Equals(field, StringComparison.OrdinalIgnoreCase));
            if (key is null)
            {
                continue;
            }

            var value = obj[key];
            await _context.Out.WriteLineAsync(value is JsonValue v && v.GetValueKind() == JsonValueKind.String
                ? v.GetValue<string>().TrimEnd('\n')
                : value?.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) ?? "");
            return ExitCodes.Success;
        }

        var fields = found.SelectMany(f => f.Obj.Select(kv => kv.Key)).Distinct().Order(StringComparer.Ordinal);
        throw new CliException($"no field {field}; fields are: {string.Join(", ", fields)}", ExitCodes.Usage);
    }

    private async Task WritePlainAsync(ApiRoute route, JsonObject obj)
    {
        await _context.Out.WriteLineAsync($"{route.Type} {obj.Name()}");
        var rows = obj.Where(kv => kv.Value is not null && kv.Key != "Name").ToList();
        var width = rows.Select(r => r.Key.Length).DefaultIfEmpty(0).Max() + 1;
        foreach (var (key, value) in rows)
        {
            var text = value switch
            {
                JsonValue v when v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Contains('\n') =>
                    $"<{v.GetValue<string>().TrimEnd('\n').Split('\n').Length} lines: show with -f {key}>",
                JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
                JsonArray a => $"<{a.Count} items: show with -o yaml>",
                JsonObject => "<object: show with -o yaml>",
                _ => value!.ToJsonString(),
            };
            await _context.Out.WriteLineAsync($"  {(key + ":").PadRight(width)} {text}");
        }

        if (route == ApiRoute.WorkloadInstances && obj["Status"] is null)
        {
            await _context.Out.WriteLineAsync($"  {"Status:".PadRight(width)} {ObjectListings.InstanceStatus(obj)}");
        }
    }

    private async Task WriteEventsAsync(ThreeportClient client, ApiRoute route, JsonObject obj, CancellationToken ct)
    {
        var id = obj.Id().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var now = _context.Time.GetUtcNow();
        var table = new Table("TYPE", "REASON", "AGE", "MESSAGE");
        var events = (await ObjectListings.ListFilteredAsync(client, ApiRoute.Events, "objectid", id, ct))
            .Where(e => e.GetString("ObjectID") == id && (e.GetString("ObjectType") ?? "").EndsWith(route.Type, StringComparison.Ordinal))
            .Select(e => (Time: e.GetTime("LastObservedTime") ?? e.GetTime("EventTime"), e.GetString("Type"), e.GetString("Reason"), Message: e.GetString("Note")));
        if (route == ApiRoute.WorkloadInstances)
        {
            events = events.Concat((await ObjectListings.ListFilteredAsync(client, ApiRoute.WorkloadEvents, "workloadinstanceid", id, ct))
                .Where(e => e.GetString("WorkloadInstanceID") == id)
                .Select(e => (Time: e.GetTime("Timestamp"), e.GetString("Type"), e.GetString("Reason"), Message: e.GetString("Message"))));
        }

        // The latest ten, oldest first, like kubectl describe.
        var latest = events.OrderBy(e => e.Time).TakeLast(10).ToList();
        if (latest.Count == 0)
        {
            return;
        }

        await _context.Out.WriteLineAsync("  Events:");
        foreach (var e in latest)
        {
            table.Add(e.Item2, e.Item3, Age.Since(e.Time, now), e.Message);
        }

        var text = new StringWriter();
        table.WriteTo(text);
        foreach (var line in text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            await _context.Out.WriteLineAsync("    " + line);
        }
    }
}
