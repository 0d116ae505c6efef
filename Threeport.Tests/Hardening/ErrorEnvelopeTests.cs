using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Threeport.Tests.Support;

namespace Threeport.Tests.Hardening;

// Issue 7: answers the framework makes without a handler (unknown route, wrong method, Kestrel's body limit) and
// unexpected exceptions still leave in Threeport's envelope, with no stack trace.
[NonParallelizable]
public sealed class ErrorEnvelopeTests
{
    private HardenedControlPlane cp = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => cp = await HardenedControlPlane.StartAsync(
        settings: HardenedControlPlane.NoReconcilers(),
        map: app => app.MapGet("/test/throws", (HttpContext _) => throw new InvalidOperationException("secret detail at /home/user/internal.cs:42")));

    [OneTimeTearDown]
    public async Task StopAsync() => await cp.DisposeAsync();

    [Test]
    public async Task UnknownRoute_Returns404_InTheEnvelope()
    {
        var response = await ApiResponse.ReadAsync(await cp.Client.GetAsync("/v0/no-such-things"));

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        response.Error.Should().Contain("no route /v0/no-such-things").And.Contain("openapi");
    }

    [Test]
    public async Task WrongMethod_Returns405_InTheEnvelope_WithTheAllowedMethods()
    {
        var response = await ApiResponse.ReadAsync(await cp.Client.PostAsync("/v0/widgets/1", new StringContent("{}", Encoding.UTF8, "application/json")));

        response.StatusCode.Should().Be(HttpStatusCode.MethodNotAllowed);
        response.Error.Should().Contain("POST is not allowed").And.Contain("GET");
        response.Envelope["Type"]!.GetValue<string>().Should().Be("Widget");
    }

    [Test]
    public async Task ChunkedBodyOverTheLimit_IsStoppedByKestrel_AndAnswers400_InTheEnvelope()
    {
        var before = await DatabaseSnapshot.TakeAsync(cp.DatabasePath);
        var body = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes("{\"Name\":\"chunked\",\"Color\":\"" + new string('x', 5 * 1024 * 1024) + "\"}")));
        body.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, "/v0/widgets") { Content = body };
        request.Headers.TransferEncodingChunked = true;

        var response = await ApiResponse.ReadAsync(await cp.Client.SendAsync(request));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        response.Error.Should().Contain("over the limit of 4194304 bytes");
        (await DatabaseSnapshot.TakeAsync(cp.DatabasePath)).Should().Be(before);
    }

    [Test]
    public async Task UnexpectedException_Returns500_WithAnIdAndNoDetails_AndLogsTheDetailsUnderTheId()
    {
        var response = await ApiResponse.ReadAsync(await cp.Client.GetAsync("/test/throws"));

        response.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
        response.Error.Should().MatchRegex("^internal error [0-9a-f]{16}: ").And.NotContain("secret detail").And.NotContain("InvalidOperationException").And.NotContain(" at ");
        var id = response.Error.Split(' ')[2].TrimEnd(':');
        cp.Logs.Lines.Should().Contain(l => l.Contains(id, StringComparison.Ordinal) && l.Contains("secret detail", StringComparison.Ordinal));
    }

    // Kestrel answers a request it cannot parse before any middleware runs, with an empty 400 (no hook exists to
    // shape that answer); what is proven here is that it is a 4xx and the process keeps serving.
    [TestCase("GARBAGE\r\n\r\n")]
    [TestCase("GET /v0/widgets HTTP/1.1\r\nHost: x\r\nBad Header Without Colon\r\n\r\n")]
    [TestCase("GET /v0/wid gets HTTP/1.1\r\nHost: x\r\n\r\n")]
    public async Task MalformedHttp_IsRefusedWith4xx_AndTheServerKeepsServing(string raw)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(cp.Client.BaseAddress!.Host, cp.Client.BaseAddress.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(raw));
        var buffer = new byte[4096];
        var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        var head = Encoding.ASCII.GetString(buffer, 0, read);

        head.Should().MatchRegex(@"^HTTP/1\.1 4\d\d ");
        (await cp.Client.GetAsync("/healthz")).StatusCode.Should().Be(HttpStatusCode.OK);
    }
}
