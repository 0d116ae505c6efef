using System.Text;

namespace Threeport.Modules.DevCluster.Hosting;

// The kubeconfig for the dev cluster: cluster, user and context all named "threeport-dev".
// The dev cluster does not authenticate (loopback only), but KubernetesClient refuses a user
// without credentials, so the user carries a token the server ignores.
internal static class Kubeconfig
{
    public const string Name = "threeport-dev";

    public static string Build(Uri server, string? caPem)
    {
        var sb = new StringBuilder();
        sb.Append("apiVersion: v1\nkind: Config\nclusters:\n- name: ").Append(Name).Append("\n  cluster:\n    server: ").Append(server.ToString().TrimEnd('/')).Append('\n');
        if (caPem is not null)
        {
            sb.Append("    certificate-authority-data: ").Append(Convert.ToBase64String(Encoding.ASCII.GetBytes(caPem))).Append('\n');
        }

        sb.Append("users:\n- name: ").Append(Name).Append("\n  user:\n    token: threeport-dev\n");
        sb.Append("contexts:\n- name: ").Append(Name).Append("\n  context:\n    cluster: ").Append(Name).Append("\n    user: ").Append(Name).Append("\n    namespace: default\n");
        sb.Append("current-context: ").Append(Name).Append('\n');
        return sb.ToString();
    }
}
