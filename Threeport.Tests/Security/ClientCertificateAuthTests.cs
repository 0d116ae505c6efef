using System.Net;
using Threeport.Host.ControlPlane;
using Threeport.Modules.Platform.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Threeport.Tests.Support;

namespace Threeport.Tests.Security;

// With auth on, only holders of a client certificate from the control plane's own CA get in.
public sealed class ClientCertificateAuthTests
{
    private TestControlPlane cp = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => cp = await TestControlPlane.StartAsync(auth: true);

    [OneTimeTearDown]
    public async Task StopAsync() => await cp.DisposeAsync();

    [Test]
    public async Task ValidClientCertificate_IsLetIn_OverTls()
    {
        cp.Client.BaseAddress!.Scheme.Should().Be("https");
        (await cp.Client.GetAsync("/v0/widgets")).StatusCode.Should().Be(HttpStatusCode.OK);
        await cp.CreateWidgetAsync();
    }

    [Test]
    public async Task NoCertificate_Is401_InTheEnvelope()
    {
        using var anonymous = cp.CreateClient(null);
        var response = await ApiResponse.ReadAsync(await anonymous.GetAsync("/v0/widgets"));
        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        response.Error.Should().Contain("client certificate is required");
        (await anonymous.GetStringAsync("/healthz")).Should().Be("ok", "liveness needs no credentials");
    }

    [Test]
    public async Task CertificateFromAnotherCa_Is403()
    {
        var foreignCa = ControlPlaneCertificates.CreateAuthority(DateTimeOffset.UtcNow);
        var foreign = ControlPlaneCertificates.Issue(foreignCa, "intruder", DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1), server: false);
        using var client = cp.CreateClient(foreign);
        var response = await ApiResponse.ReadAsync(await client.PostAsync("/v0/widgets", new StringContent("{\"Name\":\"x\"}")));
        response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        response.Error.Should().Contain("not issued by this control plane's CA");
    }

    [Test]
    public async Task ExpiredCertificate_FromTheRightCa_Is403()
    {
        var authority = cp.Services.GetRequiredService<ControlPlaneCertificates>().Authority;
        var expired = ControlPlaneCertificates.Issue(authority, "old-admin", DateTimeOffset.UtcNow.AddMinutes(-4), DateTimeOffset.UtcNow.AddMinutes(-1), server: false);
        using var client = cp.CreateClient(expired);
        var response = await ApiResponse.ReadAsync(await client.GetAsync("/v0/widgets"));
        response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        response.Error.Should().Contain("expired");
    }

    [Test]
    public void PrivateKeys_AreReadableByTheOwnerOnly()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Ignore("file modes are a Unix notion");
            return;
        }

        var certificates = cp.Services.GetRequiredService<ControlPlaneCertificates>();
        foreach (var key in Directory.GetFiles(certificates.Directory, "*.key"))
        {
            File.GetUnixFileMode(key).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite, key);
        }
    }

    [Test]
    public void AuthOff_OnANonLoopbackAddress_RefusesToStart()
    {
        var options = new UpOptions { DataDirectory = TestControlPlane.NewDataDirectory(), ApiBindAddress = "0.0.0.0", ApiPort = 0, AuthEnabled = false, DevClusterEnabled = false };
        var start = () => ControlPlaneApp.Build(options);
        start.Should().Throw<StartupException>().WithMessage("*only be turned off when the API listens on loopback*");
    }
}

// With auth on, the dev cluster is reached with TLS and a client certificate too, by the control plane and by kubectl.
public sealed class DevClusterMutualTlsTests
{
    [Test]
    public async Task AuthOn_WorkloadsDeployOverMutualTls_KubectlUsesTheKubeconfig_AndAnonymousIsRefused()
    {
        Threeport.Tests.DevCluster.Kubectl.RequireInstalled();
        await using var cp = await TestControlPlane.StartAsync(withWidgets: false, devCluster: true, auth: true);
        cp.DevCluster.BaseAddress.Scheme.Should().Be("https");
        var kubeconfig = await File.ReadAllTextAsync(cp.KubeconfigPath);
        kubeconfig.Should().Contain("client-certificate-data").And.NotContain("token:");

        var instanceId = await Workloads.WorkloadTestKit.CreateInstanceAsync(cp, await Workloads.WorkloadTestKit.CreateDefinitionAsync(cp, Workloads.WorkloadTestKit.ThreeResources));
        var ns = (await Workloads.WorkloadTestKit.ReconciledAsync(cp, instanceId))["Namespace"]!.GetValue<string>();

        var kubectl = new Threeport.Tests.DevCluster.Kubectl(cp.KubeconfigPath, cp.DataDirectory);
        (await kubectl.RunAsync("get", "deploy", "web", "-n", ns, "-o", "name")).ShouldSucceed().Stdout.Should().Contain("deployment.apps/web");

        using var anonymous = new HttpClient(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true } });
        await FluentActions.Awaiting(() => anonymous.GetAsync(new Uri(cp.DevCluster.BaseAddress, "/api/v1/namespaces")))
            .Should().ThrowAsync<HttpRequestException>("the dev cluster requires a client certificate");
    }
}
