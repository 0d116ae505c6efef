using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Threeport.Tests.Support;

namespace Threeport.Tests.Platform;

// Every class of bad input answers a 4xx in Threeport's envelope with a message a person can act on,
// and leaves the database exactly as it was.
public sealed class BadInputTests
{
    private TestControlPlane cp = null!;
    private long existingId;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        cp = await TestControlPlane.StartAsync(settings: new Dictionary<string, string?> { ["Threeport:Controllers:Test:Enabled"] = "false" });
        existingId = (await cp.CreateWidgetAsync("taken", "red"))["ID"]!.GetValue<long>();
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await cp.DisposeAsync();

    public static IEnumerable<TestCaseData> Cases()
    {
        TestCaseData Case(string method, string path, string? body, HttpStatusCode status, string message, string name) =>
            new TestCaseData(method, path, body, status, message).SetName($"{method}_{name}_Returns{(int)status}");

        yield return Case("POST", "/v0/widgets", "", HttpStatusCode.BadRequest, "request body is empty", "EmptyBody");
        yield return Case("POST", "/v0/widgets", "{}", HttpStatusCode.BadRequest, "JSON payload is empty", "EmptyObject");
        yield return Case("POST", "/v0/widgets", "[]", HttpStatusCode.BadRequest, "must be a JSON object, not an array", "Array");
        yield return Case("POST", "/v0/widgets", "null", HttpStatusCode.BadRequest, "must be a JSON object", "Null");
        yield return Case("POST", "/v0/widgets", "\"text\"", HttpStatusCode.BadRequest, "must be a JSON object", "String");
        yield return Case("POST", "/v0/widgets", "{\"Name\": \"a\",", HttpStatusCode.BadRequest, "not valid JSON", "MalformedJson");
        yield return Case("POST", "/v0/widgets", "{\"Name\":\"a\",\"Name\":\"b\"}", HttpStatusCode.BadRequest, "same field twice", "DuplicateKey");
        yield return Case("POST", "/v0/widgets", new string('[', 100) + new string(']', 100), HttpStatusCode.BadRequest, "not valid JSON", "DeepNesting");
        yield return Case("POST", "/v0/widgets", "{\"Name\":\"n1\",\"Colour\":\"red\"}", HttpStatusCode.BadRequest, "unsupported field(s): Colour", "UnknownField");
        yield return Case("POST", "/v0/widgets", "{\"Name\":\"n2\",\"ID\":7}", HttpStatusCode.BadRequest, "ID is set by the control plane", "IdField");
        yield return Case("POST", "/v0/widgets", "{\"Name\":\"n3\",\"CreatedAt\":\"2024-01-01T00:00:00Z\"}", HttpStatusCode.BadRequest, "CreatedAt is set by the control plane", "CreatedAtField");
        yield return Case("POST", "/v0/widgets", "{\"Name\":\"n4\",\"CreationConfirmed\":\"2024-01-01T00:00:00Z\"}", HttpStatusCode.BadRequest, "CreationConfirmed is status", "StatusField");
        yield return Case("POST", "/v0/widgets", "{\"Name\":5}", HttpStatusCode.BadRequest, "field Name must be a string, not the number 5", "NumberForString");
        yield return Case("POST", "/v0/widgets", "{\"Name\":\"n5\",\"Size\":\"big\"}", HttpStatusCode.BadRequest, "field Size must be an integer", "StringForInteger");
        yield return Case("POST", "/v0/widgets", "{\"Name\":\"n6\",\"Size\":1.5}", HttpStatusCode.BadRequest, "field Size must be an integer", "FractionForInteger");
        yield return Case("POST", "/v0/widgets", "{\"Name\":\"n7\",\"Size\":null}", HttpStatusCode.BadRequest, "field Size cannot be null", "NullForInteger");
        yield return Case("POST", "/v0/widgets", "{\"Name\":\"n8\",\"Reconciled\":\"yes\"}", HttpStatusCode.BadRequest, "field Reconciled must be true or false", "StringForBoolean");
        yield return Case("POST", "/v0/widgets", "{\"Color\":\"red\"}", HttpStatusCode.BadRequest, "missing required field(s): Name", "MissingRequired");
        yield return Case("POST", "/v0/widgets", "{\"Name\":\"Not_A_Dns_Name\"}", HttpStatusCode.BadRequest, "is not valid: use at most 63 lower-case", "BadName");
        yield return Case("POST", "/v0/widgets", $"{{\"Name\":\"{new string('a', 64)}\"}}", HttpStatusCode.BadRequest, "is not valid", "LongName");
        yield return Case("POST", "/v0/widgets", "{\"Name\":\"taken\"}", HttpStatusCode.Conflict, "a Widget named 'taken' already exists", "DuplicateName");
        yield return Case("PATCH", "/v0/widgets/{id}", "{\"Name\":\"\"}", HttpStatusCode.BadRequest, "missing required field(s): Name", "ClearRequired");
        yield return Case("PATCH", "/v0/widgets/{id}", "{\"Generation\":9}", HttpStatusCode.BadRequest, "Generation is set by the control plane", "GenerationField");
        yield return Case("PATCH", "/v0/widgets/999999", "{\"Color\":\"blue\"}", HttpStatusCode.NotFound, "Widget with ID 999999 not found", "UnknownId");
        yield return Case("PATCH", "/v0/widgets/abc", "{\"Color\":\"blue\"}", HttpStatusCode.BadRequest, "'abc' is not an object ID", "NonNumericId");
        yield return Case("PUT", "/v0/widgets/{id}", "{\"Color\":\"blue\"}", HttpStatusCode.BadRequest, "missing required field(s): Name", "PutWithoutRequired");
        yield return Case("DELETE", "/v0/widgets/999999", null, HttpStatusCode.NotFound, "not found", "UnknownId");
        yield return Case("DELETE", "/v0/widgets/-3", null, HttpStatusCode.BadRequest, "is not an object ID", "NegativeId");
        yield return Case("GET", "/v0/widgets/0", null, HttpStatusCode.BadRequest, "is not an object ID", "ZeroId");
        yield return Case("GET", "/v0/widgets?colour=red", null, HttpStatusCode.BadRequest, "cannot filter Widget by 'colour'", "UnknownFilter");
        yield return Case("GET", "/v0/widgets?size=abc", null, HttpStatusCode.BadRequest, "query parameter size must be", "BadPageSize");
        yield return Case("GET", "/v0/widgets?page=0", null, HttpStatusCode.BadRequest, "query parameter page must be", "ZeroPage");
        yield return Case("GET", "/v0/widgets?reconciled=maybe", null, HttpStatusCode.BadRequest, "query parameter reconciled must be true or false", "BadBooleanFilter");
    }

