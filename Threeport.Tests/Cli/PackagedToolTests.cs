using System.Diagnostics;
using Threeport.Host.Cli;

namespace Threeport.Tests.Cli;

// The real artifact: `dotnet pack` the tool, install it into a temp tool path, and drive it as users do.
[Category("Slow")]
public sealed class PackagedToolTests
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(3);

    [Test]
    public async Task PackedTool_InstallsAndRunsUpGetAndDown()
    {
        var work = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "tptctl-pack", Guid.NewGuid().ToString("N"))).FullName;
        try
        {
            var hostProject = Path.Combine(RepositoryRoot(), "Threeport.Host");
            var nupkg = Path.Combine(work, "nupkg");
            var tools = Path.Combine(work, "tools");
            (await RunAsync("dotnet", $"pack \"{hostProject}\" -c Release -o \"{nupkg}\" -p:PackageOutputPath=\"{nupkg}\"", work)).ShouldSucceed();
            (await RunAsync("dotnet", $"tool install Threeport.DotNet.Tptctl --tool-path \"{tools}\" --add-source \"{nupkg}\" --ignore-failed-sources", work)).ShouldSucceed();
            var tptctl = Path.Combine(tools, OperatingSystem.IsWindows() ? "tptctl.exe" : "tptctl");
            var config = Path.Combine(work, "config.yaml");
            var data = Path.Combine(work, "data");
            var port = CliRun.FreePort();

            var version = await RunAsync(tptctl, $"version --threeport-config \"{config}\"", work);
            var up = await RunAsync(tptctl, $"up --detach --auth-enabled --name packed --api-port {port} --no-dev-cluster --data-dir \"{data}\" --threeport-config \"{config}\" --timeout 90s", work);
            try
            {
                var events = await RunAsync(tptctl, $"get events --threeport-config \"{config}\"", work);
                var workloads = await RunAsync(tptctl, $"get workloads --threeport-config \"{config}\"", work);

                version.ShouldSucceed();
                version.Output.Should().StartWith("tptctl version 0.");
                up.ShouldSucceed();
                up.Output.Should().Contain($"control plane packed runs in the background at https://127.0.0.1:{port}");
                events.ShouldSucceed();
                events.Output.Should().Be("No events found\n");
                workloads.ShouldSucceed();
                workloads.Output.Should().Be("No workloads found\n");
            }
            finally
            {
                var down = await RunAsync(tptctl, $"down --name packed --delete-data --threeport-config \"{config}\"", work);
                down.ShouldSucceed();
                down.Output.Should().Contain("Stopped control plane packed");
                Directory.Exists(data).Should().BeFalse();
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Threeport.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("Threeport.sln not found above the test binaries");
    }

    private static async Task<ProcessResult> RunAsync(string file, string arguments, string workingDirectory)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // A tool run must not pick up the test's own dotnet test/MSBuild state.
        start.Environment.Remove("MSBuildSDKsPath");
        start.Environment.Remove("MSBUILD_EXE_PATH");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(CommandTimeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new ProcessResult($"{Path.GetFileName(file)} {arguments}", process.ExitCode, await output, await error);
    }

    private sealed record ProcessResult(string Command, int ExitCode, string Output, string Error)
    {
        public void ShouldSucceed() => ExitCode.Should().Be(ExitCodes.Success, $"{Command}\n{Output}\n{Error}");
    }
}
