using System.Diagnostics;

namespace Chainlab.TestSupport;

/// <summary>Runs the real `chainlab` binary and captures its exit code and output.</summary>
public static class CliRunner
{
    public static async Task<(int Code, string Stdout, string Stderr)> RunAsync(IDictionary<string, string>? env, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true };
        psi.ArgumentList.Add(NodeProcess.ChainlabDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("CHAINLAB_PASSWORD");
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = System.Diagnostics.Process.Start(psi)!;
        p.StandardInput.Close();
        var err = p.StandardError.ReadToEndAsync();
        var output = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, output, await err);
    }
}
