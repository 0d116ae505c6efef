using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Threeport.Modules.DevCluster.Api;

namespace Threeport.Tests.DevCluster;

// Server-side apply bodies may be YAML; YAML that JSON cannot hold, or that never ends, is a 400 Status, never
// a crash (the same converter as workload manifests, where the fuzzer found the self-referencing alias).
public sealed class YamlBodyTests : DevClusterFixture
{
    [TestCase("apiVersion: v1\nkind: ConfigMap\nmetadata: &m\n  name: loop\n  self: *m\n", TestName = "Apply_WithAnAliasThatContainsItself_Is400")]
    [TestCase("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: twice\n  name: again\n", TestName = "Apply_WithAKeyGivenTwice_Is400")]
    [TestCase("apiVersion: v1\nkind: ConfigMap\n? [a, b]\n: c\n", TestName = "Apply_WithANonTextKey_Is400")]
    [TestCase("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"twice","name":"again"}}""", TestName = "Apply_OfJsonWithAKeyGivenTwice_Is400")]
    public async Task Apply_WithYamlJsonCannotHold_Is400(string yaml)
    {
        var response = await ApplyAsync("yaml-body", yaml);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, await response.Content.ReadAsStringAsync());
        (await response.Content.ReadAsStringAsync()).Should().Contain("\"kind\":\"Status\"");
    }

    // JSON bodies (what kubectl and KubernetesClient send) are read as JSON; YAML's flow style also starts with a brace.
    [Test]
    public async Task Apply_InYamlFlowStyle_IsReadAsYaml()
    {
        var response = await ApplyAsync("flow-style", "{apiVersion: v1, kind: ConfigMap, metadata: {name: flow-style}, data: {port: '80'}}");

        response.StatusCode.Should().Be(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var stored = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        stored["data"]!["port"]!.GetValue<string>().Should().Be("80");
    }

    [Test]
    public void AJsonBody_ReadsAsTheSameNodesAsTheYamlParserMakesOfIt()
    {
        const string json = """
            {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "caf\u00e9", "labels": {"tier": "80", "on": "true"}},
             "spec": {"replicas": 2, "paused": false, "minReadySeconds": null, "ratio": 1.5, "negative": -3,
                      "template": {"spec": {"containers": [{"name": "web", "args": ["--a=1", "two words", ""], "ports": [{"containerPort": 8080}]}]}}}}
            """;

        var asJson = YamlJson.Parse(Encoding.UTF8.GetBytes(json));
        var asYaml = YamlJson.Parse(Encoding.UTF8.GetBytes("--- " + json));

        asJson.Should().NotBeNull();
        JsonNode.DeepEquals(asJson, asYaml).Should().BeTrue($"JSON read {asJson?.ToJsonString()}, YAML read {asYaml?.ToJsonString()}");
    }

    private async Task<HttpResponseMessage> ApplyAsync(string name, string body)
    {
        using var http = new HttpClient { BaseAddress = Cluster.BaseAddress };
        var request = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/namespaces/default/configmaps/{name}?fieldManager=test")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/apply-patch+yaml"),
        };

        return await http.SendAsync(request);
    }
}
