using System.Text.Json.Nodes;
using Threeport.Modules.DevCluster.Storage;
using Threeport.Modules.DevCluster.Api;

namespace Threeport.Modules.DevCluster.Simulation;

internal sealed partial class ClusterSimulator
{
    private void ReconcilePod(string ns, string name, bool timerFired)
    {
        var recorded = new List<(string Reason, string Message, string Component)>();
        string? uidToTime = null;
        var outcome = Write(Type("", "pods"), ns, name, current =>
        {
            if (current is null || current["metadata"]?["deletionTimestamp"] is not null)
            {
                return null;
            }

            var phase = ObjectJson.Str(current["status"]?["phase"]);
            var containers = current["spec"]?["containers"] as JsonArray ?? [];
            var next = current;
            var now = ObjectJson.Timestamp(time.GetUtcNow());
            if (phase is null)
            {
                ObjectJson.Child(next, "spec")["nodeName"] ??= NodeName;
                next["status"] = new JsonObject
                {
                    ["phase"] = "Pending",
                    ["conditions"] = new JsonArray(Condition("PodScheduled", true, "", "")),
                    ["hostIP"] = "10.0.0.2",
                    ["startTime"] = now,
                    ["qosClass"] = "BestEffort",
                    ["containerStatuses"] = new JsonArray(containers.Select(c => (JsonNode?)ContainerStatus(c, false, "ContainerCreating")).ToArray()),
                };
                recorded.Add(("Scheduled", $"Successfully assigned {ns}/{name} to {NodeName}", "default-scheduler"));
                uidToTime = ObjectJson.Uid(current);
                return next;
            }

            if (phase == "Pending")
            {
                uidToTime = ObjectJson.Uid(current);
                if (!timerFired)
                {
                    return null;
                }

                var jobPod = current["metadata"]?["ownerReferences"] is JsonArray refs && refs.Any(r => ObjectJson.Str(r?["kind"]) == "Job");
                var status = ObjectJson.Child(next, "status");
                status["phase"] = jobPod ? "Succeeded" : "Running";
                status["podIP"] = $"10.244.0.{Interlocked.Increment(ref nextPodIp) % 250 + 2}";
                status["podIPs"] = new JsonArray(new JsonObject { ["ip"] = status["podIP"]!.DeepClone() });
                status["conditions"] = new JsonArray(
                    Condition("Initialized", true, "", ""),
                    Condition("Ready", !jobPod, jobPod ? "PodCompleted" : "", ""),
                    Condition("ContainersReady", !jobPod, jobPod ? "PodCompleted" : "", ""),
                    Condition("PodScheduled", true, "", ""));
                status["containerStatuses"] = new JsonArray(containers.Select(c => (JsonNode?)ContainerStatus(c, true, jobPod ? "Completed" : null)).ToArray());
                foreach (var c in containers)
                {
                    var image = ObjectJson.Str(c?["image"]);
                    var container = ObjectJson.Str(c?["name"]);
                    recorded.Add(("Pulled", $"Container image \"{image}\" already present on machine", "kubelet"));
                    recorded.Add(("Created", $"Created container {container}", "kubelet"));
                    recorded.Add(("Started", $"Started container {container}", "kubelet"));
                }

                return next;
            }

            return null;
        });
        if (outcome.Object is { } pod)
        {
            foreach (var (reason, message, component) in recorded)
            {
                events.Record(pod, "Pod", "v1", reason, message, component);
            }

            if (uidToTime is not null && ObjectJson.Str(pod["status"]?["phase"]) == "Pending")
            {
                ScheduleReady(ns, name, uidToTime);
            }
        }
    }

