using Microsoft.Extensions.Logging.Abstractions;
using Threeport.Modules.DevCluster;

namespace Threeport.Tests.DevCluster;

// One dev cluster per test class; each test uses its own namespace so tests stay independent.
public abstract class DevClusterFixture
{
    protected DevClusterServer Cluster { get; private set; } = null!;

    protected string WorkDir { get; private set; } = null!;

    protected string KubeconfigPath { get; private set; } = null!;

    protected virtual TimeSpan ReadinessDelay => TimeSpan.FromMilliseconds(300);

    [OneTimeSetUp]
    public async Task StartClusterAsync()
    {
        WorkDir = Path.Combine(Path.GetTempPath(), "tpt-devcluster-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(WorkDir);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Cluster = await DevClusterServer.StartAsync(
            new DevClusterOptions { ReadinessDelay = ReadinessDelay, DataDirectory = WorkDir },
            NullLoggerFactory.Instance,
            TimeProvider.System,
            cts.Token);
        KubeconfigPath = Cluster.WriteKubeconfig(Path.Combine(WorkDir, "kubeconfig"));
    }

    [OneTimeTearDown]
    public async Task StopClusterAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }

        try
        {
            Directory.Delete(WorkDir, true);
        }
        catch (IOException)
        {
            // A kubectl cache file still open; the temp folder is cleaned by the OS.
        }
    }

    [TearDown]
    public void ClearFaults() => Cluster.Faults.Clear();

    protected static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";
}
