using System.Text;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Threeport.Modules.Platform.Kubernetes;

namespace Threeport.Tests.KubernetesRuntimes;

// ClusterApi reads a watch stream's lines from its bytes: an event may arrive in pieces, span buffers, end in \r\n
// or, as the stream's last line, in nothing at all; blank lines are not events.
public sealed class ClusterApiWatchTests
{
    private static string Event(string type, string name, string data = "x") =>
        $"{{\"type\":\"{type}\",\"object\":{{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{{\"name\":\"{name}\"}},\"data\":{{\"d\":\"{data}\"}}}}}}";

    [Test]
    [CancelAfter(30_000)]
    public async Task AWatchStreamInAwkwardPieces_YieldsEveryEvent_Whole_AndInOrder(CancellationToken ct)
    {
        var large = new string('y', 20_000);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        await using var app = builder.Build();
        app.MapGet("/api/v1/configmaps", async (HttpContext http) =>
        {
            async Task WriteAsync(string text)
            {
                await http.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(text));
                await http.Response.Body.FlushAsync();
                await Task.Delay(20);
            }

            var first = Event("ADDED", "split");
            await WriteAsync(first[..25]);
            await WriteAsync(first[25..] + "\n\n");
            await WriteAsync(Event("MODIFIED", "crlf") + "\r\n \r\n" + Event("ADDED", "large", large) + "\n");
            await WriteAsync(Event("DELETED", "last"));
        });
        await app.StartAsync(ct);
        var url = app.Urls.Single();
        var api = new ClusterApi(new Kubernetes(new KubernetesClientConfiguration { Host = url }));

        var events = new List<(string Type, string Name, string Data)>();
        await foreach (var (type, obj) in api.WatchAsync(new ResourceType("", "v1", "ConfigMap", "configmaps", true), null, null, ct))
        {
            events.Add((type, obj["metadata"]!["name"]!.GetValue<string>(), obj["data"]!["d"]!.GetValue<string>()));
        }

        events.Select(e => (e.Type, e.Name)).Should().Equal(("ADDED", "split"), ("MODIFIED", "crlf"), ("ADDED", "large"), ("DELETED", "last"));
        events[2].Data.Should().Be(large);
    }
}
