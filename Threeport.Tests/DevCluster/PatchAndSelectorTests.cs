using System.Text.Json.Nodes;
using CsCheck;
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

    [TestCase("app=db", true)]
    [TestCase("missing", true)]
    [TestCase("app in (db,api)", true)]
    [TestCase("app=web,tier=back", true)]
    [TestCase("app=web", false)]
    [TestCase("app in (db,web)", false)]
    [TestCase("tier", false)]
    [TestCase("app!=web", false)]
    [TestCase("!tier", false)]
    public void LabelSelector_RulesOutFromTheStoredBytes_WhatCannotMatch(string selector, bool ruledOut)
    {
        var stored = ObjectJson.ToBytes(new JsonObject { ["metadata"] = new JsonObject { ["name"] = "x", ["labels"] = new JsonObject { ["app"] = "web", ["tier"] = "front" } } });

        LabelSelector.Parse(selector).RulesOut(stored).Should().Be(ruledOut);
    }

    // The shortcut may only skip what the labels would reject: whatever the keys and values (escaped characters, a
    // value that appears elsewhere in the object), ruled out implies no match.
    [Test]
    public void LabelSelector_RulesOut_OnlyWhatTheLabelsReject()
    {
        var keys = Gen.OneOf(Gen.Const("app"), Gen.Const("app.kubernetes.io/name"), Gen.Const("tier"), Gen.Const("\"q\"<&>"), Gen.Const("é/ü"));
        var values = Gen.OneOf(Gen.Const("web"), Gen.Const("db"), Gen.Const(""), Gen.Const("a\"b"), Gen.Const("ü+<"));
        var labels = Gen.Select(keys, values).Array[0, 4].Select(pairs => pairs.DistinctBy(p => p.Item1).ToDictionary(p => p.Item1, p => p.Item2));
        var requirement = Gen.OneOf(
            Gen.Select(keys, values, (k, v) => $"{k}={v}"),
            Gen.Select(keys, values, (k, v) => $"{k}!={v}"),
            Gen.Select(keys, values, values, (k, a, b) => $"{k} in ({a},{b})"),
            keys,
            keys.Select(k => "!" + k));
        Gen.Select(labels, labels, requirement.Array[1, 3]).Sample((own, elsewhere, requirements) =>
        {
            var selector = LabelSelector.Parse(string.Join(",", requirements));
            var obj = new JsonObject
            {
                ["metadata"] = new JsonObject { ["labels"] = Node(own), ["annotations"] = Node(elsewhere) },
                ["data"] = Node(elsewhere),
            };
            var stored = ObjectJson.ToBytes(obj);
            if (selector.RulesOut(stored))
            {
                selector.Matches(own).Should().BeFalse($"{selector} was ruled out for {obj.ToJsonString()}");
            }

            // The labels read from the bytes alone (a label-selected list or watch) are the parsed object's.
            ObjectJson.LabelsOf(stored).Should().Equal(ObjectJson.Labels(ObjectJson.Parse(stored))).And.Equal(own);
        });

        static JsonObject Node(Dictionary<string, string> pairs) => new(pairs.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value)));
    }

    // Helm output is full of explicit nulls; the apiserver's typed decoding drops them at every depth.
    [Test]
    public void DropNulls_RemovesNullFieldsAtEveryDepth_AndKeepsTheRest()
    {
        var body = JsonNode.Parse("""
            {"a":null,"b":1,"spec":{"x":null,"containers":[{"name":"web","args":null,"env":[{"name":"A","value":null}]},null]},"z":null}
            """)!;

        Admission.DropNulls(body);

        body.ToJsonString().Should().Be("""{"b":1,"spec":{"containers":[{"name":"web","env":[{"name":"A"}]},null]}}""");
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