    private JsonObject ContainerStatus(JsonNode? container, bool started, string? waitingOrTerminated)
    {
        var now = ObjectJson.Timestamp(time.GetUtcNow());
        JsonObject state;
        if (!started)
        {
            state = new JsonObject { ["waiting"] = new JsonObject { ["reason"] = waitingOrTerminated } };
        }
        else if (waitingOrTerminated == "Completed")
        {
            state = new JsonObject { ["terminated"] = new JsonObject { ["exitCode"] = 0, ["reason"] = "Completed", ["startedAt"] = now, ["finishedAt"] = now } };
        }
        else
        {
            state = new JsonObject { ["running"] = new JsonObject { ["startedAt"] = now } };
        }

        var image = ObjectJson.Str(container?["image"]) ?? "";
        return new JsonObject
        {
            ["name"] = ObjectJson.Str(container?["name"]),
            ["state"] = state,
            ["ready"] = started && waitingOrTerminated is null,
            ["restartCount"] = 0,
            ["image"] = image,
            ["imageID"] = image.Length == 0 ? "" : "docker-pullable://" + image,
            ["containerID"] = started ? "containerd://" + Admission.Hash(image + now, 32) : null,
            ["started"] = started && waitingOrTerminated is null,
        };
    }

    private static bool IsReady(JsonObject pod) =>
        ObjectJson.Str(pod["status"]?["phase"]) == "Running"
        && (pod["status"]?["conditions"] as JsonArray ?? []).Any(c => ObjectJson.Str(c?["type"]) == "Ready" && ObjectJson.Str(c?["status"]) == "True");

    private void ReconcileReplicaSet(string ns, string name)
    {
        var rsType = Type("apps", "replicasets");
        var rs = Read(rsType.Key, ns, name);
        if (rs is null || rs["metadata"]?["deletionTimestamp"] is not null)
        {
            return;
        }

        var desired = ObjectJson.Long(rs["spec"]?["replicas"]) ?? 1;
        var pods = Owned(ObjectJson.Uid(rs)!, "/pods");
        for (var i = pods.Count; i < desired; i++)
        {
            var pod = NewPod(ns, $"{name}-{Admission.RandomSuffix()}", rs, "ReplicaSet", rs["spec"]?["template"]);
            pods.Add(pod);
            events.Record(rs, "ReplicaSet", "apps/v1", "SuccessfulCreate", $"Created pod: {ObjectJson.Name(pod)}", "replicaset-controller");
        }

        foreach (var extra in pods.Skip((int)Math.Max(0, desired)).ToList())
        {
            store.Delete(Type("", "pods"), ns, ObjectJson.Name(extra)!, null);
            pods.Remove(extra);
            events.Record(rs, "ReplicaSet", "apps/v1", "SuccessfulDelete", $"Deleted pod: {ObjectJson.Name(extra)}", "replicaset-controller");
        }

        var ready = pods.Count(IsReady);
        SetStatus(rsType, ns, name, current => new JsonObject
        {
            ["replicas"] = pods.Count,
            ["fullyLabeledReplicas"] = pods.Count,
            ["readyReplicas"] = ready,
            ["availableReplicas"] = ready,
            ["observedGeneration"] = ObjectJson.Long(current["metadata"]?["generation"]) ?? 1,
        });
    }

