using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace Threeport.Host.Cli.Config;

// Reads and writes the CLI config file. It holds credentials and the encryption key, so it is only ever
// created with mode 0600 (as Threeport's pkg/cli/v0/config.go does).
public sealed class ThreeportConfigStore(string path)
{
    public const string EnvironmentVariable = "THREEPORT_CONFIG";

    public string Path { get; } = path;

    public static ThreeportConfigStore Resolve(string? optionValue, CliContext context) =>
        new(optionValue
            ?? NonEmpty(context.GetEnvironmentVariable(EnvironmentVariable))
            ?? System.IO.Path.Combine(context.HomeDirectory, ".threeport", "config.yaml"));

    public bool Exists => File.Exists(Path);

    public async Task<ThreeportConfig> LoadAsync(CancellationToken ct)
    {
        if (!Exists)
        {
            return new ThreeportConfig();
        }

        var text = await File.ReadAllTextAsync(Path, ct);
        try
        {
            var deserializer = new DeserializerBuilder().IgnoreUnmatchedProperties().Build();
            return deserializer.Deserialize<ThreeportConfig?>(text) ?? new ThreeportConfig();
        }
        catch (YamlException e)
        {
            throw new ConfigFileException(Path, (int)e.Start.Line, "invalid threeport config: " + Innermost(e).Message, e);
        }
    }

    public async Task SaveAsync(ThreeportConfig config, CancellationToken ct)
    {
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!;
        Directory.CreateDirectory(directory);
        var yaml = new SerializerBuilder()
            .ConfigureDefaultValuesHandling(DefaultValuesHandling.OmitNull)
            .Build()
            .Serialize(config);

        // Write a sibling temp file created 0600, then move it over: readers never see half a file and the
        // secrets are never readable by others, not even for a moment.
        var temp = Path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using (var stream = new FileStream(temp, options))
        await using (var writer = new StreamWriter(stream))
        {
            await writer.WriteAsync(yaml.AsMemory(), ct);
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(temp, Path, overwrite: true);
    }

    // The control plane a client command talks to: --control-plane-name, else CurrentControlPlane.
    public async Task<ControlPlaneConfig> CurrentAsync(string? name, CancellationToken ct)
    {
        if (!Exists)
        {
            throw new CliException($"no threeport config at {Path}: start a control plane with `tptctl up` or pass --threeport-config", ExitCodes.InvalidConfig);
        }

        var config = await LoadAsync(ct);
        var wanted = name ?? config.CurrentControlPlane;
        if (string.IsNullOrEmpty(wanted))
        {
            throw new CliException($"no current control plane in {Path}: choose one with `tptctl config current-control-plane --control-plane-name NAME`", ExitCodes.InvalidConfig);
        }

        return config.Find(wanted)
            ?? throw new CliException($"control plane {wanted} is not in {Path} (known: {Known(config)})", ExitCodes.InvalidConfig);
    }

    public static string Known(ThreeportConfig config) =>
        config.ControlPlanes.Count == 0 ? "none" : string.Join(", ", config.ControlPlanes.Select(c => c.Name));

    private static string? NonEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;

    private static Exception Innermost(Exception e) => e.InnerException is YamlException inner ? Innermost(inner) : e;
}
