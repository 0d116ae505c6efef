using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Threeport.Modules.Platform.Objects;

namespace Threeport.Tests.Hardening;

// Issue 7: thousands of generated requests against every route of the v0 API (found from the endpoint data
// source, so a new module's routes are covered without edits). Properties: never a 5xx; every non-2xx answer is
// Threeport's envelope with a non-empty Status.error; a refused request and every GET leave every table exactly
// as it was. Fixed seed by default; THREEPORT_FUZZ_SEED and THREEPORT_FUZZ_REQUESTS change it.
[NonParallelizable]
public sealed class BadInputPropertyTests
{
    private const string DefaultSeed = "0000HSRT5QT1";
    private const int DefaultRequests = 4000;

    [Test]
    public async Task EveryRoute_AnyInput_AnswersBelow500_InTheEnvelope_AndRefusalsWriteNothing()
    {
        var seed = Environment.GetEnvironmentVariable("THREEPORT_FUZZ_SEED") ?? DefaultSeed;
        var count = int.TryParse(Environment.GetEnvironmentVariable("THREEPORT_FUZZ_REQUESTS"), out var n) ? n : DefaultRequests;
        await TestContext.Out.WriteLineAsync($"Seed {seed}, {count} requests (THREEPORT_FUZZ_SEED / THREEPORT_FUZZ_REQUESTS to change)");

        await using var cp = await HardenedControlPlane.StartAsync(settings: HardenedControlPlane.NoReconcilers());
        var knownIds = await SeedObjectsAsync(cp);
        var types = cp.Services.GetRequiredService<ObjectTypeRegistry>().All.ToList();
        var routes = Routes(cp, types);
        routes.Select(r => r.Type).Distinct().Count().Should().BeGreaterThan(5, "every module's routes are found");
        await TestContext.Out.WriteLineAsync($"Routes: {routes.Count} ({string.Join(", ", routes.Select(r => $"{r.Method} {r.Pattern}"))})");

        var figures = new Figures();
        var started = DateTime.UtcNow;
        await FuzzGenerators.Requests(routes, knownIds, types).Array[count].SampleAsync(
            async batch =>
            {
                var before = await DatabaseSnapshot.TakeAsync(cp.DatabasePath);
                foreach (var request in batch)
                {
                    before = await SendAndCheckAsync(cp, request, before, figures);
                }
            },
            seed: seed,
            iter: 1,
            threads: 1,
            print: batch => $"{batch.Length} requests");

        await TestContext.Out.WriteLineAsync(
            $"Tried {figures.Tried} requests in {(DateTime.UtcNow - started).TotalSeconds:F1} s: {figures.Succeeded} 2xx, {figures.Refused} 4xx " +
            $"({string.Join(", ", figures.ByStatus.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}"))}), 5xx: {figures.ServerErrors}, partial writes: {figures.PartialWrites}");
        await TestContext.Out.WriteLineAsync("400 answers by message: " + string.Join("; ", figures.Messages.OrderByDescending(m => m.Value).Select(m => $"{m.Value}× {m.Key}")));
        figures.Tried.Should().Be(count);
        figures.Refused.Should().BeGreaterThan(count / 2, "the generators aim at bad input");
    }

    private static async Task<string> SendAndCheckAsync(HardenedControlPlane cp, FuzzRequest request, string before, Figures figures)
    {
        figures.Tried++;
        using var response = await cp.Client.SendAsync(request.ToMessage());
        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync();
        var after = await DatabaseSnapshot.TakeAsync(cp.DatabasePath);
        figures.ByStatus[status] = figures.ByStatus.GetValueOrDefault(status) + 1;
        if (status == 400 && JsonNode.Parse(text)?["Status"]?["error"]?.GetValue<string>() is { } error)
        {
            var kind = string.Concat(error.TakeWhile(c => c is not (':' or '\'' or '{' or ';' or '(')).Take(60));
            figures.Messages[kind] = figures.Messages.GetValueOrDefault(kind) + 1;
        }

        string Describe() => $"{request}\n→ {status} {(text.Length > 500 ? text[..500] : text)}";

        if (status >= 500)
        {
            figures.ServerErrors++;
            var logged = cp.Logs.Lines.Where(l => l.StartsWith("Error", StringComparison.Ordinal)).TakeLast(1);
            Assert.Fail($"5xx for bad input: {Describe()}\nlogged: {string.Join("\n", logged)}");
        }

        if (status is >= 200 and < 300)
        {
            figures.Succeeded++;
            if (request.Method == "GET" && after != before)
            {
                figures.PartialWrites++;
                Assert.Fail($"a GET wrote to the database: {Describe()}");
            }

            return after;
        }

        figures.Refused++;
        JsonObject? envelope = null;
        try
        {
            envelope = JsonNode.Parse(text) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
        }

        if (envelope?["Status"] is not JsonObject statusObject
            || statusObject["error"]?.GetValue<string>() is not { Length: > 0 }
            || statusObject["code"]?.GetValue<int>() != status
            || !envelope.ContainsKey("Meta") || !envelope.ContainsKey("Type"))
        {
            Assert.Fail($"a refusal is not Threeport's envelope with Status.error: {Describe()}");
        }

        if (after != before)
        {
            figures.PartialWrites++;
            Assert.Fail($"a refused request changed the database: {Describe()}");
        }

        return after;
    }

    // The v0 routes as registered, with the object type each serves; non-v0 routes are fuzzed too (never 5xx).
    private static List<FuzzGenerators.Route> Routes(HardenedControlPlane cp, IReadOnlyList<ObjectType> types) =>
        cp.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } raw && !raw.StartsWith("/openapi", StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (Method: m, Endpoint: e)))
            .Select(x =>
            {
                var raw = "/" + x.Endpoint.RoutePattern.RawText!.TrimStart('/');
                var plural = raw.Split('/', StringSplitOptions.RemoveEmptyEntries) is ["v0", var p, ..] ? p : null;
                return new FuzzGenerators.Route(x.Method, raw, types.FirstOrDefault(t => t.RoutePlural == plural));
            })
            .OrderBy(r => r.Pattern, StringComparer.Ordinal).ThenBy(r => r.Method, StringComparer.Ordinal)
            .ToList();

    // One valid object of each main type, so generated ids and references hit real rows.
    private static async Task<List<long>> SeedObjectsAsync(HardenedControlPlane cp)
    {
        async Task<long> CreateAsync(string route, object body)
        {
            var response = await cp.Client.PostAsJsonAsync($"/v0/{route}", body);
            var text = await response.Content.ReadAsStringAsync();
            response.StatusCode.Should().Be(HttpStatusCode.Created, text);
            return JsonNode.Parse(text)!["Data"]![0]!["ID"]!.GetValue<long>();
        }

        var ids = new List<long> { await CreateAsync("widgets", new { Name = "seed-widget", Color = "red" }) };
        var runtimeDefinition = await CreateAsync("kubernetes-runtime-definitions", new { Name = "seed-runtime", InfraProvider = "kind" });
        var kubeconfig = "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'http://127.0.0.1:1'}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n";
        var runtime = await CreateAsync("kubernetes-runtime-instances", new { Name = "seed-runtime-0", KubernetesRuntimeDefinitionID = runtimeDefinition, Kubeconfig = kubeconfig });
        var definition = await CreateAsync("workload-definitions", new { Name = "seed-workload", YAMLDocument = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: seed\n" });
        var instance = await CreateAsync("workload-instances", new { Name = "seed-workload-0", WorkloadDefinitionID = definition, KubernetesRuntimeInstanceID = runtime });
        ids.AddRange([runtimeDefinition, runtime, definition, instance]);
        return ids.Distinct().ToList();
    }

    private sealed class Figures
    {
        public int Tried;
        public int Succeeded;
        public int Refused;
        public int ServerErrors;
        public int PartialWrites;

        public Dictionary<int, int> ByStatus { get; } = [];

        public Dictionary<string, int> Messages { get; } = [];
    }
}
