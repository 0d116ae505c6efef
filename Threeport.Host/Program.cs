using Threeport.Host.ControlPlane;

// Until the CLI lands: `tptctl up` only.
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
return await ControlPlaneApp.RunAsync(new UpOptions(), Console.Out, stop.Token);
