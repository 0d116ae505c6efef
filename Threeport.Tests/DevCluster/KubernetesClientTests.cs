using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Threeport.Modules.DevCluster;

namespace Threeport.Tests.DevCluster;

public sealed class KubernetesClientTests : DevClusterFixture
{
    private Kubernetes client = null!;

    [SetUp]
    public void CreateClient() => client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(KubeconfigPath));

    [TearDown]
    public void DisposeClient() => client.Dispose();

    private async Task<string> NewNamespaceAsync()
    {
        var ns = UniqueName("kc");
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } });
        return ns;
    }

    private static V1Deployment Deployment(string name, int replicas = 1) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["app"] = name } },
        Spec = new V1DeploymentSpec
        {
            Replicas = replicas,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = name } },
                Spec = new V1PodSpec
                {
                    Containers =
                    [
                        new V1Container
                        {
                            Name = "web",
                            Image = "nginx:1.27",
                            Env = [new V1EnvVar { Name = "A", Value = "1" }, new V1EnvVar { Name = "B", Value = "2" }],
                            Ports = [new V1ContainerPort { ContainerPort = 80 }],
                        },
                    ],
                },
            },
        },
    };

    [Test]
    public async Task TypedClient_CreateReadListReplaceDelete()
    {
        var ns = await NewNamespaceAsync();
        var created = await client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("web"), ns);
        created.Metadata.Uid.Should().NotBeNullOrEmpty();
        created.Metadata.Generation.Should().Be(1);

        var read = await client.AppsV1.ReadNamespacedDeploymentAsync("web", ns);
        read.Spec.Template.Spec.Containers[0].Image.Should().Be("nginx:1.27");

        var list = await client.AppsV1.ListNamespacedDeploymentAsync(ns, labelSelector: "app in (web,other)");
        list.Items.Should().ContainSingle().Which.Metadata.Name.Should().Be("web");
        (await client.AppsV1.ListNamespacedDeploymentAsync(ns, labelSelector: "app notin (web)")).Items.Should().BeEmpty();

        read.Spec.Replicas = 3;
        var replaced = await client.AppsV1.ReplaceNamespacedDeploymentAsync(read, "web", ns);
        replaced.Metadata.Generation.Should().Be(2);
        long.Parse(replaced.Metadata.ResourceVersion).Should().BeGreaterThan(long.Parse(created.Metadata.ResourceVersion));

        read.Spec.Replicas = 4;
        var stale = async () => await client.AppsV1.ReplaceNamespacedDeploymentAsync(read, "web", ns);
        (await stale.Should().ThrowAsync<HttpOperationException>()).Which.Response.StatusCode.Should().Be(HttpStatusCode.Conflict);

        var dup = async () => await client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("web"), ns);
        var dupError = (await dup.Should().ThrowAsync<HttpOperationException>()).Which;
        dupError.Response.StatusCode.Should().Be(HttpStatusCode.Conflict);
        dupError.Response.Content.Should().Contain("\"reason\":\"AlreadyExists\"");

        await client.AppsV1.DeleteNamespacedDeploymentAsync("web", ns, new V1DeleteOptions { PropagationPolicy = "Foreground" });
        var gone = async () => await client.AppsV1.ReadNamespacedDeploymentAsync("web", ns);
        var notFound = (await gone.Should().ThrowAsync<HttpOperationException>()).Which;
        notFound.Response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        notFound.Response.Content.Should().Contain("deployments.apps \\\"web\\\" not found");
    }

    [Test]
    public async Task CreateInMissingNamespace_Returns404()
    {
        var act = async () => await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "x" } }, "no-such-ns");
        (await act.Should().ThrowAsync<HttpOperationException>()).Which.Response.Content.Should().Contain("namespaces \\\"no-such-ns\\\" not found");
    }

    [Test]
    public async Task Patches_OfEveryType_AreApplied()
    {
        var ns = await NewNamespaceAsync();
        await client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("p"), ns);

        var merged = await client.AppsV1.PatchNamespacedDeploymentAsync(
            new V1Patch("{\"spec\":{\"replicas\":4}}", V1Patch.PatchType.MergePatch), "p", ns);
        merged.Spec.Replicas.Should().Be(4);

        var jsonPatch = await client.AppsV1.PatchNamespacedDeploymentAsync(
            new V1Patch("[{\"op\":\"replace\",\"path\":\"/spec/replicas\",\"value\":2},{\"op\":\"add\",\"path\":\"/metadata/labels/tier\",\"value\":\"front\"}]", V1Patch.PatchType.JsonPatch), "p", ns);
        jsonPatch.Spec.Replicas.Should().Be(2);
        jsonPatch.Metadata.Labels["tier"].Should().Be("front");

        // Strategic merge: the env list merges by name, so A stays, B changes and C is added.
        var strategic = await client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(
            "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"web\",\"env\":[{\"name\":\"B\",\"value\":\"20\"},{\"name\":\"C\",\"value\":\"3\"}]}]}}}}",
            V1Patch.PatchType.StrategicMergePatch), "p", ns);
        var env = strategic.Spec.Template.Spec.Containers.Should().ContainSingle().Subject.Env;
        env.Select(e => $"{e.Name}={e.Value}").Should().BeEquivalentTo(["A=1", "B=20", "C=3"]);

        var applied = await client.AppsV1.PatchNamespacedDeploymentAsync(
            new V1Patch(KubernetesJson.Serialize(Deployment("p", 5)), V1Patch.PatchType.ApplyPatch), "p", ns, fieldManager: "tpt", force: true);
        applied.Spec.Replicas.Should().Be(5);
        applied.Metadata.ManagedFields.Should().Contain(m => m.Manager == "tpt" && m.Operation == "Apply");
    }

    [Test]
    public async Task ServerSideApply_CreatesIfMissing_AndReportsConflictsBetweenManagers()
    {
        var ns = await NewNamespaceAsync();
        var cm = new V1ConfigMap { ApiVersion = "v1", Kind = "ConfigMap", Metadata = new V1ObjectMeta { Name = "owned", NamespaceProperty = ns }, Data = new Dictionary<string, string> { ["k"] = "a" } };
        var created = await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch(KubernetesJson.Serialize(cm), V1Patch.PatchType.ApplyPatch), "owned", ns, fieldManager: "first");
        created.Data["k"].Should().Be("a");

        cm.Data["k"] = "b";
        var conflict = async () => await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch(KubernetesJson.Serialize(cm), V1Patch.PatchType.ApplyPatch), "owned", ns, fieldManager: "second");
        var error = (await conflict.Should().ThrowAsync<HttpOperationException>()).Which;
        error.Response.StatusCode.Should().Be(HttpStatusCode.Conflict);
        error.Response.Content.Should().Contain("conflict with \\\"first\\\"").And.Contain(".data.k");

        var forced = await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch(KubernetesJson.Serialize(cm), V1Patch.PatchType.ApplyPatch), "owned", ns, fieldManager: "second", force: true);
        forced.Data["k"].Should().Be("b");

        // A manager that stops applying a field it alone owns removes it.
        var second = new V1ConfigMap { ApiVersion = "v1", Kind = "ConfigMap", Metadata = new V1ObjectMeta { Name = "owned", NamespaceProperty = ns }, Data = new Dictionary<string, string> { ["other"] = "x" } };
        var pruned = await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch(KubernetesJson.Serialize(second), V1Patch.PatchType.ApplyPatch), "owned", ns, fieldManager: "second");
        pruned.Data.Should().ContainKey("other").And.NotContainKey("k");
    }

    [Test]
    public async Task GenericClient_WorksForBuiltInsAndCustomResources()
    {
        var ns = await NewNamespaceAsync();
        using var deployments = new GenericClient(client, "apps", "v1", "deployments", disposeClient: false);
        await deployments.CreateNamespacedAsync(Deployment("g"), ns);
        var read = await deployments.ReadNamespacedAsync<V1Deployment>(ns, "g");
        read.Metadata.Name.Should().Be("g");
        (await deployments.ListNamespacedAsync<V1DeploymentList>(ns)).Items.Should().ContainSingle();

        var group = UniqueName("g") + ".example.com";
        await client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(new V1CustomResourceDefinition
        {
            Metadata = new V1ObjectMeta { Name = $"gadgets.{group}" },
            Spec = new V1CustomResourceDefinitionSpec
            {
                Group = group,
                Scope = "Cluster",
                Names = new V1CustomResourceDefinitionNames { Plural = "gadgets", Singular = "gadget", Kind = "Gadget" },
                Versions = [new V1CustomResourceDefinitionVersion { Name = "v1", Served = true, Storage = true }],
            },
        });
        var crd = await client.ApiextensionsV1.ReadCustomResourceDefinitionAsync($"gadgets.{group}");
        crd.Status.Conditions.Should().Contain(c => c.Type == "Established" && c.Status == "True");

        var gadget = new Dictionary<string, object>
        {
            ["apiVersion"] = $"{group}/v1",
            ["kind"] = "Gadget",
            ["metadata"] = new Dictionary<string, object> { ["name"] = "g1" },
            ["spec"] = new Dictionary<string, object> { ["size"] = 3 },
        };
        await client.CustomObjects.CreateClusterCustomObjectAsync(gadget, group, "v1", "gadgets");
        var applied = new Dictionary<string, object>(gadget) { ["spec"] = new Dictionary<string, object> { ["size"] = 4 } };
        await client.CustomObjects.PatchClusterCustomObjectAsync(new V1Patch(KubernetesJson.Serialize(applied), V1Patch.PatchType.ApplyPatch), group, "v1", "gadgets", "g1", fieldManager: "tpt", force: true);
        var got = await client.CustomObjects.GetClusterCustomObjectAsync(group, "v1", "gadgets", "g1");
        KubernetesJson.Serialize(got).Should().Contain("\"size\":4");

        await client.ApiextensionsV1.DeleteCustomResourceDefinitionAsync($"gadgets.{group}");
        var afterDelete = async () => await client.CustomObjects.GetClusterCustomObjectAsync(group, "v1", "gadgets", "g1");
        (await afterDelete.Should().ThrowAsync<HttpOperationException>()).Which.Response.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Test]
    public async Task Watch_DeliversAddedModifiedDeleted()
    {
        var ns = await NewNamespaceAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var seen = new List<(WatchEventType, string)>();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var watching = Task.Run(async () =>
        {
            var list = await client.CoreV1.ListNamespacedConfigMapAsync(ns, cancellationToken: cts.Token);
            started.SetResult();
            await foreach (var (type, item) in client.CoreV1.WatchListNamespacedConfigMapAsync(ns, resourceVersion: list.Metadata.ResourceVersion, cancellationToken: cts.Token))
            {
                if (item.Metadata.Name != "w")
                {
                    continue;
                }

                seen.Add((type, item.Data?["v"] ?? ""));
                if (type == WatchEventType.Deleted)
                {
                    return;
                }
            }
        });
        await started.Task.WaitAsync(cts.Token);
        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "w" }, Data = new Dictionary<string, string> { ["v"] = "1" } }, ns, cancellationToken: cts.Token);
        await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("{\"data\":{\"v\":\"2\"}}", V1Patch.PatchType.MergePatch), "w", ns, cancellationToken: cts.Token);
        await client.CoreV1.DeleteNamespacedConfigMapAsync("w", ns, cancellationToken: cts.Token);
        await watching.WaitAsync(cts.Token);

        seen.Should().Equal((WatchEventType.Added, "1"), (WatchEventType.Modified, "2"), (WatchEventType.Deleted, "2"));
    }

    [Test]
    public async Task ParallelWriters_SeeConflicts_NeverLoseUpdates()
    {
        var ns = await NewNamespaceAsync();
        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "counter" }, Data = new Dictionary<string, string> { ["n"] = "0" } }, ns);
        var conflicts = 0;
        const int Writers = 6;
        const int IncrementsEach = 8;

        async Task IncrementAsync()
        {
            for (var done = 0; done < IncrementsEach;)
            {
                var cm = await client.CoreV1.ReadNamespacedConfigMapAsync("counter", ns);
                cm.Data["n"] = (int.Parse(cm.Data["n"]) + 1).ToString();
                try
                {
                    await client.CoreV1.ReplaceNamespacedConfigMapAsync(cm, "counter", ns);
                    done++;
                }
                catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
                {
                    Interlocked.Increment(ref conflicts);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, Writers).Select(_ => Task.Run(IncrementAsync))).WaitAsync(TimeSpan.FromSeconds(60));
        var final = await client.CoreV1.ReadNamespacedConfigMapAsync("counter", ns);
        final.Data["n"].Should().Be((Writers * IncrementsEach).ToString());
        conflicts.Should().BeGreaterThan(0, "six writers racing on one object must collide at least once");
    }

    [Test]
    public async Task Faults_InjectedErrorRate_ShowsUpInResponses()
    {
        var ns = await NewNamespaceAsync();
        Cluster.Faults.Seed = 42;
        Cluster.Faults.Set(new FaultRule { Verb = "GET", Resource = "configmaps", ErrorRate = 0.5, StatusCode = 500 });
        var failures = 0;
        for (var i = 0; i < 20; i++)
        {
            try
            {
                await client.CoreV1.ListNamespacedConfigMapAsync(ns);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.InternalServerError)
            {
                failures++;
                e.Response.Content.Should().Contain("\"reason\":\"InternalError\"");
            }
        }

        failures.Should().BeInRange(3, 17);
        Cluster.Faults.Clear();
        (await client.CoreV1.ListNamespacedConfigMapAsync(ns)).Items.Should().NotBeNull();
    }

    [Test]
    public async Task Faults_Down_DropsConnections_UntilRecovered()
    {
        var before = Cluster.RequestCount;
        Cluster.Faults.Down = true;
        var act = async () => await client.CoreV1.ListNamespaceAsync();
        await act.Should().ThrowAsync<HttpRequestException>();
        Cluster.RequestCount.Should().BeGreaterThan(before);

        Cluster.Faults.Down = false;
        (await client.CoreV1.ListNamespaceAsync()).Items.Should().Contain(n => n.Metadata.Name == "default");
    }
}
