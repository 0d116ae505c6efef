using System.Text.Json.Nodes;

namespace Threeport.Tests.DevCluster;

public sealed class KubectlCompatibilityTests : DevClusterFixture
{
    private const string SampleManifest = "/work/shared/samples/threeport/wordpress-manifest-local.yaml";
    private Kubectl kubectl = null!;

    [SetUp]
    public void SetUpKubectl()
    {
        Kubectl.RequireInstalled();
        kubectl = new Kubectl(KubeconfigPath, WorkDir);
    }

    private async Task<string> NewNamespaceAsync()
    {
        var ns = UniqueName("kc");
        (await kubectl.RunAsync("create", "namespace", ns)).ShouldSucceed();
        return ns;
    }

    private static string SampleIn(string ns) =>
        File.ReadAllText(SampleManifest).Replace("namespace: \"default\"", $"namespace: \"{ns}\"");

    [Test]
    public async Task Version_ReportsServer131()
    {
        var r = (await kubectl.RunAsync("version", "-o", "json")).ShouldSucceed();
        JsonNode.Parse(r.Stdout)!["serverVersion"]!["gitVersion"]!.GetValue<string>().Should().StartWith("v1.31.");
    }

    [Test]
    public async Task Apply_WordPressSample_ClientSide_ThenGetAndWaitAvailable()
    {
        var ns = await NewNamespaceAsync();
        var file = Path.Combine(WorkDir, ns + ".yaml");
        await File.WriteAllTextAsync(file, SampleIn(ns));

        var applied = (await kubectl.RunAsync("apply", "-f", file)).ShouldSucceed();
        applied.Stdout.Should().Contain("deployment.apps/getting-started-wordpress created")
            .And.Contain("statefulset.apps/getting-started-mariadb created")
            .And.Contain("service/getting-started-wordpress created");

        var before = (await kubectl.RunAsync("get", "deploy", "getting-started-wordpress", "-n", ns, "-o", "jsonpath={.metadata.generation}")).ShouldSucceed().Stdout;
        var again = (await kubectl.RunAsync("apply", "-f", file)).ShouldSucceed();
        // Manifests with explicit nulls (this one has several) are reported "configured" by real clusters
        // too; what matters is that nothing changed.
        again.Stdout.Should().Contain("service/getting-started-wordpress unchanged").And.Contain("configmap/getting-started-mariadb unchanged");
        (await kubectl.RunAsync("get", "deploy", "getting-started-wordpress", "-n", ns, "-o", "jsonpath={.metadata.generation}")).ShouldSucceed()
            .Stdout.Should().Be(before);

        (await kubectl.RunAsync("wait", "-n", ns, "--for=condition=Available", "deploy/getting-started-wordpress", "--timeout=30s")).ShouldSucceed()
            .Stdout.Should().Contain("condition met");

        var table = (await kubectl.RunAsync("get", "deploy", "-n", ns)).ShouldSucceed();
        table.Stdout.Should().MatchRegex(@"NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE")
            .And.MatchRegex(@"getting-started-wordpress\s+1/1\s+1\s+1\s+");

        (await kubectl.RunAsync("rollout", "status", "-n", ns, "statefulset/getting-started-mariadb", "--timeout=30s")).ShouldSucceed();
        var pvc = (await kubectl.RunAsync("get", "pvc", "-n", ns)).ShouldSucceed();
        pvc.Stdout.Should().MatchRegex(@"getting-started-wordpress\s+Bound").And.MatchRegex(@"data-getting-started-mariadb-0\s+Bound");

        var svc = (await kubectl.RunAsync("get", "svc", "getting-started-wordpress", "-n", ns, "-o", "json")).ShouldSucceed();
        JsonNode.Parse(svc.Stdout)!["spec"]!["clusterIP"]!.GetValue<string>().Should().StartWith("10.96.");
    }

    [Test]
    public async Task Apply_WordPressSample_ServerSide_CreatesAndReapplies()
    {
        var ns = await NewNamespaceAsync();
        var file = Path.Combine(WorkDir, ns + "-ssa.yaml");
        await File.WriteAllTextAsync(file, SampleIn(ns));

        (await kubectl.RunAsync("apply", "--server-side", "-f", file)).ShouldSucceed()
            .Stdout.Should().Contain("deployment.apps/getting-started-wordpress serverside-applied");
        (await kubectl.RunAsync("apply", "--server-side", "-f", file)).ShouldSucceed();

        var json = (await kubectl.RunAsync("get", "deploy", "getting-started-wordpress", "-n", ns, "-o", "json", "--show-managed-fields")).ShouldSucceed();
        var managed = JsonNode.Parse(json.Stdout)!["metadata"]!["managedFields"]!.AsArray();
        managed.Should().Contain(m => m!["manager"]!.GetValue<string>() == "kubectl" && m["operation"]!.GetValue<string>() == "Apply");
    }

