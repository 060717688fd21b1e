using System.Diagnostics;

namespace Chainlab.Cli.Processes;

/// <summary>How to start a `chainlab` process.</summary>
public static class ChainlabProcess
{
    /// <summary>This same chainlab binary with other arguments (the devnet starts its nodes this way).</summary>
    public static ProcessStartInfo Self(IReadOnlyList<string> args)
    {
        var psi = new ProcessStartInfo { UseShellExecute = false };
        var host = Environment.ProcessPath!;
        psi.FileName = host;
        // Run by `dotnet chainlab.dll`, or from another program that links this library (the bench): dotnet with
        // this assembly. Only the chainlab apphost itself (the dotnet tool) is started as it is.
        if (Path.GetFileNameWithoutExtension(host) != "chainlab")
        {
            psi.FileName = Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet";
            psi.ArgumentList.Add(typeof(ChainlabProcess).Assembly.Location);
        }
        foreach (var a in args) psi.ArgumentList.Add(a);
        return psi;
    }

    /// <summary>The chainlab.dll in a folder (a test's or the bench's output, where the build copies it) with these arguments.</summary>
    public static ProcessStartInfo Beside(string folder, IReadOnlyList<string> args)
    {
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(folder, "chainlab.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        return psi;
    }
}
