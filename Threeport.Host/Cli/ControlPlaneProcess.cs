using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Threeport.Host.Cli;

// The pid file of a control plane started with `tptctl up --detach`: PID plus the process start time, so a
// recycled PID of some other process is never signalled by `tptctl down`.
public static partial class ControlPlaneProcess
{
    public const string PidFileName = "tptctl.pid";
    public const string LogFileName = "tptctl.log";

    public static string PidFile(string dataDirectory) => Path.Combine(dataDirectory, PidFileName);

    public static void WritePidFile(string dataDirectory, Process process)
    {
        Directory.CreateDirectory(dataDirectory);
        File.WriteAllText(PidFile(dataDirectory),
            $"{process.Id.ToString(CultureInfo.InvariantCulture)}\n{process.StartTime.ToUniversalTime().Ticks.ToString(CultureInfo.InvariantCulture)}\n");
    }

    // The detached process if it still runs; null when there is no pid file or the PID now belongs to another process.
    public static Process? FindRunning(string dataDirectory)
    {
        var path = PidFile(dataDirectory);
        if (!File.Exists(path))
        {
            return null;
        }

        var lines = File.ReadAllLines(path);
        if (lines.Length < 2 || !int.TryParse(lines[0], CultureInfo.InvariantCulture, out var pid)
            || !long.TryParse(lines[1], CultureInfo.InvariantCulture, out var startTicks))
        {
            throw new CliException($"{path}: not a tptctl pid file; delete it if no control plane runs");
        }

        try
        {
            var process = Process.GetProcessById(pid);
            // Start times read back through /proc can differ by a tick rounding; a second is plenty to tell processes apart.
            return Math.Abs(process.StartTime.ToUniversalTime().Ticks - startTicks) < TimeSpan.TicksPerSecond && !process.HasExited ? process : null;
        }
        catch (ArgumentException)
        {
            return null; // no process with that PID any more
        }
    }

    // SIGTERM on Unix so the control plane shuts down cleanly (same path as Ctrl-C); Windows has no such signal.
    public static void RequestStop(Process process)
    {
        if (OperatingSystem.IsWindows())
        {
            process.Kill(entireProcessTree: true);
            return;
        }

        if (Kill(process.Id, SigTerm) != 0)
        {
            throw new CliException($"could not signal process {process.Id.ToString(CultureInfo.InvariantCulture)} (errno {Marshal.GetLastPInvokeError().ToString(CultureInfo.InvariantCulture)})");
        }
    }

    private const int SigTerm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
