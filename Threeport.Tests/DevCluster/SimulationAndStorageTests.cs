using System.Text.Json.Nodes;
using CsCheck;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Threeport.Modules.DevCluster;
using Threeport.Modules.DevCluster.Api;
using Threeport.Modules.DevCluster.Simulation;
using Threeport.Modules.DevCluster.Storage;

namespace Threeport.Tests.DevCluster;

public sealed class SimulationAndStorageTests
{
    private static async Task<(DevClusterServer Server, Kubernetes Client, string Dir)> StartAsync(TimeProvider time, bool persist = false, string? dir = null)
    {
        dir ??= Path.Combine(Path.GetTempPath(), "tpt-devcluster-" + Guid.NewGuid().ToString("N")[..8]);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var server = await DevClusterServer.StartAsync(
            new DevClusterOptions { ReadinessDelay = TimeSpan.FromSeconds(5), DataDirectory = dir, Persist = persist },
            NullLoggerFactory.Instance, time, cts.Token);
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(server.WriteKubeconfig(Path.Combine(dir, "kubeconfig")));
        return (server, new Kubernetes(config), dir);
    }

    private static V1Deployment Deployment(string name, int replicas)
    {
        var labels = new Dictionary<string, string> { ["app"] = name };
        return new V1Deployment
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1DeploymentSpec
            {
                Replicas = replicas,
                Selector = new V1LabelSelector { MatchLabels = labels },
                Template = new V1PodTemplateSpec { Metadata = new V1ObjectMeta { Labels = labels }, Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox" }] } },
            },
        };
    }

    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var last = await probe();
        while (!done(last))
        {
            if (cts.IsCancellationRequested)
            {
                Assert.Fail($"condition not met within {timeout}; last state: {KubernetesJson.Serialize(last)}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(25), TimeProvider.System, CancellationToken.None);
            last = await probe();
        }

        return last;
    }

    [Test]
    public async Task Deployment_BecomesAvailable_OnlyAfterReadinessDelay()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
        var (server, client, dir) = await StartAsync(time);
        await using var _ = server;
        using var __ = client;
        await client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("sim", replicas: 2), "default");

        // Pods exist and are scheduled, but no time has passed: not available yet.
        var pods = await EventuallyAsync(() => client.CoreV1.ListNamespacedPodAsync("default", labelSelector: "app=sim"),
            l => l.Items.Count == 2 && l.Items.All(p => p.Status?.Phase == "Pending"), TimeSpan.FromSeconds(10));
        pods.Items.Should().OnlyContain(p => p.Metadata.OwnerReferences[0].Kind == "ReplicaSet");
        var pending = await client.AppsV1.ReadNamespacedDeploymentAsync("sim", "default");
        (pending.Status?.AvailableReplicas ?? 0).Should().Be(0);
        pending.Status!.Conditions.Should().Contain(c => c.Type == "Available" && c.Status == "False");

        time.Advance(TimeSpan.FromSeconds(5));
        var ready = await EventuallyAsync(() => client.AppsV1.ReadNamespacedDeploymentAsync("sim", "default"),
            d => d.Status?.AvailableReplicas == 2, TimeSpan.FromSeconds(10));
        ready.Status.ReadyReplicas.Should().Be(2);
        ready.Status.UpdatedReplicas.Should().Be(2);
        ready.Status.ObservedGeneration.Should().Be(ready.Metadata.Generation);
        ready.Status.Conditions.Should().Contain(c => c.Type == "Available" && c.Status == "True");

        var events = await client.CoreV1.ListNamespacedEventAsync("default");
        events.Items.Select(e => e.Reason).Should().Contain(["ScalingReplicaSet", "SuccessfulCreate", "Scheduled", "Started"]);

