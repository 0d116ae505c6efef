using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Threeport.Modules.DevCluster.Storage;

namespace Threeport.Modules.DevCluster.Api;

// What the apiserver does to an object before storing it: identity and timestamps, defaults the
// clients rely on (service clusterIP, namespace phase, deployment replicas), status stripping for
// resources with a status subresource, and CRD acceptance.
internal sealed partial class Admission(TimeProvider time)
{
    // 10.96.0.1 is the kubernetes service; the rest of 10.96.0.0/12 is handed out in order.
    private long nextServiceIp = 10;

    public void SeedServiceIps(IEnumerable<JsonObject> services)
    {
        var max = services.Select(s => ObjectJson.Str(s["spec"]?["clusterIP"]))
            .Select(ip => IPAddress.TryParse(ip, out var a) ? Offset(a) : 0).DefaultIfEmpty(0).Max();
        Interlocked.Exchange(ref nextServiceIp, Math.Max(10, max + 1));
    }

    public JsonObject PrepareCreate(ResourceType type, JsonObject obj, string ns)
    {
        CheckKind(type, obj);
        DropNulls(obj);
        var meta = ObjectJson.Meta(obj);
        if (type.Namespaced && ObjectJson.Str(meta["namespace"]) is { Length: > 0 } bodyNs && bodyNs != ns)
        {
            throw ApiException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }

        if (ObjectJson.Str(meta["resourceVersion"]) is { Length: > 0 })
        {
            throw ApiException.BadRequest("resourceVersion should not be set on objects to be created");
        }

        var name = ObjectJson.Str(meta["name"]);
        if (string.IsNullOrEmpty(name) && ObjectJson.Str(meta["generateName"]) is { Length: > 0 } prefix)
        {
            name = prefix + RandomSuffix();
            meta["name"] = name;
        }

        if (string.IsNullOrEmpty(name))
        {
            throw ApiException.Invalid(type, "", "metadata.name", "Required value: name or generateName is required");
        }

        if (name.Length > 253 || !NamePattern().IsMatch(name))
        {
            throw ApiException.Invalid(type, name, "metadata.name",
                $"Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character");
        }

        var now = time.GetUtcNow();
        meta["uid"] = Guid.NewGuid().ToString();
        meta["creationTimestamp"] = ObjectJson.Timestamp(now);
        meta["generation"] = 1;
        meta.Remove("deletionTimestamp");
        meta.Remove("resourceVersion");
        if (type.HasStatus)
        {
            obj.Remove("status");
        }

        Default(type, obj, null);
        return obj;
    }

    // Keeps what a client may not change on update and bumps generation on spec changes.
    public JsonObject PrepareUpdate(ResourceType type, JsonObject current, JsonObject next)
    {
        CheckKind(type, next);
        DropNulls(next);
        var meta = ObjectJson.Meta(next);
        var currentMeta = ObjectJson.Meta(current);
        foreach (var key in new[] { "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds" })
        {
            if (currentMeta[key] is { } v)
            {
                meta[key] = v.DeepClone();
            }
            else
            {
                meta.Remove(key);
            }
        }

        if (meta["managedFields"] is null && currentMeta["managedFields"] is { } mf)
        {
            meta["managedFields"] = mf.DeepClone();
        }

        if (type.HasStatus)
        {
            if (current["status"] is { } status)
            {
                next["status"] = status.DeepClone();
            }
            else
            {
                next.Remove("status");
            }
        }

        var generation = ObjectJson.Long(currentMeta["generation"]) ?? 1;
        Default(type, next, current);
        meta["generation"] = ObjectJson.SpecEquals(current, next) ? generation : generation + 1;
        return next;
    }

