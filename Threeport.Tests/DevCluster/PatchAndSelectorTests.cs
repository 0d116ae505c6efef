using System.Text.Json.Nodes;
using Threeport.Modules.DevCluster.Api;
using Threeport.Modules.DevCluster.Patching;

namespace Threeport.Tests.DevCluster;

public sealed class PatchAndSelectorTests
{
    private static readonly Dictionary<string, string> Labels = new() { ["app"] = "web", ["tier"] = "front" };

    [TestCase("app=web", true)]
    [TestCase("app==web", true)]
    [TestCase("app!=web", false)]
    [TestCase("app in (web,db)", true)]
    [TestCase("app notin (web,db)", false)]
    [TestCase("tier", true)]
    [TestCase("!tier", false)]
    [TestCase("!missing", true)]
    [TestCase("app=web,tier in (back)", false)]
    [TestCase("", true)]
    public void LabelSelector_Matches(string selector, bool expected) =>
        LabelSelector.Parse(selector).Matches(Labels).Should().Be(expected);

    [Test]
    public void LabelSelector_RejectsGarbage()
    {
        var act = () => LabelSelector.Parse("app in web");
        act.Should().Throw<ApiException>().Which.Code.Should().Be(400);
    }

    [Test]
    public void StrategicMerge_MergesKeyedListsAndHonoursDirectives()
    {
        var target = JsonNode.Parse("""
            {"spec":{"containers":[{"name":"a","image":"x","ports":[{"containerPort":80}]},{"name":"b","image":"y"}],
             "volumes":[{"name":"v1"},{"name":"v2"}],"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}}}}
            """)!.AsObject();
        var patch = JsonNode.Parse("""
            {"spec":{"containers":[{"name":"a","image":"x2","ports":[{"containerPort":443}]},{"name":"b","$patch":"delete"}],
             "$setElementOrder/containers":[{"name":"a"}],
             "volumes":[{"name":"v2","$patch":"delete"}],
             "strategy":{"$retainKeys":["type"],"type":"Recreate","rollingUpdate":null}}}
            """)!.AsObject();
        var result = StrategicMergePatch.Apply(target, patch);
        result.ToJsonString().Should().Be(
            """{"spec":{"containers":[{"name":"a","image":"x2","ports":[{"containerPort":80},{"containerPort":443}]}],"volumes":[{"name":"v1"}],"strategy":{"type":"Recreate"}}}""");
    }

    [Test]
    public void MergePatch_NullDeletes_ListsReplace()
    {
        var result = MergePatch.Apply(JsonNode.Parse("""{"a":{"b":1,"c":2},"l":[1,2]}""")!.AsObject(), JsonNode.Parse("""{"a":{"b":null},"l":[3]}""")!.AsObject());
        result.ToJsonString().Should().Be("""{"a":{"c":2},"l":[3]}""");
    }

    [Test]
    public void JsonPatch_AppliesOperationsInOrder_AndFailsTests()
    {
        var doc = JsonNode.Parse("""{"a":[1,2],"b":{"c":1}}""")!.AsObject();
        var result = JsonPatch.Apply(doc, JsonNode.Parse("""[{"op":"add","path":"/a/-","value":3},{"op":"move","from":"/b/c","path":"/d"},{"op":"test","path":"/d","value":1}]""")!);
        result.ToJsonString().Should().Be("""{"a":[1,2,3],"b":{},"d":1}""");
        var failing = () => JsonPatch.Apply(doc, JsonNode.Parse("""[{"op":"test","path":"/b/c","value":9}]""")!);
        failing.Should().Throw<ApiException>().Which.Code.Should().Be(422);
    }

    [TestCase(30, "30s")]
    [TestCase(150, "2m30s")]
    [TestCase(3600, "60m")]
    [TestCase(4 * 3600 + 600, "4h10m")]
    [TestCase(3 * 86400, "3d")]
    public void HumanDuration_MatchesKubectlAge(int seconds, string expected) =>
        TableConventions.HumanDuration(TimeSpan.FromSeconds(seconds)).Should().Be(expected);
}
