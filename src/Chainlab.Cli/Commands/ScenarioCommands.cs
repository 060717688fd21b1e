using System.CommandLine;
using Chainlab.Cli.Scenarios;

namespace Chainlab.Cli.Commands;

/// <summary>chainlab scenario run|check: attacks and faults described in a file, with verdicts.</summary>
public static class ScenarioCommands
{
    public static Command Build()
    {
        var cmd = new Command("scenario", "Run attack and fault scenarios on real node processes and check invariants (docs/ATTACKS.md)");
        var file = new Argument<string>("file") { Description = "Scenario file (YAML), e.g. scenarios/partition-heal-poa.yaml" };
        var dir = new Option<string?>("--dir") { Description = "Folder for the run's devnet (default .chainlab/scenarios/NAME; replaced on each run)" };
        var outDir = new Option<string?>("--out") { Description = "Folder for report.md and report.json (default the run's folder)" };
        var postgres = new Option<string?>("--db-postgres") { Description = "PostgreSQL connection string, for scenarios with backend: postgres" };
        var run = new Command("run", "Run a scenario; exit 0 only when every invariant holds") { file, dir, outDir, postgres };
        run.SetAction(async (pr, ct) =>
        {
            var scenario = Scenario.Read(pr.GetValue(file)!);
            var root = Path.GetFullPath(pr.GetValue(dir) ?? Path.Combine(".chainlab", "scenarios", scenario.Name));
            using var shutdown = new Shutdown(ct);
            var report = await new ScenarioRunner(scenario, root, pr.GetValue(postgres), Console.Out).RunAsync(shutdown.Token);
            var output = Path.GetFullPath(pr.GetValue(outDir) ?? root);
            Directory.CreateDirectory(output);
            await File.WriteAllTextAsync(Path.Combine(output, "report.md"), report.ToMarkdown(), CancellationToken.None);
            await File.WriteAllTextAsync(Path.Combine(output, "report.json"), report.ToJson(), CancellationToken.None);
            if (pr.GetValue(Global.Json)) Console.Out.WriteLine(report.ToJson());
            Console.Out.WriteLine($"{(report.Passed ? "PASSED" : "FAILED")}: {report.Verdicts.Count(v => v.Holds)} of {report.Verdicts.Count} invariants hold; report {Path.Combine(output, "report.md")}");
            return report.Passed ? 0 : ExitCodes.Failure;
        });
        cmd.Subcommands.Add(run);

        var check = new Command("check", "Read and check scenario files without running them") { new Argument<string[]>("files") { Arity = ArgumentArity.OneOrMore } };
        check.SetAction(pr =>
        {
            foreach (var f in pr.GetValue<string[]>("files")!)
            {
                var s = Scenario.Read(f);
                Console.Out.WriteLine($"{f}: {s.Name}: {s.Network.Nodes} {s.Network.Consensus} nodes, {s.Faults.Count} faults, {s.Malicious.Count} malicious, checks {string.Join(", ", s.Invariants.Select(i => i.Check))}");
            }
            return 0;
        });
        cmd.Subcommands.Add(check);
        return cmd;
    }
}
