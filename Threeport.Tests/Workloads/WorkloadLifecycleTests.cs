using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using k8s;
using Microsoft.Extensions.DependencyInjection;
using k8s.Models;
using Threeport.Modules.DevCluster;
using Threeport.Modules.Workloads.Manifests;
using Threeport.Tests.DevCluster;
using Threeport.Tests.Support;

namespace Threeport.Tests.Workloads;

// One control plane with its dev cluster for all lifecycle tests; each test uses its own objects and namespaces.
public sealed class WorkloadLifecycleTests
{
    private TestControlPlane cp = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => cp = await WorkloadTestKit.StartControlPlaneAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await cp.DisposeAsync();

    [TearDown]
    public void ClearFaults()
    {
        cp.DevCluster.Faults.Clear();
        cp.DevCluster.Faults.Down = false;
    }

    [Test]
    public async Task CustomResourceDefinition_AndACustomResourceOfIt_AndAClusterScopedResource_AreApplied()
    {
        var group = $"{TestControlPlane.Unique("g")}.example.com";
        var yaml = $$"""
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata:
              name: gadgets.{{group}}
            spec:
              group: {{group}}
              scope: Namespaced
              names:
                plural: gadgets
                singular: gadget
                kind: Gadget
              versions:
              - name: v1
                served: true
                storage: true
                schema:
                  openAPIV3Schema:
                    type: object
                    x-kubernetes-preserve-unknown-fields: true
            ---
            apiVersion: {{group}}/v1
            kind: Gadget
            metadata:
              name: my-gadget
            spec:
              size: 3
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata:
              name: {{TestControlPlane.Unique("reader")}}
            rules:
            - apiGroups: [""]
              resources: [pods]
              verbs: [get, list]
            """;
        var instanceId = await cp.CreateInstanceAsync(await cp.CreateDefinitionAsync(yaml));
        var instance = await cp.ReconciledAsync(instanceId);

        using var k8s = cp.KubernetesClient();
        var gadget = await k8s.CustomObjects.GetNamespacedCustomObjectAsync<System.Text.Json.JsonElement>(group, "v1", instance["Namespace"]!.GetValue<string>(), "gadgets", "my-gadget");
        gadget.GetProperty("spec").GetProperty("size").GetInt32().Should().Be(3);
        var resources = await cp.ResourcesOfAsync(instanceId);
        resources.Single(r => r!["Kind"]!.GetValue<string>() == "ClusterRole")!["ResourceNamespace"].Should().BeNull("cluster-scoped resources get no namespace");
    }

    [Test]
    public async Task TwoInstancesOfOneDefinition_RunSideBySide_InTheirOwnNamespaces()
    {
        var definitionId = await cp.CreateDefinitionAsync(WorkloadTestKit.ThreeResources);
        var first = await cp.ReconciledAsync(await cp.CreateInstanceAsync(definitionId));
        var second = await cp.ReconciledAsync(await cp.CreateInstanceAsync(definitionId));

        var namespaces = new[] { first, second }.Select(i => i["Namespace"]!.GetValue<string>()).ToList();
        namespaces.Should().OnlyHaveUniqueItems();
        using var k8s = cp.KubernetesClient();
        foreach (var ns in namespaces)
        {
            var deployment = await k8s.AppsV1.ReadNamespacedDeploymentAsync("web", ns);
            deployment.Status.AvailableReplicas.Should().Be(2);
        }
    }

