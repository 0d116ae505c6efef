using System.Net;
using System.Net.Http.Json;

namespace Threeport.Tests.Hardening;

// Found by BadInputPropertyTests: a WorkloadDefinition whose YAMLDocument holds an alias that contains itself
// ("a: &a [*a]") made ManifestDocuments.ToJson recurse until the stack overflowed, which ended the whole process;
// an alias bomb expands to billions of nodes. Both are bounded now and answer 400.
public sealed class YamlAliasCycleTests
{
    [TestCase("a: &a [*a]", "alias that contains itself", TestName = "Create_WhenYamlAliasContainsItself_Returns400")]
    [TestCase(null, "more than", TestName = "Create_WhenYamlAliasesExpandToBillionsOfNodes_Returns400")]
    public async Task Create_WithRunawayAliases_Returns400(string? yaml, string message)
    {
        await using var cp = await HardenedControlPlane.StartAsync(withWidgets: false, settings: HardenedControlPlane.NoReconcilers());

        var response = await cp.Client.PostAsJsonAsync("/v0/workload-definitions", new { Name = "alias-cycle", YAMLDocument = yaml ?? FuzzGenerators.AliasBomb });

        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, body);
        body.Should().Contain(message);
    }
}
