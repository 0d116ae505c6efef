using System.Diagnostics;
using System.Text;

namespace Threeport.Tests.DevCluster;

// Runs the real kubectl (under `timeout`) against a kubeconfig, with its own HOME and cache dir.
public sealed class Kubectl(string kubeconfig, string workDir)
{
    public const string Path = "/usr/bin/kubectl";

    public static void RequireInstalled()
    {
        if (!File.Exists(Path))
        {
            Assert.Ignore("kubectl is not installed at /usr/bin/kubectl; the kubectl compatibility tests need it");
        }
    }

    public async Task<KubectlResult> RunAsync(params string[] args) => await RunWithInputAsync(null, args);

    public async Task<KubectlResult> RunWithInputAsync(string? stdin, params string[] args)
    {
        using var process = Start(args, stdin is not null);
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }

        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(70));
        await process.WaitForExitAsync(cts.Token);
        return new KubectlResult(process.ExitCode, await stdout, await stderr);
    }

    // For streaming commands (get -w): the caller reads lines and kills the process.
    public Process Start(string[] args, bool redirectInput = false)
    {
        var psi = new ProcessStartInfo("timeout")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        psi.ArgumentList.Add("60");
        psi.ArgumentList.Add(Path);
        psi.ArgumentList.Add("--kubeconfig");
        psi.ArgumentList.Add(kubeconfig);
        psi.ArgumentList.Add("--cache-dir");
        psi.ArgumentList.Add(System.IO.Path.Combine(workDir, "kube-cache"));
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["HOME"] = workDir;
        psi.Environment.Remove("KUBECONFIG");
        return Process.Start(psi) ?? throw new InvalidOperationException("kubectl did not start");
    }
}

public sealed record KubectlResult(int ExitCode, string Stdout, string Stderr)
{
    public KubectlResult ShouldSucceed()
    {
        ExitCode.Should().Be(0, $"kubectl should succeed; stdout: {Stdout}\nstderr: {Stderr}");
        return this;
    }

    public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
}
