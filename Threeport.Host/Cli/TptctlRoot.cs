using System.CommandLine;
using System.CommandLine.Parsing;
using Threeport.Host.Cli.Commands;

namespace Threeport.Host.Cli;

// The `tptctl` command tree: Threeport's verb-first grammar (`tptctl get workloads`).
public static class TptctlRoot
{
    public static RootCommand Create(CliContext? context = null)
    {
        context ??= new CliContext();
        var root = new RootCommand(Help.WithExamples(
            "tptctl: run a Threeport for .NET control plane and manage its workloads and Kubernetes runtimes.",
            "tptctl up", "tptctl create workload -c wordpress-workload-local.yaml --wait", "tptctl get workloads"))
        {
            new UpCommand(context),
            new DownCommand(context),
            new VersionCommand(context),
            new ConfigCommand(context),
            new GetCommand(context),
            new DescribeCommand(context),
            new CreateCommand(context),
            new UpdateCommand(context),
            new ApplyCommand(context),
            new DeleteCommand(context),
            Threeport.Host.Bench.BenchCommand.Create(),
        };
        root.Options.Add(GlobalOptions.ThreeportConfig);
        root.Options.Add(GlobalOptions.ControlPlaneName);
        root.Options.Add(GlobalOptions.Debug);
        Help.Attach(root);
        return root;
    }

    public static Task<int> InvokeAsync(string[] args, CliContext? context = null, CancellationToken ct = default)
    {
        context ??= new CliContext();
        var configuration = new InvocationConfiguration
        {
            Output = context.Out,
            Error = context.Err,
            // Ctrl-C / SIGTERM cancel the command's token; `up` then shuts the control plane down, which may
            // take longer than System.CommandLine's 2 s default before it gives up waiting.
            ProcessTerminationTimeout = TimeSpan.FromSeconds(30),
        };
        var parseResult = Create(context).Parse(args);
        return parseResult.Errors.Count > 0 && !args.Any(a => a is "-h" or "--help" or "-?")
            ? UsageErrorAsync(parseResult, context)
            : parseResult.InvokeAsync(configuration, ct);
    }

    // One `Error:` line and where to look, instead of System.CommandLine's full help dump.
    private static async Task<int> UsageErrorAsync(ParseResult parseResult, CliContext context)
    {
        var error = parseResult.Errors.FirstOrDefault(e => e.Message.Contains("Unrecognized", StringComparison.Ordinal)) ?? parseResult.Errors[0];
        await context.Err.WriteLineAsync("Error: " + string.Join(' ', error.Message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)));
        var names = new List<string>();
        for (SymbolResult? at = parseResult.CommandResult; at is CommandResult command && command.Parent is not null; at = command.Parent)
        {
            names.Insert(0, command.Command.Name);
        }

        await context.Err.WriteLineAsync($"Run `{string.Join(' ', names.Prepend("tptctl"))} --help` for usage.");
        return ExitCodes.Usage;
    }
}