        // As kubelet writes them: about the pod, at the time it started, each one an object of its own.
        var pod = pods.Items[0];
        var started = events.Items.Single(e => e.Reason == "Started" && e.InvolvedObject.Name == pod.Metadata.Name);
        started.InvolvedObject.Should().BeEquivalentTo(new V1ObjectReference { Kind = "Pod", ApiVersion = "v1", NamespaceProperty = "default", Name = pod.Metadata.Name, Uid = pod.Metadata.Uid },
            o => o.Excluding(r => r.ResourceVersion));
        long.Parse(started.InvolvedObject.ResourceVersion).Should().BeGreaterThan(long.Parse(pod.Metadata.ResourceVersion), "the pod was Running when it started");
        (started.Message, started.Source.Component, started.Count, started.Type).Should().Be(("Started container c", "kubelet", 1, "Normal"));
        started.FirstTimestamp.Should().Be(time.GetUtcNow().UtcDateTime).And.Be(started.LastTimestamp);
        started.Metadata.Uid.Should().NotBeNullOrEmpty().And.NotBe(pod.Metadata.Uid);
        var read = await client.CoreV1.ReadNamespacedEventAsync(started.Metadata.Name, "default");
        read.Metadata.ResourceVersion.Should().Be(started.Metadata.ResourceVersion).And.NotBeNullOrEmpty();
        Directory.Delete(dir, true);
    }

    [Test]
    public async Task Job_Completes_AfterReadinessDelay()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
        var (server, client, dir) = await StartAsync(time);
        await using var _ = server;
        using var __ = client;
        await client.BatchV1.CreateNamespacedJobAsync(new V1Job
        {
            Metadata = new V1ObjectMeta { Name = "once" },
            Spec = new V1JobSpec { Template = new V1PodTemplateSpec { Spec = new V1PodSpec { RestartPolicy = "Never", Containers = [new V1Container { Name = "c", Image = "busybox" }] } } },
        }, "default");
        await EventuallyAsync(() => client.CoreV1.ListNamespacedPodAsync("default", labelSelector: "job-name=once"), l => l.Items.Count == 1, TimeSpan.FromSeconds(10));
        (await client.BatchV1.ReadNamespacedJobAsync("once", "default")).Status?.Succeeded.GetValueOrDefault().Should().Be(0);

        time.Advance(TimeSpan.FromSeconds(5));
        var job = await EventuallyAsync(() => client.BatchV1.ReadNamespacedJobAsync("once", "default"), j => j.Status?.Succeeded == 1, TimeSpan.FromSeconds(10));
        job.Status.Conditions.Should().Contain(c => c.Type == "Complete" && c.Status == "True");
        Directory.Delete(dir, true);
    }

    [Test]
    public async Task Endpoints_ListTheReadyPodsEachServiceSelects_AndFollowAPodThatIsRelabeled()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
        var (server, client, dir) = await StartAsync(time);
        await using var _ = server;
        using var __ = client;
        foreach (var app in new[] { "a", "b", "c" })
        {
            await client.AppsV1.CreateNamespacedDeploymentAsync(Deployment(app, replicas: 1), "default");
            await client.CoreV1.CreateNamespacedServiceAsync(new V1Service
            {
                Metadata = new V1ObjectMeta { Name = app },
                Spec = new V1ServiceSpec { Selector = new Dictionary<string, string> { ["app"] = app }, Ports = [new V1ServicePort { Port = 80 }] },
            }, "default");
        }

        await EventuallyAsync(() => client.CoreV1.ListNamespacedPodAsync("default"), l => l.Items.Count == 3, TimeSpan.FromSeconds(10));
        (await EndpointsOfAsync(client, "a")).Should().BeEmpty("no pod is ready yet");
        time.Advance(TimeSpan.FromSeconds(5));
        var podOfA = (await client.CoreV1.ListNamespacedPodAsync("default", labelSelector: "app=a")).Items.Single().Metadata.Name;
        var podOfB = (await client.CoreV1.ListNamespacedPodAsync("default", labelSelector: "app=b")).Items.Single().Metadata.Name;
        await EventuallyAsync(() => EndpointsOfAsync(client, "a"), pods => pods.SequenceEqual([podOfA]), TimeSpan.FromSeconds(10));
        await EventuallyAsync(() => EndpointsOfAsync(client, "b"), pods => pods.SequenceEqual([podOfB]), TimeSpan.FromSeconds(10));

        // The pod of a now carries b's label: it leaves a's Endpoints and joins b's.
        await client.CoreV1.PatchNamespacedPodAsync(new V1Patch("{\"metadata\":{\"labels\":{\"app\":\"b\"}}}", V1Patch.PatchType.MergePatch), podOfA, "default");
        await EventuallyAsync(() => EndpointsOfAsync(client, "b"), pods => pods.Order().SequenceEqual(new[] { podOfA, podOfB }.Order()), TimeSpan.FromSeconds(10));
        (await EndpointsOfAsync(client, "a")).Should().NotContain(podOfA);
        (await EndpointsOfAsync(client, "c")).Should().ContainSingle().Which.Should().StartWith("c-");
        Directory.Delete(dir, true);
    }

    private static async Task<List<string>> EndpointsOfAsync(Kubernetes client, string service)
    {
        var endpoints = await client.CoreV1.ReadNamespacedEndpointsAsync(service, "default");
        return (endpoints.Subsets ?? []).SelectMany(s => s.Addresses ?? []).Select(a => a.TargetRef.Name).ToList();
    }

    [Test]
    public async Task Persist_KeepsObjectsAcrossRestart_WithGrowingResourceVersion()
    {
        var dir = Path.Combine(Path.GetTempPath(), "tpt-devcluster-" + Guid.NewGuid().ToString("N")[..8]);
        string rv;
        var (first, client1, _) = await StartAsync(TimeProvider.System, persist: true, dir);
        using (client1)
        {
            var cm = await client1.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "kept" }, Data = new Dictionary<string, string> { ["a"] = "1" } }, "default");
            rv = cm.Metadata.ResourceVersion;
            await first.StopAsync(CancellationToken.None);
        }

        var (second, client2, _) = await StartAsync(TimeProvider.System, persist: true, dir);
        await using (second)
        using (client2)
        {
            var kept = await client2.CoreV1.ReadNamespacedConfigMapAsync("kept", "default");
            kept.Data["a"].Should().Be("1");
            kept.Metadata.ResourceVersion.Should().Be(rv);
            var updated = await client2.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("{\"data\":{\"a\":\"2\"}}", V1Patch.PatchType.MergePatch), "kept", "default");
            long.Parse(updated.Metadata.ResourceVersion).Should().BeGreaterThan(long.Parse(rv));
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(dir, true);
    }

    [Test]
    public async Task Persist_AReplicaSetStoppedBeforeItsPodsWereMade_MakesThemAfterRestart()
    {
        // What a kill between a rollout's ReplicaSet and its pods leaves behind: the pods are taken out of the stopped
        // cluster's file. The Deployment is unchanged, so only the ReplicaSet itself can make them again.
        var dir = Path.Combine(Path.GetTempPath(), "tpt-devcluster-" + Guid.NewGuid().ToString("N")[..8]);
        var (first, client1, _) = await StartAsync(TimeProvider.System, persist: true, dir);
        using (client1)
        {
            await client1.AppsV1.CreateNamespacedDeploymentAsync(Deployment("web", replicas: 2), "default");
            await EventuallyAsync(() => client1.CoreV1.ListNamespacedPodAsync("default"), pods => pods.Items.Count == 2, TimeSpan.FromSeconds(20));
            await first.StopAsync(CancellationToken.None);
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        await using (var file = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(dir, "dev-cluster.db")}"))
        {
            await file.OpenAsync();
            await using var removePods = file.CreateCommand();
            removePods.CommandText = "DELETE FROM objects WHERE rkey = '/pods'";
            (await removePods.ExecuteNonQueryAsync()).Should().Be(2);
        }

        var (second, client2, _) = await StartAsync(TimeProvider.System, persist: true, dir);
        await using (second)
        using (client2)
        {
            var pods = await EventuallyAsync(() => client2.CoreV1.ListNamespacedPodAsync("default"), p => p.Items.Count == 2, TimeSpan.FromSeconds(20));
            pods.Items.Should().AllSatisfy(pod => pod.Metadata.OwnerReferences.Should().ContainSingle(o => o.Kind == "ReplicaSet"));
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(dir, true);
    }

    [Test]
    public void Store_HoldsOneHundredThousandSmallObjects_WellUnderOneGiB()
    {
        var (store, admission, cmType) = StoreWithNamespace("bulk");
        GC.Collect();
        var before = GC.GetTotalMemory(true);
        for (var i = 0; i < 100_000; i++)
        {
            var cm = new JsonObject
            {
                ["metadata"] = new JsonObject { ["name"] = $"cm-{i}", ["labels"] = new JsonObject { ["app"] = "bulk" } },
                ["data"] = new JsonObject { ["key"] = "value-" + i },
            };
            admission.PrepareCreate(cmType, cm, "bulk");
            store.Write(cmType, "bulk", $"cm-{i}", _ => cm);
        }

        var used = GC.GetTotalMemory(true) - before;
        store.Count(cmType.Key).Should().Be(100_000);
        used.Should().BeLessThan(256L * 1024 * 1024, "100k small objects are stored as compact UTF-8 JSON");
    }

    // A kind's objects list in "namespace/name" order, the order the continue keys compare in, whatever the namespaces:
    // "aa-0/x" before "aa/x" ('-' sorts below '/'), "aa/x" before "aa0/x" and "aab/x"; creates and deletes keep it.
    [Test]
    public void List_OfAllNamespaces_IsInNamespaceSlashNameOrder_ThroughCreatesAndDeletes()
    {
        var end = Gen.OneOf(Gen.Const('a'), Gen.Const('b'), Gen.Const('0'));
        var label = Gen.Select(Gen.OneOf(end, Gen.Const('-')).Array[0, 3], end, (middle, last) => "a" + new string(middle) + last);
        Gen.Select(label, label).Array[1, 40].Select(Gen.Int[0, 100]).Sample((objects, deleteEvery) =>
        {
            var registry = new ResourceRegistry();
            var store = new ObjectStore(TimeProvider.System, null);
            var admission = new Admission(TimeProvider.System);
            var nsType = registry.Required("", "namespaces");
            var cmType = registry.Required("", "configmaps");
            var keys = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var (ns, name) in objects)
            {
                var nsObj = new JsonObject { ["metadata"] = new JsonObject { ["name"] = ns } };
                admission.PrepareCreate(nsType, nsObj, "");
                store.Write(nsType, "", ns, current => current is null ? nsObj : null);
                var cm = new JsonObject { ["metadata"] = new JsonObject { ["name"] = name } };
                admission.PrepareCreate(cmType, cm, ns);
                store.Write(cmType, ns, name, current => current is null ? cm : null);
                keys.Add($"{ns}/{name}");
            }

            foreach (var key in keys.Where((_, i) => deleteEvery > 0 && i % (deleteEvery % 7 + 1) == 0).ToList())
            {
                store.Delete(cmType, key[..key.IndexOf('/')], key[(key.IndexOf('/') + 1)..], null);
                keys.Remove(key);
            }

            store.List(cmType.Key, null).Items.Select(kv => kv.Key).Should().Equal(keys);
            store.Count(cmType.Key).Should().Be(keys.Count);
            foreach (var ns in keys.Select(k => k[..k.IndexOf('/')]).Distinct())
            {
                store.List(cmType.Key, ns).Items.Select(kv => kv.Key).Should().Equal(keys.Where(k => k.StartsWith(ns + "/", StringComparison.Ordinal)));
            }
        });
    }

    [Test]
    public void Watch_FromEvictedResourceVersion_IsGone()
    {
        var registry = new ResourceRegistry();
        var store = new ObjectStore(TimeProvider.System, null, historyCapacity: 10);
        var admission = new Admission(TimeProvider.System);
        var nsType = registry.Required("", "namespaces");
        for (var i = 0; i < 20; i++)
        {
            var ns = new JsonObject { ["metadata"] = new JsonObject { ["name"] = $"n{i}" } };
            admission.PrepareCreate(nsType, ns, "");
            store.Write(nsType, "", $"n{i}", _ => ns);
        }

        var act = () => store.Subscribe(nsType.Key, null, 2, 10, out _);
        act.Should().Throw<ApiException>().Which.Code.Should().Be(410);
        using var recent = store.Subscribe(nsType.Key, null, 15, 10, out var backlog);
        backlog.Select(e => e.ResourceVersion).Should().Equal(16, 17, 18, 19, 20);
    }

    // A write is serialized once, with the next resourceVersion, and compared with the stored bytes but for it.
    [Test]
    public void Write_ThatChangesNothing_KeepsTheVersion_AndAnyChange_EvenANestedCopyOfTheNextVersion_IsWritten()
    {
        var (store, admission, cmType) = StoreWithNamespace("app");
        foreach (var name in new[] { "b", "a", "c" })
        {
            var cm = new JsonObject { ["metadata"] = new JsonObject { ["name"] = name }, ["data"] = new JsonObject { ["key"] = "v" } };
            admission.PrepareCreate(cmType, cm, "app");
            store.Write(cmType, "app", name, _ => cm);
        }

        using var watch = store.Subscribe(cmType.Key, "app", store.CurrentResourceVersion, 10, out _);
        var version = store.Get(cmType.Key, "app", "a")!.ResourceVersion;

        var same = store.Write(cmType, "app", "a", current => current);
        same.Kind.Should().Be(WriteKind.Unchanged);
        ObjectJson.Str(same.Object!["metadata"]!["resourceVersion"]).Should().Be(version.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var dryRun = store.Write(cmType, "app", "a", current => { current!["data"]!["key"] = "w"; return current; }, dryRun: true);
        dryRun.Kind.Should().Be(WriteKind.Updated);
        var dryCreate = store.Write(cmType, "app", "d", _ => new JsonObject { ["metadata"] = new JsonObject { ["name"] = "d" } }, dryRun: true);
        dryCreate.Kind.Should().Be(WriteKind.Created);
        dryCreate.Object!["metadata"]!.AsObject().ContainsKey("resourceVersion").Should().BeFalse();
        store.Get(cmType.Key, "app", "a")!.ResourceVersion.Should().Be(version);
        watch.Reader.TryRead(out _).Should().BeFalse("neither a write that changes nothing nor a dry run is an event");

        // A field ahead of the metadata holding the version the write is about to get: first added, then moved on to
        // the next one while the metadata's moves too. Both are changes.
        string Next() => (store.CurrentResourceVersion + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var added = store.Write(cmType, "app", "a", current =>
        {
            var reordered = new JsonObject { ["aaa"] = new JsonObject { ["resourceVersion"] = Next() } };
            foreach (var (key, value) in current!.ToList())
            {
                current!.Remove(key);
                reordered[key] = value;
            }

            return reordered;
        });
        added.Kind.Should().Be(WriteKind.Updated);
        var moved = store.Write(cmType, "app", "a", current => { current!["aaa"]!["resourceVersion"] = Next(); return current; });
        moved.Kind.Should().Be(WriteKind.Updated);
        var changed = store.Write(cmType, "app", "a", current => { current!["data"]!["key"] = "w"; return current; });
        changed.Kind.Should().Be(WriteKind.Updated);
        store.Get(cmType.Key, "app", "a")!.ResourceVersion.Should().Be(store.CurrentResourceVersion);
        Enumerable.Range(0, 3).Select(_ => watch.Reader.TryRead(out var e) ? e.Type : "none").Should().Equal("MODIFIED", "MODIFIED", "MODIFIED");
        ObjectJson.Parse(store.Get(cmType.Key, "app", "a")!.Json)["data"]!["key"]!.GetValue<string>().Should().Be("w");

        // Updates replace an object where it is listed: the lists keep their order and see the newest bytes.
        store.List(cmType.Key, "app").Items.Select(kv => kv.Key).Should().Equal("app/a", "app/b", "app/c");
        store.List(cmType.Key, null).Items.Single(kv => kv.Key == "app/a").Value.ResourceVersion.Should().Be(store.CurrentResourceVersion);
    }

    // The simulator's reads after its own writes take the object it wrote, not a parse of the bytes, and its next write
    // changes that object; a write by anyone else (a newer resourceVersion) is parsed again, and so is a handed-over
    // parse that is no longer the stored version.
    [Test]
    public void ParsedObjects_AfterAWrite_ReturnWhatWasWritten_UntilTheStoredVersionMovesOn()
    {
        var (store, admission, cmType) = StoreWithNamespace("app");
        var parsed = new ParsedObjects(store);
        var cm = new JsonObject { ["metadata"] = new JsonObject { ["name"] = "a" }, ["data"] = new JsonObject { ["key"] = "v" } };
        admission.PrepareCreate(cmType, cm, "app");
        WriteOutcome WriteHandingOver(Func<JsonObject?, JsonObject?> mutate)
        {
            var written = store.Write(cmType, "app", "a", mutate, handedOver: parsed.Take(cmType.Key, "app", "a"));
            parsed.Remember(cmType.Key, "app", "a", written);
            return written;
        }

        WriteHandingOver(_ => cm).Kind.Should().Be(WriteKind.Created);
        parsed.Get(cmType.Key, "app", "a").Should().BeSameAs(cm);
        WriteHandingOver(current => current.Should().BeSameAs(cm).And.Subject as JsonObject).Kind.Should().Be(WriteKind.Unchanged);
        parsed.Get(cmType.Key, "app", "a").Should().BeSameAs(cm, "a write that changed nothing leaves the remembered object");
        WriteHandingOver(current => { current!["data"]!["key"] = "u"; return current; }).Kind.Should().Be(WriteKind.Updated);
        parsed.Get(cmType.Key, "app", "a").Should().BeSameAs(cm, "the handed-over object was changed and written");
        ObjectJson.ToBytes(cm).Should().Equal(store.Get(cmType.Key, "app", "a")!.Json);

        var stale = parsed.Get(cmType.Key, "app", "a")!;
        store.Write(cmType, "app", "a", current => { current!["data"]!["key"] = "w"; return current; });
        var reread = parsed.Get(cmType.Key, "app", "a");
        reread.Should().NotBeSameAs(cm);
        reread!["data"]!["key"]!.GetValue<string>().Should().Be("w");
        ObjectJson.ToBytes(reread).Should().Equal(store.Get(cmType.Key, "app", "a")!.Json);

        var staleVersion = new ParsedObject(store.CurrentResourceVersion - 1, stale);
        store.Write(cmType, "app", "a", current => current.Should().NotBeSameAs(stale).And.Subject as JsonObject, handedOver: staleVersion)
            .Object!["data"]!["key"]!.GetValue<string>().Should().Be("w", "a parse of an older version is not the current object");
    }

    // A store without a server, one namespace in it, for ConfigMaps written straight to it.
    private static (ObjectStore Store, Admission Admission, ResourceType ConfigMaps) StoreWithNamespace(string name)
    {
        var registry = new ResourceRegistry();
        var store = new ObjectStore(TimeProvider.System, null);
        var admission = new Admission(TimeProvider.System);
        var nsType = registry.Required("", "namespaces");
        var ns = new JsonObject { ["metadata"] = new JsonObject { ["name"] = name } };
        admission.PrepareCreate(nsType, ns, "");
        store.Write(nsType, "", name, _ => ns);
        return (store, admission, registry.Required("", "configmaps"));
    }
}
