using System.Security.Cryptography.X509Certificates;

namespace Threeport.Modules.Platform.Security;

public static class CertificateChains
{
    // True when `certificate` was issued by `authority` (a private CA, trusted for this check only) and is valid at `now`.
    public static bool IsIssuedBy(X509Certificate2 certificate, X509Certificate2 authority, DateTimeOffset now)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        return chain.Build(certificate) && chain.ChainElements[^1].Certificate.Thumbprint == authority.Thumbprint;
    }
}
