using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Threeport.Host.ControlPlane;

// The control plane's own certificate authority (Threeport's: a self-made CA, a server certificate and a
// client certificate), kept as PEM files in <data>/tls with private keys readable only by the owner.
// Generated once by `tptctl up`; the CLI keeps the client pair and the CA in its config.
public sealed class ControlPlaneCertificates
{
    private ControlPlaneCertificates(X509Certificate2 authority, X509Certificate2 server, X509Certificate2 client, string directory)
    {
        Authority = authority;
        Server = server;
        Client = client;
        Directory = directory;
    }

    public X509Certificate2 Authority { get; }

    public X509Certificate2 Server { get; }

    public X509Certificate2 Client { get; }

    public string Directory { get; }

    public string AuthorityPath => Path.Combine(Directory, "ca.crt");

    public string ClientCertificatePath => Path.Combine(Directory, "client.crt");

    public string ClientKeyPath => Path.Combine(Directory, "client.key");

    public static ControlPlaneCertificates LoadOrCreate(string dataDirectory, TimeProvider time)
    {
        var directory = Path.Combine(dataDirectory, "tls");
        System.IO.Directory.CreateDirectory(directory);
        var now = time.GetUtcNow();
        var authority = LoadOrCreate(directory, "ca", () => CreateAuthority(now));
        var server = LoadOrCreate(directory, "server", () => Issue(authority, "threeport-api", now, now.AddYears(5), server: true));
        var client = LoadOrCreate(directory, "client", () => Issue(authority, "threeport-admin", now, now.AddYears(5), server: false));
        return new ControlPlaneCertificates(authority, server, client, directory);
    }

    // A client certificate signed by `authority` (tests use it for expired or foreign certificates).
    public static X509Certificate2 Issue(X509Certificate2 authority, string subject, DateTimeOffset notBefore, DateTimeOffset notAfter, bool server)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={subject}, O=Threeport", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [server ? Oid.FromOidValue("1.3.6.1.5.5.7.3.1", OidGroup.EnhancedKeyUsage) : Oid.FromOidValue("1.3.6.1.5.5.7.3.2", OidGroup.EnhancedKeyUsage)], false));
        if (server)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName("localhost");
            names.AddIpAddress(IPAddress.Loopback);
            names.AddIpAddress(IPAddress.IPv6Loopback);
            request.CertificateExtensions.Add(names.Build());
        }

        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var issued = request.Create(authority, notBefore, notAfter, serial);
        return issued.CopyWithPrivateKey(key);
    }

    public static X509Certificate2 CreateAuthority(DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Threeport CA, O=Threeport", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var self = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(10));
        return X509Certificate2.CreateFromPem(self.ExportCertificatePem(), key.ExportECPrivateKeyPem());
    }

    private static X509Certificate2 LoadOrCreate(string directory, string name, Func<X509Certificate2> create)
    {
        var certificatePath = Path.Combine(directory, $"{name}.crt");
        var keyPath = Path.Combine(directory, $"{name}.key");
        if (File.Exists(certificatePath) && File.Exists(keyPath))
        {
            return X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        }

        var certificate = create();
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        WriteSecret(keyPath, certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        return X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
    }

    private static void WriteSecret(string path, string content)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var file = new FileStream(path, options);
        using var writer = new StreamWriter(file);
        writer.Write(content);
    }
}
