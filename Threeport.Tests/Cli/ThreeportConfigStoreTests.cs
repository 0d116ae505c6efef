using Threeport.Host.Cli;
using Threeport.Host.Cli.Config;

namespace Threeport.Tests.Cli;

public sealed class ThreeportConfigStoreTests
{
    [Test]
    public async Task Save_CreatesTheFileReadableOnlyByItsOwner()
    {
        using var run = new CliRun();
        var store = new ThreeportConfigStore(Path.Combine(run.Directory, "nested", "config.yaml"));

        await store.SaveAsync(new ThreeportConfig { CurrentControlPlane = "a" }, CancellationToken.None);

        if (!OperatingSystem.IsWindows())
        {
            File.GetUnixFileMode(store.Path).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        (await store.LoadAsync(CancellationToken.None)).CurrentControlPlane.Should().Be("a");
    }

    [Test]
    public async Task Load_ReadsAConfigWrittenByThreeportsGoCli()
    {
        using var run = new CliRun();
        var path = run.WriteFile("config.yaml", """
            ControlPlanes:
            - Name: test
              Genesis: true
              AuthEnabled: true
              APIServer: localhost:443
              CACert: LS0t
              KubeAPI:
                APIEndpoint: https://127.0.0.1:6443
                EKSToken: ""
              Provider: kind
              EKSProviderConfig:
                AWSConfigProfile: default
              Credentials:
              - Name: default
                ClientCert: LS0t
                ClientKey: LS0t
              EncryptionKey: abc
            CurrentControlPlane: test
            """);

        var config = await new ThreeportConfigStore(path).LoadAsync(CancellationToken.None);

        var cp = config.Find("test")!;
        cp.ApiBaseAddress().Should().Be(new Uri("https://localhost:443"));
        cp.Credentials!.Single().ClientKey.Should().Be("LS0t");
        cp.KubeAPI!.APIEndpoint.Should().Be("https://127.0.0.1:6443");
    }

    [Test]
    public async Task Load_InvalidYaml_NamesFileAndLine()
    {
        using var run = new CliRun();
        var path = run.WriteFile("config.yaml", "ControlPlanes:\n- Name: a\n  APIServer: [x\n");

        var act = () => new ThreeportConfigStore(path).LoadAsync(CancellationToken.None);

        (await act.Should().ThrowAsync<ConfigFileException>()).Which.Message.Should().StartWith($"{path}:").And.Contain("invalid threeport config");
    }

    [Test]
    public void Resolve_PrefersOptionThenEnvironmentThenHome()
    {
        var context = new CliContext { HomeDirectory = "/home/u", GetEnvironmentVariable = n => n == "THREEPORT_CONFIG" ? "/env/config.yaml" : null };

        ThreeportConfigStore.Resolve("/opt/c.yaml", context).Path.Should().Be("/opt/c.yaml");
        ThreeportConfigStore.Resolve(null, context).Path.Should().Be("/env/config.yaml");
        ThreeportConfigStore.Resolve(null, new CliContext { HomeDirectory = "/home/u", GetEnvironmentVariable = _ => null })
            .Path.Should().Be(Path.Combine("/home/u", ".threeport", "config.yaml"));
    }

    [Test]
    public async Task CurrentControlPlane_SwitchesAndRejectsUnknownNames()
    {
        using var run = new CliRun();
        var config = new ThreeportConfig { CurrentControlPlane = "a" };
        config.ControlPlanes.Add(new ControlPlaneConfig { Name = "a", APIServer = "http://127.0.0.1:1" });
        config.ControlPlanes.Add(new ControlPlaneConfig { Name = "b", APIServer = "http://127.0.0.1:2" });
        await new ThreeportConfigStore(run.ConfigPath).SaveAsync(config, CancellationToken.None);

        var switched = await run.RunAsync("config current-control-plane --control-plane-name b");
        var unknown = await run.RunAsync("config current-control-plane --control-plane-name c");
        var shown = await run.RunAsync("config current-control-plane");
        var listed = await run.RunAsync("config get-control-planes");

        switched.ExitCode.Should().Be(ExitCodes.Success, switched.ToString());
        unknown.ExitCode.Should().Be(ExitCodes.InvalidConfig);
        unknown.Error.Should().Be($"Error: control plane c is not in {run.ConfigPath} (known: a, b)\n");
        shown.Output.Should().Be("b\n");
        listed.Output.Should().Be("""
            NAME   API SERVER           AUTH ENABLED   CURRENT
            a      http://127.0.0.1:1   false          -
            b      http://127.0.0.1:2   false          *

            """);
    }
}
