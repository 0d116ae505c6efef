using System.CommandLine;
using Threeport.Host.Cli.Objects;
using Threeport.Host.Cli.Output;

namespace Threeport.Host.Cli.Commands;

public static class ObjectOptions
{
    public static readonly Option<string?> Config = new("--config", "-c")
    {
        Description = "Object config file (Threeport's format, e.g. `Workload: {Name: ..., YAMLDocument: manifest.yaml}`)",
    };

    public static readonly Option<string?> Name = new("--name", "-n") { Description = "Name of the object" };

    public static readonly Option<OutputFormat> Output = new("--output", "-o")
    {
        Description = "Output format: plain, json or yaml",
        DefaultValueFactory = _ => OutputFormat.Plain,
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "plain";
            if (Enum.TryParse<OutputFormat>(text, ignoreCase: true, out var format) && Enum.IsDefined(format) && !char.IsDigit(text[0]))
            {
                return format;
            }

            result.AddError($"--output: {text} is not one of plain, json, yaml");
            return OutputFormat.Plain;
        },
    };

    public static readonly Option<string?> Field = new("--field", "-f")
    {
        Description = "Print only this field of the object (e.g. Status, YAMLDocument)",
    };

    public static readonly Option<bool> Wait = new("--wait")
    {
        Description = "Wait until the objects are reconciled (deleted, for delete), failed, or --timeout passes",
    };

    public static readonly Option<string> Timeout = DurationOption("--timeout", "How long --wait waits, e.g. 90s, 5m, 1h", "5m");

    // Go-style durations (5m, 90s) as Threeport users type them; validated at parse time.
    public static Option<string> DurationOption(string name, string description, string defaultValue)
    {
        var option = new Option<string>(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        option.Validators.Add(result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : defaultValue;
            if (!Duration.TryParse(text, out _))
            {
                result.AddError($"{name}: {text} is not a duration; use e.g. 90s, 5m or 1h");
            }
        });
        return option;
    }

    public static TimeSpan GetDuration(ParseResult parseResult, Option<string> option) =>
        Duration.TryParse(parseResult.GetValue(option)!, out var value) ? value : throw new CliException($"{option.Name} is not a duration", ExitCodes.Usage);

    public static Objects.ObjectConfig ReadConfig(string path, ObjectKind? expected, string verb)
    {
        var config = ObjectConfigParser.ParseFile(path);
        if (expected is not null && config.Kind != expected.ConfigKey)
        {
            var actual = ObjectKind.ForConfigKey(config.Kind);
            throw new ConfigFileException(path, 1,
                $"this file holds a {config.Kind}, not a {expected.ConfigKey}: use `tptctl {verb} {actual.Singular} -c {path}`");
        }

        return config;
    }

    // `-c FILE` or `-n NAME` (exactly one) to the objects a command works on.
    public static IReadOnlyList<ObjectSpec> Select(ParseResult parseResult, ObjectKind kind, string verb)
    {
        var path = parseResult.GetValue(Config);
        var name = parseResult.GetValue(Name);
        return (path, name) switch
        {
            (not null, not null) => throw new CliException("give either --config or --name, not both", ExitCodes.Usage),
            (not null, null) => ReadConfig(path, kind, verb).Specs,
            (null, not null) => kind.SpecsByName(name),
            _ => throw new CliException($"give the {kind.Title} to {verb} with --name NAME or --config FILE", ExitCodes.Usage),
        };
    }
}
