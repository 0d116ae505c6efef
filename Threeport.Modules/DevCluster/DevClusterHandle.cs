namespace Threeport.Modules.DevCluster;

// Gives the rest of the process the running dev cluster once the hosted service has started it.
public sealed class DevClusterHandle
{
    private readonly TaskCompletionSource<DevClusterServer> started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public DevClusterServer? Server => started.Task.IsCompletedSuccessfully ? started.Task.Result : null;

    public Task<DevClusterServer> WhenStartedAsync(CancellationToken ct) => started.Task.WaitAsync(ct);

    internal void SetStarted(DevClusterServer server) => started.TrySetResult(server);

    internal void SetFailed(Exception e) => started.TrySetException(e);
}
