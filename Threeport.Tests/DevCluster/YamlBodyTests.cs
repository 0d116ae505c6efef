using System.Net;
using System.Text;

namespace Threeport.Tests.DevCluster;

// Server-side apply bodies may be YAML; YAML that JSON cannot hold, or that never ends, is a 400 Status, never
// a crash (the same converter as workload manifests, where the fuzzer found the self-referencing alias).
public sealed class YamlBodyTests : DevClusterFixture
{
    [TestCase("apiVersion: v1\nkind: ConfigMap\nmetadata: &m\n  name: loop\n  self: *m\n", TestName = "Apply_WithAnAliasThatContainsItself_Is400")]
    [TestCase("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: twice\n  name: again\n", TestName = "Apply_WithAKeyGivenTwice_Is400")]
    [TestCase("apiVersion: v1\nkind: ConfigMap\n? [a, b]\n: c\n", TestName = "Apply_WithANonTextKey_Is400")]
    public async Task Apply_WithYamlJsonCannotHold_Is400(string yaml)
    {
        using var http = new HttpClient { BaseAddress = Cluster.BaseAddress };
        var request = new HttpRequestMessage(HttpMethod.Patch, "/api/v1/namespaces/default/configmaps/yaml-body?fieldManager=test")
        {
            Content = new StringContent(yaml, Encoding.UTF8, "application/apply-patch+yaml"),
        };

        var response = await http.SendAsync(request);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, await response.Content.ReadAsStringAsync());
        (await response.Content.ReadAsStringAsync()).Should().Contain("\"kind\":\"Status\"");
    }
}
