using System.CommandLine;
using Threeport.Host.Cli.Objects;
using Threeport.Modules.Platform.Client;

namespace Threeport.Host.Cli.Commands;

// Shared by create, update and apply: `<verb> <singular> -c FILE` or `<verb> -c FILE` (the kind comes from the
// file), optionally `--wait` until reconciled.
public static class WriteCommands
{
    public static void AddNouns(Command verb, CliContext context, WriteMode mode, string description)
    {
        var name = verb.Name;
        verb.Options.Add(ObjectOptions.Config);
        verb.Options.Add(ObjectOptions.Wait);
        verb.Options.Add(ObjectOptions.Timeout);
        CommandAction.Set(verb, context, (parseResult, ct) => ExecuteAsync(context, null, mode, name, parseResult, ct));
        foreach (var kind in ObjectKind.All)
        {
            var noun = new Command(kind.Singular, Help.WithExamples(string.Format(System.Globalization.CultureInfo.InvariantCulture, description, kind.Title),
                $"tptctl {name} {kind.Singular} -c {kind.SampleConfig}",
                $"tptctl {name} {kind.Singular} -c {kind.SampleConfig} --wait --timeout 2m"))
            {
                ObjectOptions.Config, ObjectOptions.Wait, ObjectOptions.Timeout,
            };
            CommandAction.Set(noun, context, (parseResult, ct) => ExecuteAsync(context, kind, mode, name, parseResult, ct));
            verb.Subcommands.Add(noun);
        }
    }

    public static async Task<int> ExecuteAsync(CliContext context, ObjectKind? kind, WriteMode mode, string verb, ParseResult parseResult, CancellationToken ct)
    {
        var path = parseResult.GetValue(ObjectOptions.Config)
            ?? throw new CliException($"give the object config with --config FILE (e.g. `tptctl {verb} {(kind ?? ObjectKind.Workload).Singular} -c {(kind ?? ObjectKind.Workload).SampleConfig}`)", ExitCodes.Usage);
        var config = ObjectOptions.ReadConfig(path, kind, verb);
        var (client, _) = await CommandAction.ConnectAsync(parseResult, context, ct);
        var waiter = NewWaiter(context, client);
        var written = await new ObjectWriter(client, context.Out, waiter, context.Time).WriteAsync(config.Specs, mode, ct);
        return parseResult.GetValue(ObjectOptions.Wait)
            ? await WaitAsync(context, waiter, written, WaitGoal.Reconciled, ObjectOptions.GetDuration(parseResult, ObjectOptions.Timeout), ct)
            : ExitCodes.Success;
    }

    public static Waiter NewWaiter(CliContext context, ThreeportClient client) =>
        new(client, new Progress(context.Out, context.IsTerminal), context.Time, context.PollInterval);

    public static async Task<int> WaitAsync(CliContext context, Waiter waiter, IReadOnlyList<TrackedObject> objects, WaitGoal goal, TimeSpan timeout, CancellationToken ct)
    {
        var result = await waiter.WaitAsync(objects, goal, timeout, ct);
        if (!result.Succeeded)
        {
            await context.Err.WriteLineAsync("Error: " + result.Message);
            return result.ExitCode;
        }

        await context.Out.WriteLineAsync(goal == WaitGoal.Gone ? "Complete: deleted" : "Complete: reconciled");
        return ExitCodes.Success;
    }
}

// `tptctl create <singular> -c FILE`: creates definition then instance; a failure rolls back what was created.
public sealed class CreateCommand : Command
{
    public CreateCommand(CliContext context)
        : base("create", Help.WithExamples("Create objects from a Threeport object config file.",
            "tptctl create workload -c wordpress-workload-local.yaml", "tptctl create -c wordpress-workload-definition-local.yaml --wait")) =>
        WriteCommands.AddNouns(this, context, WriteMode.Create, "Create a {0} from a config file.");
}

// `tptctl update <singular> -c FILE`: PATCHes the fields that differ on objects that exist (Threeport issue #231).
public sealed class UpdateCommand : Command
{
    public UpdateCommand(CliContext context)
        : base("update", Help.WithExamples("Change existing objects to match a config file (only changed fields are sent).",
            "tptctl update workload-definition -c wordpress-workload-definition-local.yaml",
            "tptctl update -c wordpress-workload-local.yaml --wait")) =>
        WriteCommands.AddNouns(this, context, WriteMode.Update, "Update an existing {0} from a config file.");
}

// `tptctl apply <singular> -c FILE`: create what is missing, update what differs.
public sealed class ApplyCommand : Command
{
    public ApplyCommand(CliContext context)
        : base("apply", Help.WithExamples("Create or update objects so they match a config file.",
            "tptctl apply -c wordpress-workload-local.yaml", "tptctl apply workload -c wordpress-workload-local.yaml --wait --timeout 10m")) =>
        WriteCommands.AddNouns(this, context, WriteMode.Apply, "Create a {0} or update it to match a config file.");
}
