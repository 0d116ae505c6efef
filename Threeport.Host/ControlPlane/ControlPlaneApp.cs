namespace Threeport.Host.ControlPlane;

// Composes the modules into one WebApplication. `RunAsync` is what `tptctl up` calls; it prints where
// the API and the dev cluster listen to `output`, then runs until `ct` is cancelled (Ctrl-C).
public static class ControlPlaneApp
{
    public static Task<int> RunAsync(UpOptions options, TextWriter output, CancellationToken ct) =>
        throw new NotImplementedException("Lands with the control-plane core");
}
