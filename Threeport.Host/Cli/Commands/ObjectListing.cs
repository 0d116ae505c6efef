using System.Text.Json.Nodes;
using Threeport.Host.Cli.Objects;
using Threeport.Host.Cli.Output;
using Threeport.Modules.Platform.Client;

namespace Threeport.Host.Cli.Commands;

// The rows of `tptctl get <plural>`: a table for people, the API objects for -o json|yaml.
public sealed record ObjectListing(Table Table, JsonArray Objects);

public static class ObjectListings
{
    public static async Task<ObjectListing> ListAsync(string plural, ThreeportClient client, DateTimeOffset now, string? workloadInstance, CancellationToken ct)
    {
        switch (plural)
        {
            case "workloads":
            {
                var instances = await client.ListAsync(ApiRoute.WorkloadInstances, null, ct);
                var definitions = Index(await client.ListAsync(ApiRoute.WorkloadDefinitions, null, ct));
                var runtimes = Index(await client.ListAsync(ApiRoute.KubernetesRuntimeInstances, null, ct));
                var table = new Table("NAME", "WORKLOAD DEFINITION", "WORKLOAD INSTANCE", "KUBERNETES RUNTIME INSTANCE", "STATUS", "AGE");
                var objects = new JsonArray();
                foreach (var wi in instances)
                {
                    var wd = Lookup(definitions, wi.GetLong("WorkloadDefinitionID"));
                    var kri = Lookup(runtimes, wi.GetLong("KubernetesRuntimeInstanceID"));
                    table.Add(wd?.Name(), wd?.Name(), wi.Name(), kri?.Name(), InstanceStatus(wi), Age.Since(wi.GetTime("CreatedAt"), now));
                    objects.Add(new JsonObject
                    {
                        ["Name"] = wd?.Name(),
                        ["WorkloadDefinition"] = wd?.DeepClone(),
                        ["WorkloadInstance"] = wi.DeepClone(),
                        ["KubernetesRuntimeInstance"] = kri?.Name(),
                        ["Status"] = InstanceStatus(wi),
                    });
                }

                return new ObjectListing(table, objects);
            }

            case "workload-definitions":
            {
                var definitions = await client.ListAsync(ApiRoute.WorkloadDefinitions, null, ct);
                var instances = await client.ListAsync(ApiRoute.WorkloadInstances, null, ct);
                var table = new Table("NAME", "WORKLOAD INSTANCES", "STATUS", "AGE");
                foreach (var wd in definitions)
                {
                    var count = instances.Count(i => i.GetLong("WorkloadDefinitionID") == wd.Id());
                    table.Add(wd.Name(), count.ToString(System.Globalization.CultureInfo.InvariantCulture), ReconcileStatus(wd), Age.Since(wd.GetTime("CreatedAt"), now));
                }

                return new ObjectListing(table, Array(definitions));
            }

            case "workload-instances":
            {
                var instances = await client.ListAsync(ApiRoute.WorkloadInstances, null, ct);
                var definitions = Index(await client.ListAsync(ApiRoute.WorkloadDefinitions, null, ct));
                var runtimes = Index(await client.ListAsync(ApiRoute.KubernetesRuntimeInstances, null, ct));
                var table = new Table("NAME", "WORKLOAD DEFINITION", "KUBERNETES RUNTIME INSTANCE", "STATUS", "AGE");
                foreach (var wi in instances)
                {
                    table.Add(wi.Name(), Lookup(definitions, wi.GetLong("WorkloadDefinitionID"))?.Name(),
                        Lookup(runtimes, wi.GetLong("KubernetesRuntimeInstanceID"))?.Name(), InstanceStatus(wi), Age.Since(wi.GetTime("CreatedAt"), now));
                }

                return new ObjectListing(table, Array(instances));
            }

            case "kubernetes-runtimes":
            {
                var instances = await client.ListAsync(ApiRoute.KubernetesRuntimeInstances, null, ct);
                var definitions = Index(await client.ListAsync(ApiRoute.KubernetesRuntimeDefinitions, null, ct));
                var table = new Table("NAME", "KUBERNETES RUNTIME DEFINITION", "KUBERNETES RUNTIME INSTANCE", "INFRA PROVIDER", "LOCATION", "DEFAULT RUNTIME", "STATUS", "AGE");
                var objects = new JsonArray();
                foreach (var kri in instances)
                {
                    var krd = Lookup(definitions, kri.GetLong("KubernetesRuntimeDefinitionID"));
                    table.Add(krd?.Name(), krd?.Name(), kri.Name(), krd?.GetString("InfraProvider"), kri.GetString("Location"),
                        Bool(kri, "DefaultRuntime"), ReconcileStatus(kri), Age.Since(kri.GetTime("CreatedAt"), now));
                    objects.Add(new JsonObject
                    {
                        ["Name"] = krd?.Name(),
                        ["KubernetesRuntimeDefinition"] = krd?.DeepClone(),
                        ["KubernetesRuntimeInstance"] = kri.DeepClone(),
                    });
                }

                return new ObjectListing(table, objects);
            }

            case "kubernetes-runtime-definitions":
            {
                var definitions = await client.ListAsync(ApiRoute.KubernetesRuntimeDefinitions, null, ct);
                var table = new Table("NAME", "INFRA PROVIDER", "INFRA PROVIDER ACCOUNT", "HIGH AVAILABILITY", "STATUS", "AGE");
                foreach (var d in definitions)
                {
                    table.Add(d.Name(), d.GetString("InfraProvider"), d.GetString("InfraProviderAccountName"), Bool(d, "HighAvailability"),
                        ReconcileStatus(d), Age.Since(d.GetTime("CreatedAt"), now));
                }

                return new ObjectListing(table, Array(definitions));
            }

            case "kubernetes-runtime-instances":
            {
                var instances = await client.ListAsync(ApiRoute.KubernetesRuntimeInstances, null, ct);
                var definitions = Index(await client.ListAsync(ApiRoute.KubernetesRuntimeDefinitions, null, ct));
                var table = new Table("NAME", "KUBERNETES RUNTIME DEFINITION", "LOCATION", "DEFAULT RUNTIME", "API ENDPOINT", "STATUS", "AGE");
                foreach (var i in instances)
                {
                    table.Add(i.Name(), Lookup(definitions, i.GetLong("KubernetesRuntimeDefinitionID"))?.Name(), i.GetString("Location"),
                        Bool(i, "DefaultRuntime"), i.GetString("APIEndpoint"), ReconcileStatus(i), Age.Since(i.GetTime("CreatedAt"), now));
                }

                return new ObjectListing(table, Array(instances));
            }

            case "events":
            {
                var events = await client.ListAsync(ApiRoute.Events, null, ct);
                var table = new Table("TYPE", "REASON", "OBJECT", "COUNT", "LAST SEEN", "CONTROLLER", "NOTE");
                foreach (var e in events.OrderBy(e => e.GetTime("LastObservedTime") ?? e.GetTime("EventTime")))
                {
                    table.Add(e.GetString("Type"), e.GetString("Reason"), $"{e.GetString("ObjectType")} {e.GetString("ObjectID")}".Trim(),
                        e.GetString("Count"), Age.Since(e.GetTime("LastObservedTime") ?? e.GetTime("EventTime"), now),
                        e.GetString("ReportingController"), e.GetString("Note"));
                }

                return new ObjectListing(table, Array(events));
            }

            case "workload-events":
            {
                Dictionary<string, string>? filter = null;
                if (workloadInstance is not null)
                {
                    var wi = await client.GetByNameAsync(ApiRoute.WorkloadInstances, workloadInstance, ct);
                    filter = new() { ["workloadinstanceid"] = wi.Id().ToString(System.Globalization.CultureInfo.InvariantCulture) };
                }

                var events = await client.ListAsync(ApiRoute.WorkloadEvents, filter, ct);
                if (filter is not null)
                {
                    events = events.Where(e => e.GetString("WorkloadInstanceID") == filter["workloadinstanceid"]).ToList();
                }

                var instances = Index(await client.ListAsync(ApiRoute.WorkloadInstances, null, ct));
                var table = new Table("WORKLOAD INSTANCE", "TYPE", "REASON", "AGE", "MESSAGE");
                foreach (var e in events.OrderBy(e => e.GetTime("Timestamp")))
                {
                    table.Add(Lookup(instances, e.GetLong("WorkloadInstanceID"))?.Name() ?? e.GetString("WorkloadInstanceID"), e.GetString("Type"),
                        e.GetString("Reason"), Age.Since(e.GetTime("Timestamp"), now), e.GetString("Message"));
                }

                return new ObjectListing(table, Array(events));
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(plural), plural, "no listing");
        }
    }

