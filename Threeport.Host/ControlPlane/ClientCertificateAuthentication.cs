using Threeport.Modules.Platform.Api;

namespace Threeport.Host.ControlPlane;

// With auth on, every request but /healthz must present a client certificate issued by the control plane's
// CA. TLS accepts any certificate so that the refusal is an HTTP answer in Threeport's envelope:
// none → 401, one from another CA or expired → 403.
internal sealed class ClientCertificateAuthentication(RequestDelegate next, ControlPlaneCertificates certificates, TimeProvider time)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (context.Request.Path.StartsWithSegments("/healthz"))
        {
            await next(context);
            return;
        }

        var certificate = await context.Connection.GetClientCertificateAsync(context.RequestAborted);
        if (certificate is null)
        {
            await ApiResults.Error("Authentication", StatusCodes.Status401Unauthorized,
                "a client certificate is required: use the credentials tptctl up stored in the Threeport config (curl --cert client.crt --key client.key --cacert ca.crt)").ExecuteAsync(context);
            return;
        }

        if (!Threeport.Modules.Platform.Security.CertificateChains.IsIssuedBy(certificate, certificates.Authority, time.GetUtcNow()))
        {
            await ApiResults.Error("Authentication", StatusCodes.Status403Forbidden,
                "the client certificate is not valid here: it is expired or was not issued by this control plane's CA").ExecuteAsync(context);
            return;
        }

        await next(context);
    }
}
