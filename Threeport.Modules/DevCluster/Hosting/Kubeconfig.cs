using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Threeport.Modules.DevCluster.Hosting;

// The kubeconfig for the dev cluster: cluster, user and context all named "threeport-dev".
// The dev cluster does not authenticate (loopback only), but KubernetesClient refuses a user
// without credentials, so the user carries a token the server ignores.
internal static class Kubeconfig
{
    public const string Name = "threeport-dev";

    public static string Build(Uri server, string? caPem, System.Security.Cryptography.X509Certificates.X509Certificate2? clientCertificate = null)
    {
        var sb = new StringBuilder();
        sb.Append("apiVersion: v1\nkind: Config\nclusters:\n- name: ").Append(Name).Append("\n  cluster:\n    server: ").Append(server.ToString().TrimEnd('/')).Append('\n');
        if (caPem is not null)
        {
            sb.Append("    certificate-authority-data: ").Append(Convert.ToBase64String(Encoding.ASCII.GetBytes(caPem))).Append('\n');
        }

        sb.Append("users:\n- name: ").Append(Name).Append("\n  user:\n");
        if (clientCertificate is null)
        {
            sb.Append("    token: threeport-dev\n");
        }
        else
        {
            var key = clientCertificate.GetECDsaPrivateKey()?.ExportPkcs8PrivateKeyPem() ?? clientCertificate.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem();
            sb.Append("    client-certificate-data: ").Append(Convert.ToBase64String(Encoding.ASCII.GetBytes(clientCertificate.ExportCertificatePem()))).Append('\n');
            sb.Append("    client-key-data: ").Append(Convert.ToBase64String(Encoding.ASCII.GetBytes(key))).Append('\n');
        }

        sb.Append("contexts:\n- name: ").Append(Name).Append("\n  context:\n    cluster: ").Append(Name).Append("\n    user: ").Append(Name).Append("\n    namespace: default\n");
        sb.Append("current-context: ").Append(Name).Append('\n');
        return sb.ToString();
    }
}