    // Threeport computes workload status on read; the API's Status wins, deletion in progress says so.
    public static string InstanceStatus(JsonObject wi) =>
        wi.GetTime("DeletionScheduled") is not null ? "Deleting"
        : wi.GetString("Status") is { Length: > 0 } s ? s
        : ReconcileStatus(wi);

    public static string ReconcileStatus(JsonObject obj) =>
        obj.GetTime("DeletionScheduled") is not null ? "Deleting"
        : obj.GetBool("CreationFailed") ? "Failed"
        : obj.GetBool("Reconciled") ? "Reconciled"
        : "Reconciling";

    // Narrow by a query filter; a server that rejects the filter (400) still gets us every row to filter here.
    public static async Task<IReadOnlyList<JsonObject>> ListFilteredAsync(ThreeportClient client, ApiRoute route, string filter, string value, CancellationToken ct)
    {
        try
        {
            return await client.ListAsync(route, new Dictionary<string, string> { [filter] = value }, ct);
        }
        catch (ThreeportApiException e) when (e.StatusCode == System.Net.HttpStatusCode.BadRequest)
        {
            return await client.ListAsync(route, null, ct);
        }
    }

    private static string Bool(JsonObject obj, string field) => obj.GetBool(field) ? "true" : "false";

    private static Dictionary<long, JsonObject> Index(IEnumerable<JsonObject> objects) => objects.ToDictionary(o => o.Id());

    private static JsonObject? Lookup(Dictionary<long, JsonObject> index, long? id) =>
        id is { } i && index.TryGetValue(i, out var obj) ? obj : null;

    private static JsonArray Array(IEnumerable<JsonObject> objects) => new(objects.Select(o => (JsonNode)o.DeepClone()).ToArray());
}
