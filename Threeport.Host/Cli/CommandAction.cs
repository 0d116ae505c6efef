using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Threeport.Host.Cli.Config;
using Threeport.Modules.Platform.Client;

namespace Threeport.Host.Cli;

// Runs a command's ExecuteAsync and turns every failure into one `Error: ...` line on stderr and a named
// exit code; stack traces only with --debug.
public static class CommandAction
{
    public static void Set(Command command, CliContext context, Func<ParseResult, CancellationToken, Task<int>> execute) =>
        command.SetAction((parseResult, ct) => RunAsync(parseResult, context, execute, ct));

    public static async Task<int> RunAsync(
        ParseResult parseResult, CliContext context, Func<ParseResult, CancellationToken, Task<int>> execute, CancellationToken ct)
    {
        var debug = parseResult.GetValue(GlobalOptions.Debug);
        try
        {
            return await execute(parseResult, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await context.Err.WriteLineAsync("Error: cancelled");
            return ExitCodes.Cancelled;
        }
        catch (Exception e)
        {
            var (message, code) = Describe(e);
            await context.Err.WriteLineAsync("Error: " + message);
            if (debug)
            {
                await context.Err.WriteLineAsync(e.ToString());
            }

            return code;
        }
    }

    public static (string Message, int ExitCode) Describe(Exception e) => e switch
    {
        ThreeportUnreachableException u => (
            $"cannot reach the control plane at {u.BaseAddress.GetLeftPart(UriPartial.Authority)} ({Reason(u.InnerException)}): is it running? start it with `tptctl up`",
            ExitCodes.Unreachable),
        ThreeportApiException { StatusCode: HttpStatusCode.NotFound } a => (a.Message, ExitCodes.NotFound),
        ThreeportApiException a when (int)a.StatusCode is >= 400 and < 500 => (a.Message, ExitCodes.Rejected),
        ThreeportApiException a => ($"the control plane failed ({(int)a.StatusCode}): {a.Message}", ExitCodes.Error),
        CliException c => (c.Message, c.ExitCode),
        _ => ($"{e.Message} (run with --debug for details)", ExitCodes.Error),
    };

    private static string Reason(Exception? inner) => inner switch
    {
        SocketException { SocketErrorCode: SocketError.ConnectionRefused } => "connection refused",
        HttpRequestException { InnerException: SocketException s } => Reason(s),
        SocketException s => s.SocketErrorCode.ToString(),
        TimeoutException t => t.Message,
        null => "no answer",
        _ => inner.Message,
    };

    // The API client for the selected control plane of the threeport config.
    public static async Task<(ThreeportClient Client, ControlPlaneConfig ControlPlane)> ConnectAsync(
        ParseResult parseResult, CliContext context, CancellationToken ct)
    {
        var store = ThreeportConfigStore.Resolve(parseResult.GetValue(GlobalOptions.ThreeportConfig), context);
        var controlPlane = await store.CurrentAsync(parseResult.GetValue(GlobalOptions.ControlPlaneName), ct);
        return (ControlPlaneConnection.Connect(controlPlane, context), controlPlane);
    }
}
