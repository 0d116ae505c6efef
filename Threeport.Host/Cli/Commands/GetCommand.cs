using System.CommandLine;
using Threeport.Host.Cli.Objects;
using Threeport.Host.Cli.Output;

namespace Threeport.Host.Cli.Commands;

// `tptctl get <plural>`: a table of objects, or the API objects with -o json|yaml.
public sealed class GetCommand : Command
{
    public static readonly Option<string?> WorkloadInstance = new("--workload-instance-name")
    {
        Description = "Only events of this workload instance",
    };

    private readonly CliContext _context;

    public GetCommand(CliContext context)
        : base("get", Help.WithExamples("Show a table of Threeport objects.", "tptctl get workloads", "tptctl get workload-instances -o json"))
    {
        _context = context;
        foreach (var kind in ObjectKind.All)
        {
            Subcommands.Add(Noun(kind.Plural, kind.Singular, $"Show {kind.Title}s.", $"tptctl get {kind.Plural}", $"tptctl get {kind.Plural} -o yaml"));
        }

        Subcommands.Add(Noun("events", "event", "Show events the reconcilers recorded.", "tptctl get events", "tptctl get events -o json"));
        var workloadEvents = Noun("workload-events", "workload-event", "Show events of workload instances (from their Kubernetes resources).",
            "tptctl get workload-events", "tptctl get workload-events --workload-instance-name wordpress");
        workloadEvents.Options.Add(WorkloadInstance);
        Subcommands.Add(workloadEvents);
    }

    public async Task<int> ExecuteAsync(string plural, ParseResult parseResult, CancellationToken ct)
    {
        var (client, _) = await CommandAction.ConnectAsync(parseResult, _context, ct);
        var listing = await ObjectListings.ListAsync(plural, client, _context.Time.GetUtcNow(), parseResult.GetValue(WorkloadInstance), ct);
        var format = parseResult.GetValue(ObjectOptions.Output);
        if (format != OutputFormat.Plain)
        {
            StructuredOutput.Write(_context.Out, listing.Objects, format);
        }
        else if (listing.Table.Rows.Count == 0)
        {
            await _context.Out.WriteLineAsync($"No {plural.Replace('-', ' ')} found");
        }
        else
        {
            listing.Table.WriteTo(_context.Out);
        }

        return ExitCodes.Success;
    }

    private Command Noun(string plural, string singular, string description, params string[] examples)
    {
        var command = new Command(plural, Help.WithExamples(description, examples)) { ObjectOptions.Output };
        command.Aliases.Add(singular);
        CommandAction.Set(command, _context, (parseResult, ct) => ExecuteAsync(plural, parseResult, ct));
        return command;
    }
}
