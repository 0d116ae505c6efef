using System.Text.Json.Nodes;
using Threeport.Host.Cli.Objects;
using Threeport.Host.Cli.Output;

namespace Threeport.Tests.Cli;

public sealed class OutputTests
{
    [Test]
    public void Table_AlignsColumnsAndMarksEmptyCells()
    {
        var writer = new StringWriter();
        new Table("NAME", "STATUS", "AGE").Add("wordpress", "Healthy", "3m").Add("a", null, "12d").WriteTo(writer);

        writer.ToString().Should().Be("""
            NAME        STATUS    AGE
            wordpress   Healthy   3m
            a           <none>    12d

            """);
    }

    [Test]
    public void Yaml_WritesManifestsAsLiteralBlocksAndQuotesAmbiguousText()
    {
        var obj = JsonNode.Parse("""{"ID":3,"Name":"wordpress","YAMLDocument":"kind: ConfigMap\nmetadata:\n  name: a\n","Reconciled":true,"Note":"true","Empty":"","Gone":null}""");

        StructuredOutput.ToYaml(obj).Should().Be("""
            ID: 3
            Name: wordpress
            YAMLDocument: |
              kind: ConfigMap
              metadata:
                name: a
            Reconciled: true
            Note: "true"
            Empty: ""
            Gone: null

            """);
    }

    [Test]
    public void Yaml_RoundTripsThroughAYamlReader()
    {
        var obj = JsonNode.Parse("""{"A":"x: y","B":"- z","C":"#c","D":[1,"2"],"E":{"F":"Local"}}""");

        var yaml = StructuredOutput.ToYaml(obj);
        var back = new YamlDotNet.Serialization.DeserializerBuilder().Build().Deserialize<Dictionary<string, object>>(yaml);

        back["A"].Should().Be("x: y");
        back["B"].Should().Be("- z");
        back["C"].Should().Be("#c");
        ((List<object>)back["D"]).Should().Equal("1", "2");
    }

    [Test]
    public void Json_IsIndentedApiJson()
    {
        var writer = new StringWriter();
        StructuredOutput.Write(writer, JsonNode.Parse("""[{"Name":"a"}]"""), OutputFormat.Json);

        JsonNode.DeepEquals(JsonNode.Parse(writer.ToString()), JsonNode.Parse("""[{"Name":"a"}]""")).Should().BeTrue();
        writer.ToString().Should().Contain("\n  {");
    }

    [TestCase(0, "0s")]
    [TestCase(119, "119s")]
    [TestCase(121, "2m")]
    [TestCase(3 * 3600, "3h")]
    [TestCase(50 * 3600, "2d")]
    public void Age_IsKubectlStyle(int seconds, string expected)
    {
        var now = DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        Age.Since(now.AddSeconds(-seconds), now).Should().Be(expected);
    }

    [TestCase("5m", 300)]
    [TestCase("90s", 90)]
    [TestCase("1h30m", 5400)]
    [TestCase("250ms", 0.25)]
    [TestCase("00:00:10", 10)]
    public void Duration_ParsesGoStyle(string text, double seconds)
    {
        Duration.TryParse(text, out var value).Should().BeTrue();
        value.TotalSeconds.Should().Be(seconds);
    }

    [TestCase("5x")]
    [TestCase("")]
    [TestCase("-5m")]
    [TestCase("0s")]
    public void Duration_RejectsNonsense(string text) => Duration.TryParse(text, out _).Should().BeFalse();

    [Test]
    public void Progress_OnATerminal_RedrawsOneLinePerObject()
    {
        var writer = new StringWriter();
        var progress = new Progress(writer, isTerminal: true);

        progress.Report("workload definition w", "reconciling");
        progress.Report("workload instance w", "reconciling");
        progress.Report("workload definition w", "reconciled");

        writer.ToString().Should().EndWith("\u001b[2A\r\u001b[2Kworkload definition w: reconciled\n\r\u001b[2Kworkload instance w: reconciling\n");
    }

    [Test]
    public void Progress_OffATerminal_WritesALinePerChange()
    {
        var writer = new StringWriter();
        var progress = new Progress(writer, isTerminal: false);

        progress.Report("widget a", "reconciling");
        progress.Report("widget a", "reconciling");
        progress.Report("widget a", "reconciled");

        writer.ToString().Should().Be("widget a: reconciling\nwidget a: reconciled\n");
    }
}

public sealed class ObjectWriterTests
{
    [Test]
    public void Changes_ComparesApiJsonWithRequestValues()
    {
        var existing = System.Text.Json.Nodes.JsonNode.Parse("""{"ID":7,"Name":"w","WorkloadDefinitionID":3,"YAMLDocument":"a","DefaultRuntime":true}""")!.AsObject();
        var same = new System.Text.Json.Nodes.JsonObject { ["Name"] = "w", ["WorkloadDefinitionID"] = 3L, ["YAMLDocument"] = "a", ["DefaultRuntime"] = true };
        var different = new System.Text.Json.Nodes.JsonObject { ["Name"] = "w", ["WorkloadDefinitionID"] = 4L, ["YAMLDocument"] = "a" };

        Threeport.Host.Cli.Objects.ObjectWriter.Changes(existing, same).Should().BeEmpty();
        Threeport.Host.Cli.Objects.ObjectWriter.Changes(existing, different).ToJsonString().Should().Be("""{"WorkloadDefinitionID":4}""");
    }
}
