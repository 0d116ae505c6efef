namespace Threeport.Modules.DevCluster;

public sealed class DevClusterOptions
{
    // 0 asks the OS for a free port; the server always binds 127.0.0.1 only.
    public int Port { get; set; }

    // Optional self-signed TLS; the kubeconfig then carries the certificate as its CA.
    public bool UseTls { get; set; }

    // How long simulated pods take to become ready (deployments, statefulsets, daemonsets, jobs follow).
    public TimeSpan ReadinessDelay { get; set; } = TimeSpan.FromSeconds(1);

    // Where the kubeconfig and, with Persist, the SQLite store are written.
    public string? DataDirectory { get; set; }

    // Keep objects in <DataDirectory>/dev-cluster.db so they survive a restart.
    public bool Persist { get; set; }

    // Mutual TLS with an outside CA (the control plane's, when its auth is on): the server presents
    // ServerCertificate, requires client certificates issued by ClientAuthority, and the kubeconfig carries
    // KubeconfigClientCertificate (with its key) instead of a token. Implies TLS.
    public MutualTls? MutualTls { get; set; }
}

public sealed record MutualTls(
    System.Security.Cryptography.X509Certificates.X509Certificate2 ServerCertificate,
    System.Security.Cryptography.X509Certificates.X509Certificate2 ClientAuthority,
    System.Security.Cryptography.X509Certificates.X509Certificate2 KubeconfigClientCertificate);
