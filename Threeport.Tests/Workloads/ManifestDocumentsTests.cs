using Threeport.Modules.Workloads.Manifests;

namespace Threeport.Tests.Workloads;

// A definition's manifest is parsed once per text and shared by the reconciles of its instances.
public sealed class ManifestDocumentsTests
{
    private static string ConfigMap(string name) => $"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n";

    [Test]
    public void ParseShared_GivesTheSameParse_ForTheSameText_AndANewOne_ForAnotherText()
    {
        var name = "shared-" + Guid.NewGuid().ToString("N")[..8];

        var first = ManifestDocuments.ParseShared(ConfigMap(name));
        var again = ManifestDocuments.ParseShared(new string(ConfigMap(name).ToCharArray()));
        var other = ManifestDocuments.ParseShared(ConfigMap(name + "-b"));

        again.Resources.Should().BeSameAs(first.Resources);
        first.Resources.Single().Name.Should().Be(name);
        other.Resources.Single().Name.Should().Be(name + "-b");
    }

    [Test]
    public void ParseShared_KeepsTheProblems_OfATextThatIsNotValid()
    {
        var yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata: [\n# " + Guid.NewGuid();

        var parsed = ManifestDocuments.ParseShared(yaml);

        parsed.Problems.Should().ContainSingle().Which.Should().Contain("not valid YAML");
        ManifestDocuments.ParseShared(yaml).Problems.Should().BeSameAs(parsed.Problems);
    }
}
