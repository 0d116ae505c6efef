using System.CommandLine;
using Threeport.Host.Cli;
using Threeport.Host.Cli.Commands;

namespace Threeport.Tests.Cli;

// What needs no control plane: help, usage errors, missing config, and the unreachable control plane.
public sealed class CommandLineTests
{
    public static IEnumerable<string> AllCommands()
    {
        static IEnumerable<string> Walk(Command command, string path) =>
            command.Subcommands.SelectMany(c => Walk(c, $"{path} {c.Name}".Trim())).Prepend(path);
        return Walk(TptctlRoot.Create(), "");
    }

    [TestCaseSource(nameof(AllCommands))]
    public async Task Help_OfEveryCommand_EndsWithExamples(string command)
    {
        using var run = new CliRun();

        var result = await run.RunAsync($"{command} --help");

        result.ExitCode.Should().Be(0, result.ToString());
        result.Output.Should().Contain("Usage:").And.Contain("\nExamples:\n  tptctl ");
        var examples = result.Output[result.Output.IndexOf("Examples:", StringComparison.Ordinal)..];
        examples.Should().Contain($"tptctl {command}".TrimEnd(), "the examples show the command itself");
    }

    [Test]
    public void Help_ParentListings_StayOneLinePerCommand()
    {
        var root = TptctlRoot.Create();
        root.Subcommands.Should().OnlyContain(c => !c.Description!.Contains('\n'));
        Help.ExamplesOf(root.Subcommands.Single(c => c.Name == "get")).Should().StartWith("Examples:");
    }

    [Test]
    public async Task Get_WhenTheControlPlaneIsNotRunning_SaysHowToStartIt()
    {
        using var run = new CliRun();
        var port = CliRun.FreePort();
        await run.UseControlPlaneAsync(new Uri($"http://127.0.0.1:{port}"));

        var result = await run.RunAsync("get workloads");

        result.ExitCode.Should().Be(ExitCodes.Unreachable, result.ToString());
        result.Error.Should().Be($"Error: cannot reach the control plane at http://127.0.0.1:{port} (connection refused): is it running? start it with `tptctl up`\n");
        result.Output.Should().BeEmpty();
    }

    [Test]
    public async Task Debug_AddsTheStackTrace()
    {
        using var run = new CliRun();
        await run.UseControlPlaneAsync(new Uri($"http://127.0.0.1:{CliRun.FreePort()}"));

        var plain = await run.RunAsync("get workload-instances");
        var debug = await run.RunAsync("get workload-instances --debug");

        plain.Error.Should().NotContain("   at ");
        debug.Error.Should().StartWith("Error: cannot reach").And.Contain("ThreeportUnreachableException").And.Contain("   at ");
    }

    [Test]
    public async Task Get_WithoutAThreeportConfig_SaysHowToGetOne()
    {
        using var run = new CliRun();

        var result = await run.RunAsync("get workloads");

        result.ExitCode.Should().Be(ExitCodes.InvalidConfig);
        result.Error.Should().Be($"Error: no threeport config at {run.ConfigPath}: start a control plane with `tptctl up` or pass --threeport-config\n");
    }

    [Test]
    public async Task Create_WithAMissingConfigFile_NamesTheFile()
    {
        using var run = new CliRun();
        var missing = Path.Combine(run.Directory, "nope.yaml");

        var result = await run.RunAsync($"create workload -c {missing}");

        result.ExitCode.Should().Be(ExitCodes.InvalidConfig);
        result.Error.Should().Be($"Error: {missing}: config file not found\n");
    }

    [Test]
    public async Task Create_WithAConfigOfAnotherKind_SaysWhichCommandFits()
    {
        using var run = new CliRun();

        var result = await run.RunAsync($"create workload-definition -c {Samples.Path("wordpress-workload-local.yaml")}");

        result.ExitCode.Should().Be(ExitCodes.InvalidConfig);
        result.Error.Should().Contain("this file holds a Workload, not a WorkloadDefinition: use `tptctl create workload -c");
    }

    [Test]
    public async Task UnknownKeyInAConfig_IsReportedBeforeAnyApiCall()
    {
        using var run = new CliRun();
        var path = run.WriteFile("wd.yaml", "WorkloadDefinition:\n  Name: w\n  YAMLDoc: m.yaml\n");

        var result = await run.RunAsync($"apply -c {path}");

        result.ExitCode.Should().Be(ExitCodes.InvalidConfig);
        result.Error.Should().StartWith($"Error: {path}:2: WorkloadDefinition.YAMLDocument is required");
    }

    [TestCase("get wrkloads", "Unrecognized command or argument 'wrkloads'")]
    [TestCase("create workload --timeout 5x -c a.yaml", "--timeout: 5x is not a duration")]
    [TestCase("get workloads -o xml", "--output: xml is not one of plain, json, yaml")]
    public async Task UsageErrors_AreOneLineAndExitCode2(string args, string message)
    {
        using var run = new CliRun();

        var result = await run.RunAsync(args);

        result.ExitCode.Should().Be(ExitCodes.Usage, result.ToString());
        result.Error.Should().StartWith("Error: ").And.Contain(message);
        result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().HaveCount(2, "an error line and a pointer to --help")
            .And.Subject.Last().Should().Be($"Run `tptctl {string.Join(' ', args.Split(' ').TakeWhile(a => !a.StartsWith('-')).Take(2).Where(a => a != "wrkloads"))} --help` for usage.");
    }

    [Test]
    public async Task Delete_WithNeitherNameNorConfig_SaysWhatToGive()
    {
        using var run = new CliRun();

        var result = await run.RunAsync("delete workload-instance");

        result.ExitCode.Should().Be(ExitCodes.Usage);
        result.Error.Should().Be("Error: give the workload instance to delete with --name NAME or --config FILE\n");
    }

    [Test]
    public async Task Version_WithoutAControlPlane_PrintsTheCliVersion()
    {
        using var run = new CliRun();

        var result = await run.RunAsync("version");

        result.ExitCode.Should().Be(0);
        result.Output.Should().MatchRegex(@"^tptctl version \d+\.\d+\.\d+.*\n$");
    }

    [Test]
    public async Task Version_WhenTheControlPlaneIsDown_SaysSoAndSucceeds()
    {
        using var run = new CliRun();
        var port = CliRun.FreePort();
        await run.UseControlPlaneAsync(new Uri($"http://127.0.0.1:{port}"));

        var result = await run.RunAsync("version");

        result.ExitCode.Should().Be(0);
        result.Output.Should().EndWith($"control plane test: not reachable at http://127.0.0.1:{port}\n");
    }
}