    [Test]
    public async Task Get_OutputsJsonYamlAndFiltersByLabel()
    {
        var ns = await NewNamespaceAsync();
        (await kubectl.RunAsync("create", "configmap", "blue", "-n", ns, "--from-literal=a=1")).ShouldSucceed();
        (await kubectl.RunAsync("create", "configmap", "red", "-n", ns, "--from-literal=a=2")).ShouldSucceed();
        (await kubectl.RunAsync("label", "configmap", "blue", "-n", ns, "color=blue")).ShouldSucceed();

        var plain = (await kubectl.RunAsync("get", "cm", "-n", ns)).ShouldSucceed();
        plain.Stdout.Should().MatchRegex(@"NAME\s+DATA\s+AGE").And.MatchRegex(@"blue\s+1\s+").And.Contain("red");

        var selected = (await kubectl.RunAsync("get", "cm", "-n", ns, "-l", "color=blue", "-o", "name")).ShouldSucceed();
        selected.Stdout.Trim().Should().Be("configmap/blue");

        var notBlue = (await kubectl.RunAsync("get", "cm", "-n", ns, "-l", "color!=blue", "-o", "name")).ShouldSucceed();
        notBlue.Stdout.Should().Contain("configmap/red").And.NotContain("configmap/blue");

        var json = (await kubectl.RunAsync("get", "cm", "blue", "-n", ns, "-o", "json")).ShouldSucceed();
        JsonNode.Parse(json.Stdout)!["data"]!["a"]!.GetValue<string>().Should().Be("1");

        var yaml = (await kubectl.RunAsync("get", "cm", "red", "-n", ns, "-o", "yaml")).ShouldSucceed();
        yaml.Stdout.Should().Contain("kind: ConfigMap").And.Contain("a: \"2\"");
    }

    [Test]
    public async Task Describe_Deployment_ShowsReplicaSetAndEvents()
    {
        var ns = await NewNamespaceAsync();
        (await kubectl.RunAsync("create", "deployment", "web", "-n", ns, "--image=nginx:1.27", "--replicas=2")).ShouldSucceed();
        (await kubectl.RunAsync("wait", "-n", ns, "--for=condition=Available", "deploy/web", "--timeout=30s")).ShouldSucceed();

        var described = (await kubectl.RunAsync("describe", "deploy", "web", "-n", ns)).ShouldSucceed();
        described.Stdout.Should().Contain("Name:").And.Contain("web")
            .And.MatchRegex(@"Replicas:\s+2 desired \| 2 updated \| 2 total \| 2 available")
            .And.Contain("ScalingReplicaSet");

        var events = (await kubectl.RunAsync("get", "events", "-n", ns)).ShouldSucceed();
        events.Stdout.Should().Contain("SuccessfulCreate").And.Contain("Scheduled").And.Contain("Started");

        var pods = (await kubectl.RunAsync("get", "pods", "-n", ns)).ShouldSucceed();
        pods.Stdout.Should().MatchRegex(@"web-\w+-\w+\s+1/1\s+Running\s+0");
    }

    [Test]
    public async Task GetWatch_ReceivesEventForNewObject()
    {
        var ns = await NewNamespaceAsync();
        using var watch = kubectl.Start(["get", "configmaps", "-n", ns, "-w"]);
        var lines = new List<string>();
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reader = Task.Run(async () =>
        {
            while (await watch.StandardOutput.ReadLineAsync() is { } line)
            {
                lock (lines)
                {
                    lines.Add(line);
                }

                if (line.Contains("watched-cm", StringComparison.Ordinal))
                {
                    seen.TrySetResult();
                }
            }
        });

        // kube-root-ca.crt shows up in the first listing: once it is printed, the watch is running.
        await WaitForAsync(() => { lock (lines) { return lines.Any(l => l.Contains("kube-root-ca.crt", StringComparison.Ordinal)); } }, TimeSpan.FromSeconds(20));
        (await kubectl.RunAsync("create", "configmap", "watched-cm", "-n", ns)).ShouldSucceed();
        await seen.Task.WaitAsync(TimeSpan.FromSeconds(20));
        watch.Kill(entireProcessTree: true);
        await reader.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Test]
    public async Task Delete_Deployment_RemovesReplicaSetsAndPods()
    {
        var ns = await NewNamespaceAsync();
        (await kubectl.RunAsync("create", "deployment", "gone", "-n", ns, "--image=nginx")).ShouldSucceed();
        (await kubectl.RunAsync("wait", "-n", ns, "--for=condition=Available", "deploy/gone", "--timeout=30s")).ShouldSucceed();
        (await kubectl.RunAsync("delete", "deploy", "gone", "-n", ns)).ShouldSucceed().Stdout.Should().Contain("deployment.apps \"gone\" deleted");

        (await kubectl.RunAsync("get", "rs,pods", "-n", ns, "-o", "name")).ShouldSucceed().Stdout.Trim().Should().BeEmpty();
    }

