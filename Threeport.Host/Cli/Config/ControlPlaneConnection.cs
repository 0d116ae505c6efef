using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Threeport.Modules.Platform.Client;

namespace Threeport.Host.Cli.Config;

// Builds the API client for a control plane of the threeport config: plain HTTP, or with AuthEnabled mutual
// TLS with the config's client credentials, trusting only the control plane's own CA (CACert).
public static class ControlPlaneConnection
{
    public static ThreeportClient Connect(ControlPlaneConfig controlPlane, CliContext context, TimeSpan? timeout = null)
    {
        var address = controlPlane.ApiBaseAddress();
        if (!controlPlane.AuthEnabled)
        {
            return ThreeportClient.Create(address, context.HttpHandler, timeout);
        }

        var credential = controlPlane.Credentials?.FirstOrDefault(c => c.ClientCert is not null && c.ClientKey is not null)
            ?? throw new CliException($"control plane {controlPlane.Name} has AuthEnabled but no Credentials with ClientCert and ClientKey in the threeport config", ExitCodes.InvalidConfig);
        var authority = Load(controlPlane.Name, "CACert", controlPlane.CACert
            ?? throw new CliException($"control plane {controlPlane.Name} has AuthEnabled but no CACert in the threeport config", ExitCodes.InvalidConfig));
        X509Certificate2 client;
        try
        {
            client = X509Certificate2.CreateFromPem(Pem(credential.ClientCert!), Pem(credential.ClientKey!));
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new CliException($"control plane {controlPlane.Name}: the client credentials {credential.Name} in the threeport config cannot be used ({e.Message})", ExitCodes.InvalidConfig, e);
        }

        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = [client],
                RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && Threeport.Modules.Platform.Security.CertificateChains.IsIssuedBy(new X509Certificate2(certificate), authority, TimeProvider.System.GetUtcNow()),
            },
        };
        return ThreeportClient.Create(address, handler, timeout);
    }

    // Threeport's config keeps PEM documents base64-encoded; plain PEM is accepted too.
    public static string Encode(string pem) => Convert.ToBase64String(Encoding.UTF8.GetBytes(pem));

    private static string Pem(string value) =>
        value.TrimStart().StartsWith("-----", StringComparison.Ordinal) ? value : Encoding.UTF8.GetString(Convert.FromBase64String(value));

    private static X509Certificate2 Load(string name, string field, string value)
    {
        try
        {
            return X509Certificate2.CreateFromPem(Pem(value));
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException or FormatException)
        {
            throw new CliException($"control plane {name}: {field} in the threeport config is not a certificate ({e.Message})", ExitCodes.InvalidConfig, e);
        }
    }

}