    private void ReconcileDeployment(string ns, string name)
    {
        var dType = Type("apps", "deployments");
        var rsType = Type("apps", "replicasets");
        var d = Read(dType.Key, ns, name);
        if (d is null || d["metadata"]?["deletionTimestamp"] is not null)
        {
            return;
        }

        var replicas = ObjectJson.Long(d["spec"]?["replicas"]) ?? 1;
        var template = d["spec"]?["template"]?.DeepClone() as JsonObject ?? new JsonObject();
        var hash = Admission.Hash(template.ToJsonString(ObjectJson.Options));
        var rsName = $"{name}-{hash}";
        var owned = Owned(ObjectJson.Uid(d)!, rsType.Key);
        var current = owned.FirstOrDefault(rs => ObjectJson.Name(rs) == rsName);
        if (current is null)
        {
            var revision = owned.Count + 1;
            ObjectJson.Child(ObjectJson.Meta(template), "labels")["pod-template-hash"] = hash;
            var selector = d["spec"]?["selector"]?.DeepClone() as JsonObject ?? new JsonObject();
            ObjectJson.Child(selector, "matchLabels")["pod-template-hash"] = hash;
            var labels = template["metadata"]?["labels"]?.DeepClone();
            var rs = new JsonObject
            {
                ["apiVersion"] = "apps/v1",
                ["kind"] = "ReplicaSet",
                ["metadata"] = new JsonObject
                {
                    ["name"] = rsName,
                    ["namespace"] = ns,
                    ["labels"] = labels,
                    ["annotations"] = new JsonObject { ["deployment.kubernetes.io/revision"] = revision.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                    ["ownerReferences"] = new JsonArray(OwnerRef(d, "Deployment", "apps/v1")),
                },
                ["spec"] = new JsonObject { ["replicas"] = replicas, ["selector"] = selector, ["template"] = template },
            };
            current = CreateFrom(rsType, ns, rs);
            events.Record(d, "Deployment", "apps/v1", "ScalingReplicaSet", $"Scaled up replica set {rsName} from 0 to {replicas}", "deployment-controller");
        }
        else if ((ObjectJson.Long(current["spec"]?["replicas"]) ?? 1) != replicas)
        {
            var from = ObjectJson.Long(current["spec"]?["replicas"]) ?? 1;
            Scale(rsType, ns, rsName, replicas);
            events.Record(d, "Deployment", "apps/v1", "ScalingReplicaSet",
                $"Scaled {(replicas > from ? "up" : "down")} replica set {rsName} from {from} to {replicas}", "deployment-controller");
        }

        foreach (var old in owned.Where(rs => ObjectJson.Name(rs) != rsName && (ObjectJson.Long(rs["spec"]?["replicas"]) ?? 0) > 0))
        {
            var from = ObjectJson.Long(old["spec"]?["replicas"]) ?? 0;
            Scale(rsType, ns, ObjectJson.Name(old)!, 0);
            events.Record(d, "Deployment", "apps/v1", "ScalingReplicaSet", $"Scaled down replica set {ObjectJson.Name(old)} from {from} to 0", "deployment-controller");
        }

        var all = Owned(ObjectJson.Uid(d)!, rsType.Key);
        var newRs = all.FirstOrDefault(rs => ObjectJson.Name(rs) == rsName);
        long Sum(string field) => all.Sum(rs => ObjectJson.Long(rs["status"]?[field]) ?? 0);
        var total = Sum("replicas");
        var available = Sum("availableReplicas");
        var updated = ObjectJson.Long(newRs?["status"]?["replicas"]) ?? 0;
        var newAvailable = ObjectJson.Long(newRs?["status"]?["availableReplicas"]) ?? 0;
        var complete = updated == replicas && newAvailable == replicas && total == replicas;
        SetStatus(dType, ns, name, cur =>
        {
            var status = new JsonObject
            {
                ["observedGeneration"] = ObjectJson.Long(cur["metadata"]?["generation"]) ?? 1,
                ["replicas"] = total,
                ["updatedReplicas"] = updated,
                ["readyReplicas"] = Sum("readyReplicas"),
                ["availableReplicas"] = available,
            };
            if (total - available > 0)
            {
                status["unavailableReplicas"] = total - available;
            }

            status["conditions"] = new JsonArray(
                available >= replicas
                    ? Condition("Available", true, "MinimumReplicasAvailable", "Deployment has minimum availability.", true)
                    : Condition("Available", false, "MinimumReplicasUnavailable", "Deployment does not have minimum availability.", true),
                complete
                    ? Condition("Progressing", true, "NewReplicaSetAvailable", $"ReplicaSet \"{rsName}\" has successfully progressed.", true)
                    : Condition("Progressing", true, "ReplicaSetUpdated", $"ReplicaSet \"{rsName}\" is progressing.", true));
            return status;
        });
    }

    private void Scale(ResourceType type, string ns, string name, long replicas) =>
        Write(type, ns, name, current =>
        {
            if (current is null)
            {
                return null;
            }

            var next = current;
            ObjectJson.Child(next, "spec")["replicas"] = replicas;
            var meta = ObjectJson.Meta(next);
            meta["generation"] = (ObjectJson.Long(meta["generation"]) ?? 1) + 1;
            return next;
        });

    private void ReconcileStatefulSet(string ns, string name)
    {
        var type = Type("apps", "statefulsets");
        var sts = Read(type.Key, ns, name);
        if (sts is null || sts["metadata"]?["deletionTimestamp"] is not null)
        {
            return;
        }

        var replicas = ObjectJson.Long(sts["spec"]?["replicas"]) ?? 1;
        var revision = $"{name}-{Admission.Hash(sts["spec"]?["template"]?.ToJsonString(ObjectJson.Options) ?? "")}";
        var pods = Owned(ObjectJson.Uid(sts)!, "/pods");
        for (var i = 0; i < replicas; i++)
        {
            var podName = $"{name}-{i}";
            if (pods.Any(p => ObjectJson.Name(p) == podName))
            {
                continue;
            }

            foreach (var claim in sts["spec"]?["volumeClaimTemplates"] as JsonArray ?? [])
            {
                var claimName = $"{ObjectJson.Str(claim?["metadata"]?["name"])}-{podName}";
                if (Read("/persistentvolumeclaims", ns, claimName) is null)
                {
                    var pvc = new JsonObject
                    {
                        ["apiVersion"] = "v1",
                        ["kind"] = "PersistentVolumeClaim",
                        ["metadata"] = new JsonObject { ["name"] = claimName, ["namespace"] = ns, ["labels"] = claim?["metadata"]?["labels"]?.DeepClone() },
                        ["spec"] = claim?["spec"]?.DeepClone(),
                    };
                    CreateFrom(Type("", "persistentvolumeclaims"), ns, pvc);
                    events.Record(sts, "StatefulSet", "apps/v1", "SuccessfulCreate", $"create Claim {claimName} Pod {podName} in StatefulSet {name} success", "statefulset-controller");
                }
            }

            var pod = NewPod(ns, podName, sts, "StatefulSet", sts["spec"]?["template"], new Dictionary<string, string>
            {
                ["statefulset.kubernetes.io/pod-name"] = podName,
                ["controller-revision-hash"] = revision,
                ["apps.kubernetes.io/pod-index"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
            pods.Add(pod);
            events.Record(sts, "StatefulSet", "apps/v1", "SuccessfulCreate", $"create Pod {podName} in StatefulSet {name} successful", "statefulset-controller");
        }

        foreach (var extra in pods.Where(p => OrdinalOf(name, p) >= replicas).ToList())
        {
            store.Delete(Type("", "pods"), ns, ObjectJson.Name(extra)!, null);
            pods.Remove(extra);
            events.Record(sts, "StatefulSet", "apps/v1", "SuccessfulDelete", $"delete Pod {ObjectJson.Name(extra)} in StatefulSet {name} successful", "statefulset-controller");
        }

        var ready = pods.Count(IsReady);
        SetStatus(type, ns, name, cur => new JsonObject
        {
            ["observedGeneration"] = ObjectJson.Long(cur["metadata"]?["generation"]) ?? 1,
            ["replicas"] = pods.Count,
            ["readyReplicas"] = ready,
            ["currentReplicas"] = pods.Count,
            ["updatedReplicas"] = pods.Count,
            ["availableReplicas"] = ready,
            ["currentRevision"] = revision,
            ["updateRevision"] = revision,
            ["collisionCount"] = 0,
        });
    }

    private static long OrdinalOf(string setName, JsonObject pod) =>
        long.TryParse((ObjectJson.Name(pod) ?? "")[(setName.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture, out var i) ? i : long.MaxValue;

    private void ReconcileDaemonSet(string ns, string name)
    {
        var type = Type("apps", "daemonsets");
        var ds = Read(type.Key, ns, name);
        if (ds is null || ds["metadata"]?["deletionTimestamp"] is not null)
        {
            return;
        }

        var pods = Owned(ObjectJson.Uid(ds)!, "/pods");
        if (pods.Count == 0)
        {
            var pod = NewPod(ns, $"{name}-{Admission.RandomSuffix()}", ds, "DaemonSet", ds["spec"]?["template"]);
            pods.Add(pod);
            events.Record(ds, "DaemonSet", "apps/v1", "SuccessfulCreate", $"Created pod: {ObjectJson.Name(pod)}", "daemonset-controller");
        }

        var ready = pods.Count(IsReady);
        SetStatus(type, ns, name, cur => new JsonObject
        {
            ["currentNumberScheduled"] = 1,
            ["desiredNumberScheduled"] = 1,
            ["numberMisscheduled"] = 0,
            ["numberReady"] = ready,
            ["numberAvailable"] = ready,
            ["updatedNumberScheduled"] = 1,
            ["observedGeneration"] = ObjectJson.Long(cur["metadata"]?["generation"]) ?? 1,
        });
    }

    private void ReconcileJob(string ns, string name)
    {
        var type = Type("batch", "jobs");
        var job = Read(type.Key, ns, name);
        if (job is null || job["metadata"]?["deletionTimestamp"] is not null)
        {
            return;
        }

        var completions = ObjectJson.Long(job["spec"]?["completions"]) ?? 1;
        var isComplete = (job["status"]?["conditions"] as JsonArray ?? []).Any(c => ObjectJson.Str(c?["type"]) == "Complete");
        var pods = Owned(ObjectJson.Uid(job)!, "/pods");
        if (!isComplete && pods.Count == 0 && job["spec"]?["suspend"]?.GetValue<bool>() != true)
        {
            for (var i = 0; i < completions; i++)
            {
                var pod = NewPod(ns, $"{name}-{Admission.RandomSuffix()}", job, "Job", job["spec"]?["template"], new Dictionary<string, string>
                {
                    ["job-name"] = name,
                    ["batch.kubernetes.io/job-name"] = name,
                    ["controller-uid"] = ObjectJson.Uid(job)!,
                    ["batch.kubernetes.io/controller-uid"] = ObjectJson.Uid(job)!,
                });
                pods.Add(pod);
                events.Record(job, "Job", "batch/v1", "SuccessfulCreate", $"Created pod: {ObjectJson.Name(pod)}", "job-controller");
            }
        }

        var succeeded = pods.Count(p => ObjectJson.Str(p["status"]?["phase"]) == "Succeeded");
        var done = succeeded >= completions;
        var startTime = ObjectJson.Str(job["status"]?["startTime"]) ?? ObjectJson.Timestamp(time.GetUtcNow());
        SetStatus(type, ns, name, cur =>
        {
            var status = new JsonObject
            {
                ["startTime"] = startTime,
                ["active"] = done ? 0 : pods.Count - succeeded,
                ["succeeded"] = succeeded,
                ["ready"] = 0,
                ["terminating"] = 0,
            };
            if (done)
            {
                status["completionTime"] = ObjectJson.Str(cur["status"]?["completionTime"]) ?? ObjectJson.Timestamp(time.GetUtcNow());
                status["conditions"] = new JsonArray(
                    Condition("SuccessCriteriaMet", true, "CompletionsReached", "Reached expected number of succeeded pods"),
                    Condition("Complete", true, "CompletionsReached", "Reached expected number of succeeded pods"));
                status.Remove("active");
            }

            return status;
        });
        if (done && !isComplete)
        {
            events.Record(job, "Job", "batch/v1", "Completed", "Job completed", "job-controller");
        }
    }

    private void BindClaim(string ns, string name)
    {
        var type = Type("", "persistentvolumeclaims");
        var bound = false;
        var outcome = Write(type, ns, name, current =>
        {
            if (current is null || ObjectJson.Str(current["status"]?["phase"]) == "Bound")
            {
                return null;
            }

            var next = current.DeepClone().AsObject();
            var spec = ObjectJson.Child(next, "spec");
            spec["volumeName"] ??= "pvc-" + ObjectJson.Uid(current);
            spec["storageClassName"] ??= "standard";
            spec["volumeMode"] ??= "Filesystem";
            var annotations = ObjectJson.Child(ObjectJson.Meta(next), "annotations");
            annotations["pv.kubernetes.io/bind-completed"] = "yes";
            annotations["pv.kubernetes.io/bound-by-controller"] = "yes";
            next["status"] = new JsonObject
            {
                ["phase"] = "Bound",
                ["accessModes"] = current["spec"]?["accessModes"]?.DeepClone(),
                ["capacity"] = new JsonObject { ["storage"] = ObjectJson.Str(current["spec"]?["resources"]?["requests"]?["storage"]) ?? "1Gi" },
            };
            bound = true;
            return next;
        });
        if (bound && outcome.Object is { } pvc)
        {
            events.Record(pvc, "PersistentVolumeClaim", "v1", "ProvisioningSucceeded",
                $"Successfully provisioned volume {ObjectJson.Str(pvc["spec"]?["volumeName"])}", "rancher.io/local-path_threeport-dev");
        }
    }

    // A pod's change concerns the Services that select it now and those whose Endpoints list it (it may have stopped
    // matching or being ready), as in Kubernetes' endpoints controller.
    private void PodChanged(string ns, string name)
    {
        var pod = PodAt(ns, name);
        if (servicesByNamespace.TryGetValue(ns, out var services))
        {
            foreach (var service in services.Concerning(name, pod?.Labels))
            {
                // A Service deleted a moment ago keeps its view until its own change is processed.
                if (((pod is not null && service.Selector?.Matches(pod.Labels) == true) || service.Listed.Contains(name))
                    && store.Get("/services", ns, service.Name) is not null)
                {
                    SyncEndpoints(services, ns, service, name);
                }
            }
        }

        if (pod is null)
        {
            pods.Remove((ns, name));
        }
    }

    // A Service's view is refreshed by the Service's own change, so a pod's change looks at the namespace's Services
    // without listing and checking them in the store (with thousands in one namespace, that listing was most of the
    // simulation's time).
    private void ServiceChanged(string ns, string name, bool deleted)
    {
        var stored = deleted ? null : store.Get("/services", ns, name);
        if (!servicesByNamespace.TryGetValue(ns, out var services))
        {
            services = new NamespaceServices();
            servicesByNamespace[ns] = services;
        }

        if (stored is null)
        {
            services.Remove(name);
            return;
        }

        var view = services.Get(name);
        if (view is null || view.ResourceVersion != stored.ResourceVersion)
        {
            var obj = ObjectJson.Parse(stored.Json);
            LabelSelector? selector = null;
            (string, string)? label = null;
            if (obj["spec"]?["selector"] is JsonObject { Count: > 0 } matchLabels)
            {
                selector = LabelSelector.FromObject(new JsonObject { ["matchLabels"] = matchLabels.DeepClone() });
                label = (matchLabels.First().Key, ObjectJson.Str(matchLabels.First().Value) ?? "");
            }

            view = new ServiceView(name, stored.ResourceVersion, obj, selector, label) { Listed = view?.Listed ?? new HashSet<string>(StringComparer.Ordinal) };
            services.Put(view);
        }

        SyncEndpoints(services, ns, view);
    }

    // A pod's labels and readiness, parsed once per resource version; null when it is gone.
    private PodView? PodAt(string ns, string name, StoredObject? stored = null)
    {
        stored ??= store.Get("/pods", ns, name);
        if (stored is null)
        {
            return null;
        }

        if (!pods.TryGetValue((ns, name), out var view) || view.ResourceVersion != stored.ResourceVersion)
        {
            var pod = Read("/pods", ns, name)!;
            view = new PodView(stored.ResourceVersion, ObjectJson.Labels(pod), IsReady(pod));
            pods[(ns, name)] = view;
        }

        return view;
    }

    // After one pod's change only that pod is checked against the Service: scanning the namespace's pods on every
    // change was quadratic, a few thousand pods in one namespace cost 50 ms of CPU per Deployment.
    private void SyncEndpoints(NamespaceServices services, string ns, ServiceView service, string? changedPod = null)
    {
        if (service.Selector is not { } sel)
        {
            return;
        }

        bool Serves(PodView? pod) => pod is { Ready: true } && sel.Matches(pod.Labels);
        if (changedPod is not null && service.Scanned)
        {
            services.SetListed(service, Serves(PodAt(ns, changedPod)), changedPod);
        }
        else
        {
            services.ReplaceListed(service, store.List("/pods", ns).Items.Where(p => Serves(PodAt(ns, NameIn(p.Key), p.Value)))
                .Select(p => NameIn(p.Key)).ToHashSet(StringComparer.Ordinal));
            service.Scanned = true;
        }

        var epType = Type("", "endpoints");
        var svc = service.Object;
        var matching = service.Listed.Order(StringComparer.Ordinal).Select(podName => Read("/pods", ns, podName)).OfType<JsonObject>().ToList();
        var ports = new JsonArray((svc["spec"]?["ports"] as JsonArray ?? []).Select(p => (JsonNode?)new JsonObject
        {
            ["name"] = p?["name"]?.DeepClone(),
            ["port"] = TargetPort(p, matching.FirstOrDefault()),
            ["protocol"] = ObjectJson.Str(p?["protocol"]) ?? "TCP",
        }).ToArray());
        var subsets = matching.Count == 0 ? new JsonArray() : new JsonArray(new JsonObject
        {
            ["addresses"] = new JsonArray(matching.Select(p => (JsonNode?)new JsonObject
            {
                ["ip"] = ObjectJson.Str(p["status"]?["podIP"]),
                ["nodeName"] = NodeName,
                ["targetRef"] = new JsonObject { ["kind"] = "Pod", ["namespace"] = ns, ["name"] = ObjectJson.Name(p), ["uid"] = ObjectJson.Uid(p) },
            }).ToArray()),
            ["ports"] = ports,
        });
        var svcName = service.Name;
        var existing = Read(epType.Key, ns, svcName);
        if (existing is null)
        {
            CreateFrom(epType, ns, new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Endpoints",
                ["metadata"] = new JsonObject
                {
                    ["name"] = svcName,
                    ["namespace"] = ns,
                    ["labels"] = svc["metadata"]?["labels"]?.DeepClone(),
                    ["ownerReferences"] = new JsonArray(OwnerRef(svc, "Service", "v1")),
                },
                ["subsets"] = subsets,
            });
        }
        else if (!JsonNode.DeepEquals(existing["subsets"] ?? new JsonArray(), subsets))
        {
            Write(epType, ns, svcName, cur =>
            {
                if (cur is null)
                {
                    return null;
                }

                // The write's own object (ClusterSimulator.Write), changed in place like a status.
                cur["subsets"] = subsets;
                return cur;
            });
        }
    }

    // ObjectStore.List keys a namespaced object "<namespace>/<name>".
    private static string NameIn(string key) => key[(key.IndexOf('/') + 1)..];

    private sealed record PodView(long ResourceVersion, Dictionary<string, string> Labels, bool Ready);

    private static long TargetPort(JsonNode? servicePort, JsonObject? pod)
    {
        var target = servicePort?["targetPort"];
        if (ObjectJson.Long(target) is { } numeric && target is JsonValue v && !v.TryGetValue<string>(out _))
        {
            return numeric;
        }

        var named = ObjectJson.Str(target);
        foreach (var c in pod?["spec"]?["containers"] as JsonArray ?? [])
        {
            foreach (var p in c?["ports"] as JsonArray ?? [])
            {
                if (ObjectJson.Str(p?["name"]) == named)
                {
                    return ObjectJson.Long(p?["containerPort"]) ?? 0;
                }
            }
        }

        return ObjectJson.Long(servicePort?["port"]) ?? 0;
    }

    // The service account and root CA config map every namespace gets from its controllers.
    private void SeedNamespace(string ns)
    {
        if (Read(ObjectStore.NamespacesKey, "", ns) is not { } nsObj || nsObj["metadata"]?["deletionTimestamp"] is not null)
        {
            return;
        }

        if (store.Get("/serviceaccounts", ns, "default") is null)
        {
            CreateFrom(Type("", "serviceaccounts"), ns, new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "ServiceAccount",
                ["metadata"] = new JsonObject { ["name"] = "default", ["namespace"] = ns },
            });
        }

        if (store.Get("/configmaps", ns, "kube-root-ca.crt") is null)
        {
            CreateFrom(Type("", "configmaps"), ns, new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "ConfigMap",
                ["metadata"] = new JsonObject { ["name"] = "kube-root-ca.crt", ["namespace"] = ns },
                ["data"] = new JsonObject { ["ca.crt"] = "-----BEGIN CERTIFICATE-----\nthreeport-dev\n-----END CERTIFICATE-----\n" },
            });
        }
    }
}