    [Test]
    public async Task DeleteNamespace_RemovesItsContents()
    {
        var ns = await NewNamespaceAsync();
        (await kubectl.RunAsync("create", "deployment", "inner", "-n", ns, "--image=nginx")).ShouldSucceed();
        (await kubectl.RunAsync("create", "configmap", "inner", "-n", ns)).ShouldSucceed();
        (await kubectl.RunAsync("delete", "namespace", ns, "--timeout=30s")).ShouldSucceed();

        (await kubectl.RunAsync("get", "namespace", ns)).Stderr.Should().Contain("NotFound");
        (await kubectl.RunAsync("get", "deploy,cm,pods,rs", "-n", ns, "-o", "name")).Stdout.Trim().Should().BeEmpty();
    }

    [Test]
    public async Task Crd_ThenCustomResource_IsServable()
    {
        var ns = await NewNamespaceAsync();
        var group = UniqueName("g") + ".example.com";
        var crd = $$"""
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata:
              name: widgets.{{group}}
            spec:
              group: {{group}}
              scope: Namespaced
              names:
                plural: widgets
                singular: widget
                kind: Widget
                shortNames: [wd]
              versions:
              - name: v1alpha1
                served: true
                storage: true
                schema:
                  openAPIV3Schema:
                    type: object
                    x-kubernetes-preserve-unknown-fields: true
                additionalPrinterColumns:
                - name: Size
                  type: string
                  jsonPath: .spec.size
            """;
        (await kubectl.RunWithInputAsync(crd, "apply", "-f", "-")).ShouldSucceed();
        (await kubectl.RunAsync("wait", "--for=condition=Established", $"crd/widgets.{group}", "--timeout=20s")).ShouldSucceed();

        var widget = $"""
            apiVersion: {group}/v1alpha1
            kind: Widget
            metadata:
              name: w1
              namespace: {ns}
            spec:
              size: large
            """;
        (await kubectl.RunWithInputAsync(widget, "apply", "-f", "-")).ShouldSucceed().Stdout.Should().Contain("created");
        var got = (await kubectl.RunAsync("get", $"widgets.{group}", "-n", ns)).ShouldSucceed();
        got.Stdout.Should().MatchRegex(@"NAME\s+SIZE\s+AGE").And.MatchRegex(@"w1\s+large");
    }

    [Test]
    public async Task Errors_NotFoundAndConflict_AreReportedLikeTheApiserver()
    {
        var ns = await NewNamespaceAsync();
        var missing = await kubectl.RunAsync("get", "deploy", "nope", "-n", ns);
        missing.ExitCode.Should().NotBe(0);
        missing.Stderr.Should().Contain("Error from server (NotFound): deployments.apps \"nope\" not found");

        (await kubectl.RunAsync("create", "configmap", "stale", "-n", ns, "--from-literal=a=1")).ShouldSucceed();
        var json = (await kubectl.RunAsync("get", "cm", "stale", "-n", ns, "-o", "json")).ShouldSucceed().Stdout;
        (await kubectl.RunAsync("patch", "cm", "stale", "-n", ns, "-p", "{\"data\":{\"a\":\"2\"}}")).ShouldSucceed();

        var conflict = await kubectl.RunWithInputAsync(json, "replace", "-f", "-");
        conflict.ExitCode.Should().NotBe(0);
        conflict.Stderr.Should().Contain("Conflict").And.Contain("the object has been modified");

        var exists = await kubectl.RunAsync("create", "configmap", "stale", "-n", ns);
        exists.ExitCode.Should().NotBe(0);
        exists.Stderr.Should().Contain("configmaps \"stale\" already exists");
    }

    private static async Task WaitForAsync(Func<bool> condition, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (!condition())
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), TimeProvider.System, cts.Token);
        }
    }
}
