using System.CommandLine;
using System.Diagnostics;

namespace Chainlab.Cli.Commands;

/// <summary>
/// chainlab bench ...: runs the benchmark program (bench/Chainlab.Bench, built in the same configuration as
/// this binary) from the source checkout this binary was built in. The benchmarks are a program of their
/// own so that nothing in src/ depends on bench/.
/// </summary>
public static class BenchCommands
{
    public static Command Build()
    {
        var cmd = new Command("bench", "Benchmarks (throughput, sync, propagation, startup, crash, consensus); results belong in docs/BENCHMARKS.md")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        cmd.SetAction(async (pr, ct) =>
        {
            var project = FindBenchProject() ?? throw new CliException(
                "chainlab bench runs from a source checkout: bench/Chainlab.Bench was not found above " + AppContext.BaseDirectory, ExitCodes.NotFound);
            var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false };
            foreach (var a in new[] { "run", "-c", Configuration, "--project", project, "--" }) psi.ArgumentList.Add(a);
            if (pr.GetValue(Global.Json)) psi.ArgumentList.Add("--json");
            foreach (var a in pr.UnmatchedTokens) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi) ?? throw new CliException("could not start dotnet");
            await p.WaitForExitAsync(ct);
            return p.ExitCode;
        });
        return cmd;
    }

    /// <summary>Release when this binary is a Release build (bin/Release/...), else Debug.</summary>
    private static string Configuration =>
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";

    private static string? FindBenchProject()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "bench", "Chainlab.Bench", "Chainlab.Bench.csproj");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