    [TestCaseSource(nameof(Cases))]
    public async Task BadRequest_AnswersInTheEnvelope_AndWritesNothing(string method, string path, string? body, HttpStatusCode status, string message)
    {
        var before = await SnapshotAsync();
        var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{id}", existingId.ToString()));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        var response = await ApiResponse.ReadAsync(await cp.Client.SendAsync(request));

        response.StatusCode.Should().Be(status, response.Error);
        response.Code.Should().Be((int)status);
        response.Error.Should().Contain(message);
        response.Envelope["Data"].Should().BeNull();
        response.Envelope["Type"]!.GetValue<string>().Should().Be("Widget");
        (await SnapshotAsync()).Should().Be(before);
    }

    [Test]
    public async Task OversizedBody_IsRefusedWithTheLimit()
    {
        var before = await SnapshotAsync();
        var huge = $"{{\"Name\":\"huge\",\"Color\":\"{new string('x', 5 * 1024 * 1024)}\"}}";
        var response = await ApiResponse.ReadAsync(await cp.Client.PostAsync("/v0/widgets", new StringContent(huge, Encoding.UTF8, "application/json")));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        response.Error.Should().Contain("limit");
        (await SnapshotAsync()).Should().Be(before);
    }

    private Task<string> SnapshotAsync() => cp.WithDbAsync(async db =>
    {
        var widgets = await db.Set<Widget>().AsNoTracking().OrderBy(w => w.ID)
            .Select(w => $"{w.ID}:{w.Name}:{w.Color}:{w.Size}:{w.Generation}:{w.Reconciled}").ToListAsync();
        var outbox = await db.OutboxMessages.AsNoTracking().OrderBy(m => m.Id).Select(m => $"{m.ObjectId}:{m.Sequence}").ToListAsync();
        return string.Join(",", widgets) + "|" + string.Join(",", outbox) + "|" + await db.Events.CountAsync();
    });
}