    // Typed decoding in the apiserver drops explicit nulls (helm output is full of them); kubectl's
    // apply diff relies on the live object not carrying them.
    public static void DropNulls(JsonNode? node)
    {
        // By index, backwards: every object of every request body passes here, and enumerators would be allocated.
        switch (node)
        {
            case JsonObject o:
                for (var i = o.Count - 1; i >= 0; i--)
                {
                    if (o.GetAt(i).Value is { } value)
                    {
                        DropNulls(value);
                    }
                    else
                    {
                        o.RemoveAt(i);
                    }
                }

                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    DropNulls(a[i]);
                }

                break;
        }
    }

    public static void CheckKind(ResourceType type, JsonObject obj)
    {
        var kind = ObjectJson.Str(obj["kind"]);
        var apiVersion = ObjectJson.Str(obj["apiVersion"]);
        if (kind is { Length: > 0 } && kind != type.Kind)
        {
            throw ApiException.BadRequest($"the object provided is unrecognized (must be of type {type.Kind}): {kind}");
        }

        if (apiVersion is { Length: > 0 } && apiVersion != type.GroupVersion && !type.IsCustom)
        {
            throw ApiException.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({type.GroupVersion})");
        }

        obj["kind"] = type.Kind;
        obj["apiVersion"] = apiVersion is { Length: > 0 } ? apiVersion : type.GroupVersion;
        // Keep kind and apiVersion first, like the apiserver's serialization.
        var rest = obj.Where(kv => kv.Key is not "kind" and not "apiVersion").Select(kv => kv.Key).ToList();
        foreach (var key in rest)
        {
            var value = obj[key];
            obj.Remove(key);
            obj[key] = value;
        }
    }

    private void Default(ResourceType type, JsonObject obj, JsonObject? current)
    {
        switch (type.Key)
        {
            case ObjectStore.NamespacesKey:
                var nsName = ObjectJson.Name(obj) ?? "";
                var labels = ObjectJson.Child(ObjectJson.Meta(obj), "labels");
                labels["kubernetes.io/metadata.name"] = nsName;
                ObjectJson.Child(obj, "spec")["finalizers"] ??= new JsonArray("kubernetes");
                if (current is null)
                {
                    obj["status"] = new JsonObject { ["phase"] = "Active" };
                }

                break;
            case "/services":
                DefaultService(obj, current);
                break;
            case "/secrets":
                obj["type"] ??= "Opaque";
                if (obj["stringData"] is JsonObject stringData)
                {
                    var data = ObjectJson.Child(obj, "data");
                    foreach (var (k, v) in stringData)
                    {
                        data[k] = Convert.ToBase64String(Encoding.UTF8.GetBytes(ObjectJson.Str(v) ?? ""));
                    }

                    obj.Remove("stringData");
                }

                break;
            case "apps/deployments":
                var spec = ObjectJson.Child(obj, "spec");
                spec["replicas"] ??= 1;
                spec["revisionHistoryLimit"] ??= 10;
                spec["progressDeadlineSeconds"] ??= 600;
                spec["strategy"] ??= new JsonObject
                {
                    ["type"] = "RollingUpdate",
                    ["rollingUpdate"] = new JsonObject { ["maxUnavailable"] = "25%", ["maxSurge"] = "25%" },
                };
                break;
            case "apps/statefulsets":
                var sts = ObjectJson.Child(obj, "spec");
                sts["replicas"] ??= 1;
                sts["podManagementPolicy"] ??= "OrderedReady";
                sts["updateStrategy"] ??= new JsonObject { ["type"] = "RollingUpdate", ["rollingUpdate"] = new JsonObject { ["partition"] = 0 } };
                break;
            case "apps/replicasets":
                ObjectJson.Child(obj, "spec")["replicas"] ??= 1;
                break;
            case "batch/jobs":
                var job = ObjectJson.Child(obj, "spec");
                job["completions"] ??= 1;
                job["parallelism"] ??= 1;
                job["backoffLimit"] ??= 6;
                break;
            case "/persistentvolumeclaims" when current is null:
                obj["status"] = new JsonObject { ["phase"] = "Pending" };
                break;
            case "apiextensions.k8s.io/customresourcedefinitions":
                AcceptCrd(obj, current);
                break;
        }
    }

    private void DefaultService(JsonObject obj, JsonObject? current)
    {
        var spec = ObjectJson.Child(obj, "spec");
        spec["type"] ??= "ClusterIP";
        spec["sessionAffinity"] ??= "None";
        var currentIp = ObjectJson.Str(current?["spec"]?["clusterIP"]);
        if (currentIp is not null)
        {
            spec["clusterIP"] = currentIp;
        }
        else if (ObjectJson.Str(spec["clusterIP"]) is null or "")
        {
            spec["clusterIP"] = Allocate();
        }

        spec["clusterIPs"] = new JsonArray(ObjectJson.Str(spec["clusterIP"]));
        spec["ipFamilies"] ??= new JsonArray("IPv4");
        spec["ipFamilyPolicy"] ??= "SingleStack";
        spec["internalTrafficPolicy"] ??= "Cluster";
        if (spec["ports"] is JsonArray ports)
        {
            foreach (var port in ports.OfType<JsonObject>())
            {
                port["protocol"] ??= "TCP";
                port["targetPort"] ??= port["port"]?.DeepClone();
                if (port.ContainsKey("nodePort") && port["nodePort"] is null)
                {
                    port.Remove("nodePort");
                }
            }
        }

        obj["status"] ??= new JsonObject { ["loadBalancer"] = new JsonObject() };
    }

    private string Allocate()
    {
        var offset = Interlocked.Increment(ref nextServiceIp) - 1;
        var bytes = new byte[] { 10, 96, 0, 0 };
        var value = (10L << 24 | 96L << 16) + offset;
        bytes[0] = (byte)(value >> 24);
        bytes[1] = (byte)(value >> 16);
        bytes[2] = (byte)(value >> 8);
        bytes[3] = (byte)value;
        return new IPAddress(bytes).ToString();
    }

    private static long Offset(IPAddress a)
    {
        var b = a.GetAddressBytes();
        return b.Length == 4 && b[0] == 10 && (b[1] & 0xF0) == 96 ? ((long)(b[1] - 96) << 16) + (b[2] << 8) + b[3] : 0;
    }

    private void AcceptCrd(JsonObject crd, JsonObject? current)
    {
        var spec = crd["spec"] as JsonObject ?? throw ApiException.BadRequest("spec is required");
        var names = spec["names"] as JsonObject ?? new JsonObject();
        var group = ObjectJson.Str(spec["group"]) ?? "";
        var plural = ObjectJson.Str(names["plural"]) ?? "";
        var name = ObjectJson.Name(crd) ?? "";
        var type = new ResourceType("apiextensions.k8s.io", "v1", "customresourcedefinitions", "customresourcedefinition", "CustomResourceDefinition", false, [], [], true, false);
        if (name != plural + "." + group)
        {
            throw ApiException.Invalid(type, name, "metadata.name", $"Invalid value: \"{name}\": must be spec.names.plural+\".\"+spec.group");
        }

        names["singular"] ??= (ObjectJson.Str(names["kind"]) ?? "").ToLowerInvariant();
        names["listKind"] ??= ObjectJson.Str(names["kind"]) + "List";
        var now = ObjectJson.Timestamp(time.GetUtcNow());
        var transition = ObjectJson.Str(current?["status"]?["conditions"]?[0]?["lastTransitionTime"]) ?? now;
        var stored = (spec["versions"] as JsonArray)?.Where(v => v?["storage"]?.GetValue<bool>() == true)
            .Select(v => (JsonNode?)JsonValue.Create(ObjectJson.Str(v?["name"]))).ToArray() ?? [];
        // Accepted at once: custom resources are servable as soon as the CRD is stored.
        crd["status"] = new JsonObject
        {
            ["conditions"] = new JsonArray(
                Condition("NamesAccepted", "NoConflicts", "no conflicts found", transition),
                Condition("Established", "InitialNamesAccepted", "the initial names have been accepted", transition)),
            ["acceptedNames"] = names.DeepClone(),
            ["storedVersions"] = new JsonArray(stored),
        };
    }

    private static JsonObject Condition(string type, string reason, string message, string time) => new()
    {
        ["type"] = type,
        ["status"] = "True",
        ["lastTransitionTime"] = time,
        ["reason"] = reason,
        ["message"] = message,
    };

    public static string RandomSuffix(int length = 5)
    {
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = alphabet[Random.Shared.Next(alphabet.Length)];
        }

        return new string(chars);
    }

    public static string Hash(string text, int length = 10)
    {
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        var h = 14695981039346656037UL;
        foreach (var c in text)
        {
            h = (h ^ c) * 1099511628211UL;
        }

        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = alphabet[(int)(h % (ulong)alphabet.Length)];
            h /= (ulong)alphabet.Length;
            if (h == 0)
            {
                h = 1469598103934665603UL + (ulong)i;
            }
        }

        return new string(chars);
    }

    public static string FormatInt(long v) => v.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex NamePattern();
}
