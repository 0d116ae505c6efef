using System.CommandLine;
using System.Globalization;
using Threeport.Host.Cli.Config;

namespace Threeport.Host.Cli.Commands;

// `tptctl down --name NAME [--delete-data]`: stops a control plane started with `up --detach` and removes it
// from the threeport config, as Threeport's `down` does.
public sealed class DownCommand : Command
{
    public static readonly Option<string> NameOption = new("--name", "-n")
    {
        Description = "Name of the control plane",
        DefaultValueFactory = _ => "local",
    };

    public static readonly Option<bool> DeleteData = new("--delete-data") { Description = "Also delete its data directory" };

    // How long a clean shutdown may take before the process is killed.
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    private readonly CliContext _context;

    public DownCommand(CliContext context)
        : base("down", Help.WithExamples("Stop a control plane started with `tptctl up --detach`.",
            "tptctl down", "tptctl down --name dev --delete-data"))
    {
        _context = context;
        Options.Add(NameOption);
        Options.Add(UpCommand.DataDir);
        Options.Add(DeleteData);
        CommandAction.Set(this, context, ExecuteAsync);
    }

    public async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken ct)
    {
        var name = parseResult.GetValue(NameOption)!;
        var store = ThreeportConfigStore.Resolve(parseResult.GetValue(GlobalOptions.ThreeportConfig), _context);
        var config = await store.LoadAsync(ct);
        var entry = config.Find(name);
        var dataDirectory = Path.GetFullPath(parseResult.GetValue(UpCommand.DataDir)
            ?? entry?.DataDirectory
            ?? Path.Combine(_context.HomeDirectory, ".threeport", name));

        var process = ControlPlaneProcess.FindRunning(dataDirectory);
        if (process is null)
        {
            if (entry is not null && await AnswersAsync(entry, ct))
            {
                throw new CliException($"control plane {name} runs, but not in the background (no pid file in {dataDirectory}): stop it with Ctrl-C where it runs");
            }

            if (!parseResult.GetValue(DeleteData))
            {
                throw new CliException($"control plane {name} is not running in the background (no live pid file in {dataDirectory})", ExitCodes.NotFound);
            }
        }
        else
        {
            using (process)
            {
                ControlPlaneProcess.RequestStop(process);
                using var stopWait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                stopWait.CancelAfter(StopTimeout);
                try
                {
                    await process.WaitForExitAsync(stopWait.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    await _context.Err.WriteLineAsync($"Warning: control plane {name} did not stop within {StopTimeout.TotalSeconds:0} s; killing it");
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync(ct);
                }

                await _context.Out.WriteLineAsync($"Stopped control plane {name} (PID {process.Id.ToString(CultureInfo.InvariantCulture)})");
            }

            File.Delete(ControlPlaneProcess.PidFile(dataDirectory));
        }

        if (entry is not null)
        {
            config.ControlPlanes.Remove(entry);
            if (config.CurrentControlPlane == name)
            {
                config.CurrentControlPlane = config.ControlPlanes.FirstOrDefault()?.Name;
            }

            await store.SaveAsync(config, ct);
            await _context.Out.WriteLineAsync($"Removed control plane {name} from {store.Path}");
        }

        if (parseResult.GetValue(DeleteData) && Directory.Exists(dataDirectory))
        {
            Directory.Delete(dataDirectory, recursive: true);
            await _context.Out.WriteLineAsync($"Deleted {dataDirectory}");
        }

        return ExitCodes.Success;
    }

    private async Task<bool> AnswersAsync(ControlPlaneConfig entry, CancellationToken ct)
    {
        try
        {
            return await ControlPlaneConnection.Connect(entry, _context, TimeSpan.FromSeconds(2)).IsReadyAsync(ct);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
        catch (CliException)
        {
            return false; // credentials missing or unusable: it cannot be ours to check
        }
    }
}
