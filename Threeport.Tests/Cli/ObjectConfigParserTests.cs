using System.Text.Json.Nodes;
using Threeport.Host.Cli;
using Threeport.Host.Cli.Objects;
using Threeport.Modules.Platform.Client;

namespace Threeport.Tests.Cli;

public sealed class ObjectConfigParserTests
{
    // What each of Threeport's samples must turn into: the objects (route:name) or the error it must give.
    private static readonly Dictionary<string, string> Expected = new()
    {
        ["wordpress-workload-local.yaml"] = "workload-definitions:wordpress workload-instances:wordpress",
        ["wordpress-workload-definition-local.yaml"] = "workload-definitions:wordpress",
        ["wordpress-workload-instance-local.yaml"] = "workload-instances:wordpress-01",
        ["k8s-runtime-definition.yaml"] = "kubernetes-runtime-definitions:eks-k8s-runtime",
        ["k8s-runtime-instance.yaml"] = "kubernetes-runtime-instances:eks-k8s-runtime-01",
        ["wordpress-helm-workload.yaml"] = "error:1: HelmWorkload objects are not supported by this control plane yet",
        ["secret.yaml"] = "error:1: Secret objects are not supported by this control plane yet",
        ["wordpress-helm-workload-definition-values.yaml"] = "error:1: unknown object kind replicaCount",
        ["wordpress-helm-workload-instance-dev-values.yaml"] = "error:1: unknown object kind commonLabels",
        ["wordpress-manifest-local.yaml"] = "error:3: expected one YAML document",
    };

    [TestCaseSource(typeof(Samples), nameof(Samples.All))]
    public void EverySample_ParsesOrFailsWithFileAndLine(string sample)
    {
        Expected.Should().ContainKey(sample, "every sample in shared/samples/threeport needs an expectation here");
        var expected = Expected[sample];
        if (expected.StartsWith("error:", StringComparison.Ordinal))
        {
            var message = expected["error:".Length..];
            var act = () => ObjectConfigParser.ParseFile(Samples.Path(sample));
            act.Should().Throw<ConfigFileException>().Which.Message.Should().Contain(sample).And.Contain(message.Split(": ", 2)[1]);
            return;
        }

        var config = ObjectConfigParser.ParseFile(Samples.Path(sample));
        string.Join(' ', config.Specs.Select(s => $"{s.Route.Path}:{s.Name}")).Should().Be(expected);
    }

    [Test]
    public void Workload_ResolvesYamlDocumentRelativeToTheConfigFile()
    {
        var config = ObjectConfigParser.ParseFile(Samples.Path("wordpress-workload-local.yaml"));

        var definition = config.Specs[0].Body();
        definition["YAMLDocument"]!.GetValue<string>().Should().Be(File.ReadAllText(Samples.Path("wordpress-manifest-local.yaml")));
        config.Specs[1].References.Should().ContainSingle()
            .Which.Should().Be(new ObjectReference("WorkloadDefinitionID", ApiRoute.WorkloadDefinitions, "wordpress"));
    }

    [Test]
    public void WorkloadInstance_ReferencesItsDefinitionAndOptionalRuntimeByName()
    {
        var config = ObjectConfigParser.Parse("""
            WorkloadInstance:
              Name: wordpress-02
              WorkloadDefinition:
                Name: wordpress
              KubernetesRuntimeInstance:
                Name: dev-0
            """, "wi.yaml", Path.GetTempPath());

        config.Specs.Single().References.Select(r => $"{r.Field}={r.Name}").Should().Equal("WorkloadDefinitionID=wordpress", "KubernetesRuntimeInstanceID=dev-0");
    }

    [Test]
    public void EksRuntimeSamples_ProduceTheRequestTheServerWillJudge()
    {
        var definition = ObjectConfigParser.ParseFile(Samples.Path("k8s-runtime-definition.yaml")).Specs.Single().Body();
        var instance = ObjectConfigParser.ParseFile(Samples.Path("k8s-runtime-instance.yaml")).Specs.Single();

        JsonNode.DeepEquals(definition, JsonNode.Parse("""
            {"InfraProvider":"eks","InfraProviderAccountName":"default-account","HighAvailability":false,"Name":"eks-k8s-runtime"}
            """)).Should().BeTrue(definition.ToJsonString());
        instance.Body().ToJsonString().Should().Be("""{"Location":"NorthAmerica:NewYork","DefaultRuntime":true,"Name":"eks-k8s-runtime-01"}""");
        instance.References.Single().Should().Be(new ObjectReference("KubernetesRuntimeDefinitionID", ApiRoute.KubernetesRuntimeDefinitions, "eks-k8s-runtime"));
    }

    [Test]
    public void CompositeKubernetesRuntime_IsADefinitionAndAnInstanceOfTheSameName()
    {
        var config = ObjectConfigParser.Parse("""
            KubernetesRuntime:
              Name: kind-2
              InfraProvider: kind
              Location: Local
              DefaultRuntime: false
              NodeMaximum: 3
            """, "rt.yaml", Path.GetTempPath());

        config.Specs.Select(s => s.Body().ToJsonString()).Should().Equal(
            """{"InfraProvider":"kind","NodeMaximum":3,"Name":"kind-2"}""",
            """{"Location":"Local","DefaultRuntime":false,"Name":"kind-2"}""");
    }

    [TestCase("WorkloadDefinition:\n  Name: w\n  YAMLDocument: m.yaml\n  Replicas: 3\n", 4, "unknown key Replicas in WorkloadDefinition (known keys here: Name, YAMLDocument)")]
    [TestCase("WorkloadInstance:\n  Name: w\n  WorkloadDefinition:\n    Name: w\n    Version: 2\n", 5, "unknown key Version in WorkloadInstance.WorkloadDefinition")]
    [TestCase("Workload:\n  Name: w\n  YAMLDocument: m.yaml\n  Gateway:\n    Name: g\n", 4, "Workload.Gateway is not supported by this control plane yet")]
    [TestCase("WorkloadDefinition:\n  Name: w\n", 2, "WorkloadDefinition.YAMLDocument is required")]
    [TestCase("WorkloadDefinition:\n  Name: w\n  YAMLDocument: missing.yaml\n", 3, "file missing.yaml not found")]
    [TestCase("KubernetesRuntimeDefinition:\n  Name: k\n  InfraProvider: kind\n  HighAvailability: maybe\n", 4, "HighAvailability must be true or false")]
    [TestCase("WorkloadDefinition:\n  Name: w\n  - x\n", 3, "invalid YAML")]
    [TestCase("Widget:\n  Name: w\n", 1, "unknown object kind Widget")]
    public void InvalidConfig_NamesFileLineAndKey(string yaml, int line, string message)
    {
        using var run = new CliRun();
        run.WriteFile("m.yaml", "apiVersion: v1\nkind: ConfigMap\n");
        var path = run.WriteFile("bad.yaml", yaml);

        var act = () => ObjectConfigParser.ParseFile(path);

        act.Should().Throw<ConfigFileException>().Which.Message.Should().StartWith($"{path}:{line}: ").And.Contain(message);
    }
}
