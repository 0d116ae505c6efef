namespace Threeport.Host.Cli.Config;

// Threeport's CLI config (`~/.threeport/config.yaml`), same keys as pkg/config/v0/config.go so files are
// interchangeable with the Go tptctl.
public sealed class ThreeportConfig
{
    public List<ControlPlaneConfig> ControlPlanes { get; set; } = [];
    public string? CurrentControlPlane { get; set; }

    public ControlPlaneConfig? Find(string name) => ControlPlanes.FirstOrDefault(c => c.Name == name);
}

public sealed class ControlPlaneConfig
{
    public string Name { get; set; } = "";
    public bool AuthEnabled { get; set; }
    public bool Genesis { get; set; }
    // host:port (Go tptctl writes `localhost:443`) or an absolute URL; see ApiBaseAddress.
    public string? APIServer { get; set; }
    public string? CACert { get; set; }
    public KubeApiConfig? KubeAPI { get; set; }
    public string? Provider { get; set; }
    public EksProviderConfig? EKSProviderConfig { get; set; }
    public List<CredentialConfig>? Credentials { get; set; }
    public string? EncryptionKey { get; set; }
    // Where `tptctl up` keeps this control plane's data (SQLite file, pid file of a detached run).
    public string? DataDirectory { get; set; }

    public Uri ApiBaseAddress()
    {
        if (string.IsNullOrWhiteSpace(APIServer))
        {
            throw new CliException($"control plane {Name} has no APIServer in the threeport config");
        }

        var text = APIServer.Contains("://", StringComparison.Ordinal) ? APIServer : (AuthEnabled ? "https://" : "http://") + APIServer;
        return Uri.TryCreate(text, UriKind.Absolute, out var uri)
            ? uri
            : throw new CliException($"control plane {Name} has an invalid APIServer {APIServer} in the threeport config");
    }
}

public sealed class KubeApiConfig
{
    public string? APIEndpoint { get; set; }
    public string? CACertificate { get; set; }
    public string? Certificate { get; set; }
    public string? Key { get; set; }
    public string? EKSToken { get; set; }
}

public sealed class EksProviderConfig
{
    public string? AWSConfigProfile { get; set; }
    public string? AWSRegion { get; set; }
    public string? AWSAccountID { get; set; }
}

public sealed class CredentialConfig
{
    public string Name { get; set; } = "";
    public string? ClientCert { get; set; }
    public string? ClientKey { get; set; }
}
