using System.Diagnostics;

namespace Chainlab.TestSupport;

/// <summary>Runs a script with the machine's Node.js (the JavaScript clients the docs and the dashboard ship).</summary>
public static class NodeJs
{
    public static async Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("node", args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var errors = p.StandardError.ReadToEndAsync();
        var output = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, output + await errors);
    }
}
