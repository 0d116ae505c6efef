using System.CommandLine;
using Threeport.Host.Cli.Config;
using Threeport.Host.Cli.Output;

namespace Threeport.Host.Cli.Commands;

// `tptctl config get-control-planes | current-control-plane --control-plane-name NAME`.
public sealed class ConfigCommand : Command
{
    private readonly CliContext _context;

    public ConfigCommand(CliContext context)
        : base("config", Help.WithExamples("Show or change the threeport config (which control planes tptctl knows).",
            "tptctl config get-control-planes", "tptctl config current-control-plane --control-plane-name local"))
    {
        _context = context;
        var list = new Command("get-control-planes", Help.WithExamples("List the control planes in the threeport config.",
            "tptctl config get-control-planes", "tptctl config get-control-planes --threeport-config ./config.yaml"));
        CommandAction.Set(list, context, GetControlPlanesAsync);
        var current = new Command("current-control-plane", Help.WithExamples(
            "Choose the control plane other commands talk to (--control-plane-name); without it, show the current one.",
            "tptctl config current-control-plane --control-plane-name local", "tptctl config current-control-plane"));
        CommandAction.Set(current, context, CurrentControlPlaneAsync);
        Subcommands.Add(list);
        Subcommands.Add(current);
    }

    public async Task<int> GetControlPlanesAsync(ParseResult parseResult, CancellationToken ct)
    {
        var store = ThreeportConfigStore.Resolve(parseResult.GetValue(GlobalOptions.ThreeportConfig), _context);
        var config = await store.LoadAsync(ct);
        if (config.ControlPlanes.Count == 0)
        {
            await _context.Out.WriteLineAsync($"No control planes in {store.Path}: start one with `tptctl up`");
            return ExitCodes.Success;
        }

        var table = new Table("NAME", "API SERVER", "AUTH ENABLED", "CURRENT");
        foreach (var cp in config.ControlPlanes)
        {
            table.Add(cp.Name, cp.APIServer, cp.AuthEnabled ? "true" : "false", cp.Name == config.CurrentControlPlane ? "*" : "-");
        }

        table.WriteTo(_context.Out);
        return ExitCodes.Success;
    }

    public async Task<int> CurrentControlPlaneAsync(ParseResult parseResult, CancellationToken ct)
    {
        var store = ThreeportConfigStore.Resolve(parseResult.GetValue(GlobalOptions.ThreeportConfig), _context);
        var config = await store.LoadAsync(ct);
        var name = parseResult.GetValue(GlobalOptions.ControlPlaneName);
        if (name is null)
        {
            await _context.Out.WriteLineAsync(config.CurrentControlPlane
                ?? throw new CliException($"no current control plane in {store.Path}; known: {ThreeportConfigStore.Known(config)}", ExitCodes.InvalidConfig));
            return ExitCodes.Success;
        }

        if (config.Find(name) is null)
        {
            throw new CliException($"control plane {name} is not in {store.Path} (known: {ThreeportConfigStore.Known(config)})", ExitCodes.InvalidConfig);
        }

        config.CurrentControlPlane = name;
        await store.SaveAsync(config, ct);
        await _context.Out.WriteLineAsync($"Current control plane is now {name}");
        return ExitCodes.Success;
    }
}