    [Test]
    public async Task DefinitionUpdate_ReachesItsInstances_ImageChangedAndRemovedResourcePruned()
    {
        var definitionId = await cp.CreateDefinitionAsync(WorkloadTestKit.ThreeResources);
        var instanceId = await cp.CreateInstanceAsync(definitionId);
        var ns = (await cp.ReconciledAsync(instanceId))["Namespace"]!.GetValue<string>();
        var generation = (await cp.GetAsync("workload-instances", instanceId))["Generation"]!.GetValue<long>();

        var updated = WorkloadTestKit.ThreeResources.Replace("nginx:1.27", "nginx:1.28");
        updated = updated[..updated.IndexOf("apiVersion: v1\nkind: Service", StringComparison.Ordinal)]
            + updated[updated.IndexOf("apiVersion: apps/v1", StringComparison.Ordinal)..];
        await cp.PatchAsync("workload-definitions", definitionId, new { YAMLDocument = updated });

        await cp.EventuallyAsync("workload-instances", instanceId, i => i["Generation"]!.GetValue<long>() > generation && i["Reconciled"]!.GetValue<bool>(), TimeSpan.FromSeconds(60));
        using var k8s = cp.KubernetesClient();
        (await k8s.AppsV1.ReadNamespacedDeploymentAsync("web", ns)).Spec.Template.Spec.Containers[0].Image.Should().Be("nginx:1.28");
        var gone = await FluentActions.Awaiting(() => k8s.CoreV1.ReadNamespacedServiceAsync("web", ns)).Should().ThrowAsync<k8s.Autorest.HttpOperationException>();
        gone.Which.Response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await cp.ResourcesOfAsync(instanceId)).Select(r => r!["Kind"]!.GetValue<string>()).Should().NotContain("Service");
    }

    [Test]
    public async Task ASettledInstance_ReconciledAgain_RewritesNoResourceRecord()
    {
        var definitionId = await cp.CreateDefinitionAsync(WorkloadTestKit.ThreeResources);
        var instanceId = await cp.CreateInstanceAsync(definitionId);
        await cp.ReconciledAsync(instanceId);

        // The first reconcile that changes nothing records "Unchanged"; the ones after it write nothing.
        await ReconcileAgainAsync(instanceId);
        var settled = await RecordStampsAsync(instanceId);
        await ReconcileAgainAsync(instanceId);

        (await RecordStampsAsync(instanceId)).Should().Equal(settled);
        settled.Should().HaveCount(4).And.OnlyContain(r => r.LastOperation == "Unchanged");
    }

    // A reconcile records every resource before applying it, in one transaction, and what the cluster answered in one
    // more: an apply that fails midway leaves records of what went before (with the cluster's answer) and of what it
    // tried, so a teardown knows everything.
    [Test]
    public async Task AnApplyThatFails_LeavesRecordsOfWhatWentBefore_AndOfWhatItTried()
    {
        var definitionId = await cp.CreateDefinitionAsync(WorkloadTestKit.ThreeResources);
        cp.DevCluster.Faults.Set(new FaultRule { Verb = "PATCH", Resource = "deployments", ErrorRate = 1, StatusCode = 403 });
        var instanceId = await cp.CreateInstanceAsync(definitionId);
        await cp.EventuallyAsync("workload-instances", instanceId, i => i["Status"]?.GetValue<string>() == "Error", TimeSpan.FromSeconds(30));

        var records = (await cp.ResourcesOfAsync(instanceId)).ToDictionary(r => r!["Kind"]!.GetValue<string>(), r => r!);
        records.Keys.Should().BeEquivalentTo("Namespace", "ConfigMap", "Service", "Deployment");
        records["Deployment"]["LastOperation"]!.GetValue<string>().Should().Be("Applying");
        records["Deployment"]["ResourceUID"].Should().BeNull("the cluster never took it");
        foreach (var applied in new[] { "Namespace", "ConfigMap", "Service" })
        {
            records[applied]["LastOperation"]!.GetValue<string>().Should().Be("Created", $"the {applied} was applied before the failure");
            records[applied]["ResourceUID"]!.GetValue<string>().Should().NotBeEmpty();
        }

        cp.DevCluster.Faults.Clear();
        await cp.ReconciledAsync(instanceId);
        (await cp.ResourcesOfAsync(instanceId)).Should().OnlyContain(r => r!["LastOperation"]!.GetValue<string>() == "Created" || r!["LastOperation"]!.GetValue<string>() == "Unchanged");
    }

    // Past its namespace, a workload's ConfigMap, Service and Deployment go to the cluster together: while the
    // cluster holds the ConfigMap's apply, the Deployment is already there (one after the other, it could not be).
    [Test]
    public async Task AWorkloadsResources_AreAppliedTogether_OnceItsNamespaceIsThere()
    {
        var definitionId = await cp.CreateDefinitionAsync(WorkloadTestKit.ThreeResources);
        cp.DevCluster.Faults.Set(new FaultRule { Verb = "PATCH", Resource = "configmaps", Latency = TimeSpan.FromSeconds(5) });
        var instanceId = await cp.CreateInstanceAsync(definitionId);
        using var k8s = cp.KubernetesClient();
        var selector = $"{ThreeportLabels.WorkloadInstance}={instanceId}";

        using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        int deployments, configMaps;
        do
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), giveUp.Token);
            configMaps = (await k8s.CoreV1.ListConfigMapForAllNamespacesAsync(labelSelector: selector)).Items.Count;
            deployments = (await k8s.AppsV1.ListDeploymentForAllNamespacesAsync(labelSelector: selector)).Items.Count;
        }
        while (deployments == 0 && configMaps == 0);

        deployments.Should().Be(1);
        configMaps.Should().Be(0, "the cluster still holds the ConfigMap's apply");
        await cp.ReconciledAsync(instanceId);
        (await k8s.CoreV1.ListConfigMapForAllNamespacesAsync(labelSelector: selector)).Items.Should().ContainSingle();
    }

    private async Task ReconcileAgainAsync(long instanceId)
    {
        var generation = (await cp.GetAsync("workload-instances", instanceId))["Generation"]!.GetValue<long>();
        await cp.PatchAsync("workload-instances", instanceId, new { Reconciled = false });
        await cp.EventuallyAsync("workload-instances", instanceId, i => i["Generation"]!.GetValue<long>() > generation && i["Reconciled"]!.GetValue<bool>(), TimeSpan.FromSeconds(60));
    }

    private async Task<List<(string Kind, string UpdatedAt, string LastOperation)>> RecordStampsAsync(long instanceId) =>
        (await cp.ResourcesOfAsync(instanceId))
            .Select(r => (r!["Kind"]!.GetValue<string>(), r["UpdatedAt"]!.GetValue<string>(), r["LastOperation"]!.GetValue<string>()))
            .OrderBy(r => r.Item1)
            .ToList();

    // The cluster's Events about an instance's Deployment, its ReplicaSet and its pods arrive in bursts and are
    // recorded a burst at a time: every one of them becomes exactly one WorkloadEvent of its instance.
    [Test]
    public async Task EveryClusterEvent_AboutAnInstancesWorkload_BecomesOneWorkloadEvent()
    {
        var definitionId = await cp.CreateDefinitionAsync(WorkloadTestKit.ThreeResources);
        var instances = new[] { await cp.CreateInstanceAsync(definitionId), await cp.CreateInstanceAsync(definitionId) };
        using var k8s = cp.KubernetesClient();
        foreach (var instanceId in instances)
        {
            var ns = (await cp.ReconciledAsync(instanceId))["Namespace"]!.GetValue<string>();
            var clusterEvents = (await k8s.CoreV1.ListNamespacedEventAsync(ns)).Items
                .Where(e => e.InvolvedObject.Kind is "Deployment" or "ReplicaSet" or "Pod")
                .Select(e => (Uid: e.Metadata.Uid, e.Type, e.Reason, Message: $"{e.InvolvedObject.Kind} {e.InvolvedObject.Name}: {e.Message}", At: (DateTimeOffset)DateTime.SpecifyKind(e.LastTimestamp!.Value, DateTimeKind.Utc)))
                .ToList();
            clusterEvents.Should().HaveCountGreaterThan(3, "a Deployment rolling out two pods makes several events");
            await WordPressSampleTests.EventuallyAsync(
                async () => (await cp.ListAsync("workload-events", $"workloadinstanceid={instanceId}")).Count >= clusterEvents.Count,
                "the cluster's events as WorkloadEvents");
            var recorded = (await cp.ListAsync("workload-events", $"workloadinstanceid={instanceId}"))
                .Select(e => (Uid: e!["RuntimeEventUID"]!.GetValue<string>(), Type: e["Type"]!.GetValue<string>(), Reason: e["Reason"]!.GetValue<string>(),
                    Message: e["Message"]!.GetValue<string>(), At: e["Timestamp"]!.GetValue<DateTimeOffset>()))
                .ToList();
            recorded.Select(e => e.Uid).Should().OnlyHaveUniqueItems();
            recorded.Should().BeEquivalentTo(clusterEvents, "each keeps the Event's type, reason, message and time");
        }
    }

    // One write for a burst, but an event that cannot be recorded (its instance is gone) costs only itself, and a
    // repeat of an event in the same burst updates its one row to the latest time.
    [Test]
    public async Task ABurstOfEvents_WithARepeat_AndOneOfAnInstanceThatIsGone_RecordsAllTheOthersOnce()
    {
        var definitionId = await cp.CreateDefinitionAsync(WorkloadTestKit.ThreeResources);
        var first = await cp.CreateInstanceAsync(definitionId);
        var second = await cp.CreateInstanceAsync(definitionId);
        var writer = cp.Services.GetRequiredService<Threeport.Modules.Workloads.Reconcilers.WorkloadEventWriter>();
        var at = DateTimeOffset.UtcNow;
        var uid = TestControlPlane.Unique("uid");
        await writer.RecordAsync(
            [
                new(first, null, uid + "-a", "Normal", "Tested", "first", at),
                new(first, null, uid + "-a", "Normal", "Tested", "first again", at.AddSeconds(5)),
                new(first, null, uid + "-b", "Warning", "Tested", "second", at),
                new(long.MaxValue, null, uid + "-c", "Normal", "Tested", "no such instance", at),
                new(second, null, uid + "-a", "Normal", "Tested", "same uid, other instance", at),
            ],
            CancellationToken.None);

        async Task<List<JsonNode>> TestedAsync(long instanceId) =>
            (await cp.ListAsync("workload-events", $"workloadinstanceid={instanceId}")).Where(e => e!["Reason"]!.GetValue<string>() == "Tested").Select(e => e!).ToList();
        var ofFirst = (await TestedAsync(first)).ToDictionary(e => e["RuntimeEventUID"]!.GetValue<string>());
        ofFirst.Keys.Should().BeEquivalentTo(uid + "-a", uid + "-b");
        ofFirst[uid + "-a"]["Timestamp"]!.GetValue<DateTimeOffset>().Should().BeCloseTo(at.AddSeconds(5), TimeSpan.FromMilliseconds(1));
        (await TestedAsync(second)).Select(e => e["RuntimeEventUID"]!.GetValue<string>()).Should().Equal(uid + "-a");
    }

    [Test]
    public async Task Drift_ADeletedOrChangedResource_IsPutBack()
    {
        var instanceId = await cp.CreateInstanceAsync(await cp.CreateDefinitionAsync(WorkloadTestKit.ThreeResources));
        var ns = (await cp.ReconciledAsync(instanceId))["Namespace"]!.GetValue<string>();
        using var k8s = cp.KubernetesClient();

        await k8s.CoreV1.DeleteNamespacedConfigMapAsync("web-config", ns);
        await WordPressSampleTests.EventuallyAsync(async () =>
        {
            var list = await k8s.CoreV1.ListNamespacedConfigMapAsync(ns, fieldSelector: "metadata.name=web-config");
            return list.Items.Count == 1 && list.Items[0].Data["greeting"] == "hello";
        }, "the deleted ConfigMap to come back");

        var scaled = new V1Patch("{\"spec\":{\"replicas\":5}}", V1Patch.PatchType.MergePatch);
        await k8s.AppsV1.PatchNamespacedDeploymentAsync(scaled, "web", ns);
        await WordPressSampleTests.EventuallyAsync(async () => (await k8s.AppsV1.ReadNamespacedDeploymentAsync("web", ns)).Spec.Replicas == 2, "replicas put back to 2");
    }

    [Test]
    public async Task Delete_WhileTheRuntimeIsDown_RetriesAndCompletesWhenItIsBack()
    {
        var instanceId = await cp.CreateInstanceAsync(await cp.CreateDefinitionAsync(WorkloadTestKit.ThreeResources));
        var ns = (await cp.ReconciledAsync(instanceId))["Namespace"]!.GetValue<string>();

        cp.DevCluster.Faults.Down = true;
        await cp.DeleteAsync("workload-instances", instanceId);
        await WordPressSampleTests.EventuallyAsync(
            async () => (await cp.ListAsync("events", $"objectid={instanceId}&objecttype=WorkloadInstance&reason=FailedDelete")).Count > 0,
            "a FailedDelete event while the cluster is down");
        (await cp.Client.GetAsync($"/v0/workload-instances/{instanceId}")).StatusCode.Should().Be(HttpStatusCode.OK, "the instance stays until its resources are gone");

        cp.DevCluster.Faults.Down = false;
        await cp.EventuallyGoneAsync("workload-instances", instanceId, TimeSpan.FromSeconds(60));
        using var k8s = cp.KubernetesClient();
        (await k8s.CoreV1.ListNamespaceAsync(fieldSelector: $"metadata.name={ns}")).Items.Should().BeEmpty();
    }

    // Retries are bounded and backed off: an unreachable cluster sees a trickle of requests, not a hot loop,
    // and work resumes by itself when it answers again.
    [Test]
    public async Task UnreachableRuntime_GetsBackedOffRetries_AndRecoversWithoutARestart()
    {
        var definitionId = await cp.CreateDefinitionAsync(WorkloadTestKit.ThreeResources);
        cp.DevCluster.Faults.Down = true;
        var before = cp.DevCluster.RequestCount;
        var instanceId = await cp.CreateInstanceAsync(definitionId);
        await WordPressSampleTests.EventuallyAsync(
            async () => (await cp.ListAsync("events", $"objectid={instanceId}&objecttype=WorkloadInstance&reason=FailedCreate")).FirstOrDefault()?["Count"]?.GetValue<int>() >= 4,
            "four failed attempts", TimeSpan.FromSeconds(60));
        var failedAttempts = (await cp.ListAsync("events", $"objectid={instanceId}&objecttype=WorkloadInstance&reason=FailedCreate")).Single()!["Count"]!.GetValue<int>();
        var requestsWhileDown = cp.DevCluster.RequestCount - before;
        TestContext.Out.WriteLine($"{failedAttempts} failed reconciles sent {requestsWhileDown} requests to the unreachable cluster");
        // Each reconcile's first call is tried at most four times by the client pipeline; the runtime watcher's
        // ten watches back off too (a few tries each while the cluster is down).
        requestsWhileDown.Should().BeLessThan((failedAttempts + 2) * 4 + (10 * 4 * 2));

        cp.DevCluster.Faults.Down = false;
        await cp.ReconciledAsync(instanceId);
    }

    [Test]
    public async Task WithTwentyPercentClusterErrors_EveryInstanceStillEndsReconciled()
    {
        var definitionId = await cp.CreateDefinitionAsync(WorkloadTestKit.ThreeResources);
        cp.DevCluster.Faults.Set(new FaultRule { ErrorRate = 0.2, StatusCode = 500 });
        cp.DevCluster.Faults.Set(new FaultRule { Verb = "PATCH", ErrorRate = 0.2, StatusCode = 409 });
        var ids = new List<long>();
        for (var i = 0; i < 8; i++)
        {
            ids.Add(await cp.CreateInstanceAsync(definitionId));
        }

        foreach (var id in ids)
        {
            await cp.ReconciledAsync(id, timeout: TimeSpan.FromSeconds(90));
        }
    }

    // Issue 7 (found by the crash harness): a delete that arrives while the first apply runs made that apply's
    // status write stale; its records of what it applied were discarded with it and the namespace leaked.
    [Test]
    public async Task Delete_DuringTheFirstApply_LeavesNothingBehind_Issue7()
    {
        var definitionId = await cp.CreateDefinitionAsync(WorkloadTestKit.ThreeResources);
        cp.DevCluster.Faults.Set(new FaultRule { Verb = "PATCH", Latency = TimeSpan.FromMilliseconds(400) });
        var instanceId = await cp.CreateInstanceAsync(definitionId);
        using var k8s = cp.KubernetesClient();
        var selector = $"control-plane.threeport.io/workload-instance={instanceId}";
        // The namespace is applied first; the other applies are slowed down, so the reconcile is still running.
        await WordPressSampleTests.EventuallyAsync(async () => (await k8s.CoreV1.ListNamespaceAsync(labelSelector: selector)).Items.Count > 0, "the first apply to be under way");
        (await cp.GetAsync("workload-instances", instanceId))["Reconciled"]!.GetValue<bool>().Should().BeFalse("the delete must race the first apply");
        await cp.DeleteAsync("workload-instances", instanceId);

        await cp.EventuallyGoneAsync("workload-instances", instanceId, TimeSpan.FromSeconds(60));
        cp.DevCluster.Faults.Clear();
        (await k8s.AppsV1.ListDeploymentForAllNamespacesAsync(labelSelector: selector)).Items.Should().BeEmpty();
        (await k8s.CoreV1.ListConfigMapForAllNamespacesAsync(labelSelector: selector)).Items.Should().BeEmpty();
        (await k8s.CoreV1.ListNamespaceAsync(labelSelector: selector)).Items.Should().BeEmpty();
    }

    [Test]
    public async Task InvalidYaml_IsRefusedWithTheDocumentAndLine()
    {
        var response = await ApiResponse.ReadAsync(await cp.Client.PostAsJsonAsync("/v0/workload-definitions", new
        {
            Name = TestControlPlane.Unique("bad"),
            YAMLDocument = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n---\n# a comment only\n---\napiVersion: v1\nkind: Secret\nmetadata: {}\n",
        }));
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        response.Error.Should().Contain("document 3 (line 8)").And.Contain("lacks metadata.name");

        var broken = await ApiResponse.ReadAsync(await cp.Client.PostAsJsonAsync("/v0/workload-definitions", new
        {
            Name = TestControlPlane.Unique("bad"),
            YAMLDocument = "apiVersion: v1\nkind: [unclosed\n",
        }));
        broken.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        broken.Error.Should().Contain("not valid YAML at line");
    }

    [Test]
    public async Task Instance_OfADefinitionThatIsGone_IsRefused_AndOneOfADefinitionThatExists_IsStored()
    {
        // One that exists beside it: a check that ignored which definition is named would let the create through.
        var kept = await cp.CreateDefinitionAsync(WorkloadTestKit.ThreeResources);
        var gone = await cp.CreateDefinitionAsync(WorkloadTestKit.ThreeResources);
        await cp.DeleteAsync("workload-definitions", gone);
        await cp.EventuallyGoneAsync("workload-definitions", gone);
        var name = TestControlPlane.Unique("orphan");

        var refused = await ApiResponse.ReadAsync(await cp.Client.PostAsJsonAsync("/v0/workload-instances", new { Name = name, WorkloadDefinitionID = gone }));

        refused.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        refused.Error.Should().Contain($"WorkloadDefinitionID {gone} does not exist");
        (await cp.ListAsync("workload-instances", $"name={name}")).Should().BeEmpty();
        await cp.ReconciledAsync(await cp.CreateInstanceAsync(kept, name));
    }

    [Test]
    public async Task Definition_WithInstances_CannotBeDeleted()
    {
        var definitionId = await cp.CreateDefinitionAsync(WorkloadTestKit.ThreeResources);
        await cp.CreateInstanceAsync(definitionId);
        var response = await ApiResponse.ReadAsync(await cp.Client.DeleteAsync($"/v0/workload-definitions/{definitionId}"));
        response.StatusCode.Should().Be(HttpStatusCode.Conflict);
        response.Error.Should().Contain("related workload instances");
    }
}
