using System.CommandLine;
using Threeport.Host.Cli.Objects;

namespace Threeport.Host.Cli.Commands;

// `tptctl delete <singular> -n NAME | -c FILE [--wait]`. Reconciled objects are deleted in two phases: the
// API schedules deletion and the reconciler removes the object once it tore down what it made.
public sealed class DeleteCommand : Command
{
    private readonly CliContext _context;

    public DeleteCommand(CliContext context)
        : base("delete", Help.WithExamples("Delete objects by name or config file.",
            "tptctl delete workload -n wordpress --wait", "tptctl delete -c wordpress-workload-local.yaml"))
    {
        _context = context;
        Options.Add(ObjectOptions.Config);
        Options.Add(ObjectOptions.Wait);
        Options.Add(ObjectOptions.Timeout);
        CommandAction.Set(this, context, (parseResult, ct) => ExecuteAsync(null, parseResult, ct));
        foreach (var kind in ObjectKind.All)
        {
            var noun = new Command(kind.Singular, Help.WithExamples(
                $"Delete a {kind.Title}{(kind.IsComposite ? " (its instance first, then its definition)" : "")}.",
                $"tptctl delete {kind.Singular} -n {kind.SampleName}",
                $"tptctl delete {kind.Singular} -c {kind.SampleConfig} --wait"))
            {
                ObjectOptions.Name, ObjectOptions.Config, ObjectOptions.Wait, ObjectOptions.Timeout,
            };
            CommandAction.Set(noun, context, (parseResult, ct) => ExecuteAsync(kind, parseResult, ct));
            Subcommands.Add(noun);
        }
    }

    public async Task<int> ExecuteAsync(ObjectKind? kind, ParseResult parseResult, CancellationToken ct)
    {
        IReadOnlyList<ObjectSpec> specs;
        if (kind is null)
        {
            var path = parseResult.GetValue(ObjectOptions.Config)
                ?? throw new CliException("give what to delete: `tptctl delete <kind> -n NAME` or `tptctl delete -c FILE`", ExitCodes.Usage);
            specs = ObjectOptions.ReadConfig(path, null, "delete").Specs;
        }
        else
        {
            specs = ObjectOptions.Select(parseResult, kind, "delete");
        }

        var timeout = ObjectOptions.GetDuration(parseResult, ObjectOptions.Timeout);
        var (client, _) = await CommandAction.ConnectAsync(parseResult, _context, ct);
        var waiter = WriteCommands.NewWaiter(_context, client);
        var deleted = await new ObjectWriter(client, _context.Out, waiter, _context.Time).DeleteAsync(specs, timeout, ct);
        return parseResult.GetValue(ObjectOptions.Wait)
            ? await WriteCommands.WaitAsync(_context, waiter, deleted, WaitGoal.Gone, timeout, ct)
            : ExitCodes.Success;
    }
}
