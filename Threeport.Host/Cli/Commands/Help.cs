using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Runtime.CompilerServices;

namespace Threeport.Host.Cli.Commands;

// Every command's --help ends with examples. Commands are built with WithExamples descriptions; Attach then
// moves the examples out of the description (so parent listings stay one line per command) into a help
// action that prints them after the standard help of the command asked about.
public static class Help
{
    private const string Marker = "\n\nExamples:\n";
    private static readonly ConditionalWeakTable<Command, string> Examples = new();

    public static string WithExamples(string description, params string[] examples) =>
        description + Marker + string.Join('\n', examples.Select(e => "  " + e));

    public static string? ExamplesOf(Command command) => Examples.TryGetValue(command, out var text) ? text : null;

    public static void Attach(RootCommand root)
    {
        Split(root);
        var help = root.Options.OfType<HelpOption>().Single();
        help.Action = new ExamplesHelpAction((HelpAction)help.Action!);
    }

    private static void Split(Command command)
    {
        var at = command.Description?.IndexOf(Marker, StringComparison.Ordinal) ?? -1;
        if (at >= 0)
        {
            Examples.AddOrUpdate(command, "Examples:" + Environment.NewLine + command.Description![(at + Marker.Length)..].Replace("\n", Environment.NewLine, StringComparison.Ordinal));
            command.Description = command.Description[..at];
        }

        foreach (var sub in command.Subcommands)
        {
            Split(sub);
        }
    }

    private sealed class ExamplesHelpAction(HelpAction inner) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            var code = inner.Invoke(parseResult);
            if (ExamplesOf(parseResult.CommandResult.Command) is { } examples)
            {
                var output = parseResult.InvocationConfiguration.Output;
                output.WriteLine(examples);
                output.WriteLine();
            }

            return code;
        }
    }
}
