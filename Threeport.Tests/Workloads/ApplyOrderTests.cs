using FluentAssertions;
using NUnit.Framework;
using Threeport.Modules.Workloads.Manifests;

namespace Threeport.Tests.Workloads;

public sealed class ApplyOrderTests
{
    [Test]
    public void Sort_PutsWhatOthersNeedFirst_AndKeepsTheManifestsOrderWithinARank()
    {
        var sorted = ApplyOrder.Sort(["Deployment/web", "Service/web", "ConfigMap/b", "Namespace/app", "ConfigMap/a", "Widget/w"], Kind);

        sorted.Should().Equal("Namespace/app", "ConfigMap/b", "ConfigMap/a", "Service/web", "Deployment/web", "Widget/w");
    }

    [Test]
    public void Waves_ApplyAWorkloadsOwnResourcesTogether_AfterItsNamespace()
    {
        var waves = ApplyOrder.Waves(ApplyOrder.Sort(["Namespace/app", "ConfigMap/a", "Secret/s", "Service/web", "Deployment/web", "Ingress/web"], Kind), Kind);

        waves.Should().BeEquivalentTo(new[] { new[] { "Namespace/app" }, ["ConfigMap/a", "Secret/s", "Service/web", "Deployment/web", "Ingress/web"] },
            o => o.WithStrictOrdering());
    }

    [Test]
    public void Waves_KeepDefinitionsAccountsRbacAndUnknownKindsOneByOne()
    {
        var sorted = ApplyOrder.Sort(
            ["Gadget/g", "Deployment/web", "RoleBinding/rb", "Role/r", "ServiceAccount/sa", "CustomResourceDefinition/gadgets", "LimitRange/l"], Kind);

        var waves = ApplyOrder.Waves(sorted, Kind);

        waves.Should().BeEquivalentTo(
            new[] { new[] { "CustomResourceDefinition/gadgets" }, ["ServiceAccount/sa"], ["Role/r"], ["RoleBinding/rb"], ["Deployment/web"], ["Gadget/g"], ["LimitRange/l"] },
            o => o.WithStrictOrdering());
    }

    [Test]
    public void Waves_OfNothing_AreNone() => ApplyOrder.Waves(Array.Empty<string>(), Kind).Should().BeEmpty();

    private static string Kind(string resource) => resource.Split('/')[0];
}
