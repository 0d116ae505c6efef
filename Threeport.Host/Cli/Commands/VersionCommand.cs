using System.CommandLine;
using System.Reflection;
using Threeport.Host.Cli.Config;
using Threeport.Modules.Platform.Client;

namespace Threeport.Host.Cli.Commands;

// `tptctl version`: the CLI's version, and the current control plane's when it answers.
public sealed class VersionCommand : Command
{
    private readonly CliContext _context;

    public VersionCommand(CliContext context)
        : base("version", Help.WithExamples("Print the version of tptctl and of the current control plane.", "tptctl version"))
    {
        _context = context;
        CommandAction.Set(this, context, ExecuteAsync);
    }

    public static string CliVersion
    {
        get
        {
            var informational = typeof(VersionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
            // Drop the SourceLink commit suffix (0.1.0+abc123) to match how Threeport prints versions.
            return informational.Split('+')[0];
        }
    }

    public async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken ct)
    {
        await _context.Out.WriteLineAsync($"tptctl version {CliVersion}");
        var store = ThreeportConfigStore.Resolve(parseResult.GetValue(GlobalOptions.ThreeportConfig), _context);
        if (!store.Exists)
        {
            return ExitCodes.Success;
        }

        ThreeportClient client;
        ControlPlaneConfig controlPlane;
        try
        {
            (client, controlPlane) = await CommandAction.ConnectAsync(parseResult, _context, ct);
        }
        catch (CliException e)
        {
            await _context.Out.WriteLineAsync($"control plane: unknown ({e.Message})");
            return ExitCodes.Success;
        }

        try
        {
            var version = await client.GetVersionAsync(ct);
            await _context.Out.WriteLineAsync($"control plane {controlPlane.Name} version {version} ({client.BaseAddress.GetLeftPart(UriPartial.Authority)})");
        }
        catch (Exception e) when (e is ThreeportUnreachableException or ThreeportApiException)
        {
            await _context.Out.WriteLineAsync($"control plane {controlPlane.Name}: not reachable at {client.BaseAddress.GetLeftPart(UriPartial.Authority)}");
        }

        return ExitCodes.Success;
    }
}
