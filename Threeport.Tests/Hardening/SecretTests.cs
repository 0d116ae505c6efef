using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Threeport.Modules.Platform.Objects;
using Threeport.Modules.Platform.Persistence;
using Threeport.Modules.Platform.Secrets;

namespace Threeport.Tests.Hardening;

// Issue 7: [Sensitive] fields (KubernetesRuntimeInstance.Kubeconfig) are encrypted at rest, redacted in lists,
// never logged; the key comes from configuration or a 0600 file; a wrong key stops start-up and changes nothing.
[NonParallelizable]
public sealed class SecretTests
{
    [Test]
    public async Task InlineKubeconfig_ThroughAWholeWorkloadFlow_IsNeverLogged_NeverListed_AndNotInTheDatabaseFile()
    {
        var token = $"tp-secret-{Guid.NewGuid():N}";
        var dataDirectory = Support.TestControlPlane.NewDataDirectory();
        long runtimeId;
        await using (var cp = await HardenedControlPlane.StartAsync(dataDirectory, withWidgets: false, devCluster: true))
        {
            var kubeconfig = (await File.ReadAllTextAsync(cp.KubeconfigPath)).Replace("token: threeport-dev", $"token: {token}", StringComparison.Ordinal);
            kubeconfig.Should().Contain(token);
            var definitionId = await CreateAsync(cp, "kubernetes-runtime-definitions", new { Name = "secret-runtime", InfraProvider = "kind" });
            runtimeId = await CreateAsync(cp, "kubernetes-runtime-instances", new { Name = "secret-runtime-0", KubernetesRuntimeDefinitionID = definitionId, Kubeconfig = kubeconfig });
            await EventuallyAsync(cp, "kubernetes-runtime-instances", runtimeId, o => o["Reconciled"]!.GetValue<bool>() && o["ServerVersion"] is not null);

            var workloadDefinition = await CreateAsync(cp, "workload-definitions", new { Name = "secret-flow", YAMLDocument = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: secret-flow\ndata:\n  a: b\n" });
            await EventuallyAsync(cp, "workload-definitions", workloadDefinition, o => o["Reconciled"]!.GetValue<bool>());
            var instance = await CreateAsync(cp, "workload-instances", new { Name = "secret-flow-0", WorkloadDefinitionID = workloadDefinition, KubernetesRuntimeInstanceID = runtimeId });
            await EventuallyAsync(cp, "workload-instances", instance, o => o["Reconciled"]!.GetValue<bool>());
            (await cp.Client.DeleteAsync($"/v0/workload-instances/{instance}")).StatusCode.Should().Be(HttpStatusCode.OK);
            await EventuallyGoneAsync(cp, "workload-instances", instance);

            var list = JsonNode.Parse(await cp.Client.GetStringAsync("/v0/kubernetes-runtime-instances?size=-1"))!["Data"]!.AsArray();
            list.Single(o => o!["ID"]!.GetValue<long>() == runtimeId)!["Kubeconfig"]!.GetValue<string>().Should().Be(SensitiveAttribute.Redacted);
            list.ToJsonString().Should().NotContain(token);
            var one = JsonNode.Parse(await cp.Client.GetStringAsync($"/v0/kubernetes-runtime-instances/{runtimeId}"))!["Data"]![0]!;
            one["Kubeconfig"]!.GetValue<string>().Should().Be(kubeconfig, "GET by ID returns the value, decrypted");
            (await cp.Client.GetAsync($"/v0/kubernetes-runtime-instances?kubeconfig=apiVersion")).StatusCode.Should().Be(HttpStatusCode.BadRequest, "sensitive fields cannot be probed by filter");

            cp.Logs.Lines.Count.Should().BeGreaterThan(100, "Debug logging is captured");
            cp.Logs.Lines.Where(l => l.Contains(token, StringComparison.Ordinal)).Should().BeEmpty();
            await TestContext.Out.WriteLineAsync($"Scanned {cp.Logs.Lines.Count} log lines at Debug level for the token");
        }

        SqliteConnection.ClearAllPools();
        var files = Directory.GetFiles(dataDirectory, "*", SearchOption.AllDirectories);
        files.Should().Contain(f => Path.GetFileName(f) == "threeport.db");
        foreach (var file in files)
        {
            var bytes = await File.ReadAllBytesAsync(file);
            bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(token)).Should().Be(-1, $"{file} must not hold the token");
        }

        var stored = await StoredKubeconfigAsync(dataDirectory, runtimeId);
        stored.Should().StartWith(FieldProtector.Prefix);
    }

    [Test]
    public async Task Start_WithAnotherKey_FailsWithOneClearMessage_AndChangesNothing()
    {
        var dataDirectory = Support.TestControlPlane.NewDataDirectory();
        var keyA = new Dictionary<string, string?>(HardenedControlPlane.NoReconcilers()) { [EncryptionKeySettings.Key] = NewKey() };
        var kubeconfig = "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'http://127.0.0.1:1'}}]\nusers: [{name: u, user: {token: key-a-token}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n";
        long runtimeId;
        await using (var cp = await HardenedControlPlane.StartAsync(dataDirectory, withWidgets: false, settings: keyA))
        {
            var definitionId = await CreateAsync(cp, "kubernetes-runtime-definitions", new { Name = "keyed", InfraProvider = "kind" });
            runtimeId = await CreateAsync(cp, "kubernetes-runtime-instances", new { Name = "keyed-0", KubernetesRuntimeDefinitionID = definitionId, Kubeconfig = kubeconfig });
        }

        SqliteConnection.ClearAllPools();
        var before = await DatabaseSnapshot.TakeAsync(Path.Combine(dataDirectory, "threeport.db"));
        var keyB = new Dictionary<string, string?>(keyA) { [EncryptionKeySettings.Key] = NewKey() };

        var failure = await HardenedControlPlane.StartupFailureAsync(dataDirectory, keyB);

        failure.Should().BeOfType<StartupException>();
        failure.Message.Should().Contain("encryption key does not open").And.Contain(EncryptionKeySettings.Key).And.NotContain("\n");
        (await DatabaseSnapshot.TakeAsync(Path.Combine(dataDirectory, "threeport.db"))).Should().Be(before);
        await using (var cp = await HardenedControlPlane.StartAsync(dataDirectory, withWidgets: false, settings: keyA))
        {
            var one = JsonNode.Parse(await cp.Client.GetStringAsync($"/v0/kubernetes-runtime-instances/{runtimeId}"))!["Data"]![0]!;
            one["Kubeconfig"]!.GetValue<string>().Should().Be(kubeconfig, "the right key still opens it");
        }
    }

    [TestCase("not base64 at all!", "not base64")]
    [TestCase("c2hvcnQ=", "is 5 bytes long")]
    public async Task Start_WithAMalformedKey_FailsWithOneClearMessage(string key, string message)
    {
        var failure = await HardenedControlPlane.StartupFailureAsync(Support.TestControlPlane.NewDataDirectory(), new Dictionary<string, string?> { [EncryptionKeySettings.Key] = key });

        failure.Should().BeOfType<StartupException>();
        failure.Message.Should().Contain(message).And.Contain("base64 of 32 random bytes").And.NotContain(key).And.NotContain("\n");
    }

    [Test]
    public async Task Start_WithoutAKey_MakesA0600KeyFile_LogsThatWithoutTheKey_AndReusesIt()
    {
        var dataDirectory = Support.TestControlPlane.NewDataDirectory();
        long runtimeId;
        const string Kubeconfig = "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'http://127.0.0.1:1'}}]\nusers: [{name: u, user: {token: file-key}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n";
        await using (var cp = await HardenedControlPlane.StartAsync(dataDirectory, withWidgets: false, settings: HardenedControlPlane.NoReconcilers()))
        {
            var path = Path.Combine(dataDirectory, EncryptionKeySettings.FileName);
            var key = (await File.ReadAllTextAsync(path)).Trim();
            Convert.FromBase64String(key).Should().HaveCount(32);
            if (!OperatingSystem.IsWindows())
            {
                File.GetUnixFileMode(path).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            cp.Logs.Lines.Should().Contain(l => l.Contains("Generated an encryption key", StringComparison.Ordinal) && l.Contains(path, StringComparison.Ordinal));
            cp.Logs.Lines.Should().NotContain(l => l.Contains(key, StringComparison.Ordinal));
            var definitionId = await CreateAsync(cp, "kubernetes-runtime-definitions", new { Name = "filekey", InfraProvider = "kind" });
            runtimeId = await CreateAsync(cp, "kubernetes-runtime-instances", new { Name = "filekey-0", KubernetesRuntimeDefinitionID = definitionId, Kubeconfig });
        }

        SqliteConnection.ClearAllPools();
        await using (var cp = await HardenedControlPlane.StartAsync(dataDirectory, withWidgets: false, settings: HardenedControlPlane.NoReconcilers()))
        {
            cp.Logs.Lines.Should().NotContain(l => l.Contains("Generated an encryption key", StringComparison.Ordinal));
            var one = JsonNode.Parse(await cp.Client.GetStringAsync($"/v0/kubernetes-runtime-instances/{runtimeId}"))!["Data"]![0]!;
            one["Kubeconfig"]!.GetValue<string>().Should().Be(Kubeconfig);
        }
    }

    [Test]
    public async Task Write_OfTheRedactedPlaceholder_IsRefused()
    {
        await using var cp = await HardenedControlPlane.StartAsync(withWidgets: false, settings: HardenedControlPlane.NoReconcilers());
        var definitionId = await CreateAsync(cp, "kubernetes-runtime-definitions", new { Name = "placeholder", InfraProvider = "kind" });

        var response = await Support.ApiResponse.ReadAsync(await cp.Client.PostAsJsonAsync("/v0/kubernetes-runtime-instances", new { Name = "placeholder-0", KubernetesRuntimeDefinitionID = definitionId, Kubeconfig = SensitiveAttribute.Redacted }));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        response.Error.Should().Contain("placeholder").And.Contain("send the real value");
    }

    private static string NewKey() => Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    private static async Task<string> StoredKubeconfigAsync(string dataDirectory, long id)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(dataDirectory, "threeport.db")};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT Kubeconfig FROM KubernetesRuntimeInstance WHERE ID = {id}";
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<long> CreateAsync(HardenedControlPlane cp, string route, object body)
    {
        var response = await cp.Client.PostAsJsonAsync($"/v0/{route}", body);
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.Created, text);
        return JsonNode.Parse(text)!["Data"]![0]!["ID"]!.GetValue<long>();
    }

    private static async Task EventuallyAsync(HardenedControlPlane cp, string route, long id, Func<JsonObject, bool> until)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            last = await cp.Client.GetStringAsync($"/v0/{route}/{id}");
            if (JsonNode.Parse(last)!["Data"]![0] is JsonObject obj && until(obj))
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail($"{route}/{id} did not get there; last seen {last}");
    }

    private static async Task EventuallyGoneAsync(HardenedControlPlane cp, string route, long id)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if ((await cp.Client.GetAsync($"/v0/{route}/{id}")).StatusCode == HttpStatusCode.NotFound)
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail($"{route}/{id} is still there");
    }
}
