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
            Console.Out.WriteLine($"{(report.Passed ? "PASSED" : "FAILED")}: {Summary(report)}; report {Path.Combine(output, "report.md")}");
            return report.Passed ? 0 : ExitCodes.Failure;
        });
        cmd.Subcommands.Add(run);

        var target = new Argument<string>("target") { Description = "A scenario file, or a folder whose *.yaml files are run in name order" };
        var runs = new Option<int>("--runs") { Description = "Runs of each scenario", DefaultValueFactory = _ => 5 };
        var soakOut = new Option<string?>("--out") { Description = "Folder for each run's report and soak.md (default .chainlab/soak)" };
        var soak = new Command("soak", "Run each scenario several times and print the verdicts side by side with their pass rate; exit 0 only when every run passed")
            { target, runs, soakOut, postgres };
        soak.SetAction(async (pr, ct) =>
        {
            var path = pr.GetValue(target)!;
            var files = Directory.Exists(path) ? Directory.GetFiles(path, "*.yaml").Order(StringComparer.Ordinal).ToList()
                : File.Exists(path) ? [path] : throw new CliException($"{path}: no such scenario file or folder", ExitCodes.BadInput);
            if (files.Count == 0) throw new CliException($"{path} holds no *.yaml scenario files", ExitCodes.BadInput);
            var n = pr.GetValue(runs);
            if (n is < 1 or > 1000) throw new CliException($"--runs {n}: from 1 to 1000", ExitCodes.BadInput);
            var scenarios = files.Select(Scenario.Read).ToList(); // every file read and checked before the first run
            var output = Path.GetFullPath(pr.GetValue(soakOut) ?? Path.Combine(".chainlab", "soak"));
            using var shutdown = new Shutdown(ct);
            var results = new List<(Scenario Scenario, List<ScenarioReport> Reports)>();
            var folders = new HashSet<string>();
            try
            {
                foreach (var scenario in scenarios)
                {
                    var reports = new List<ScenarioReport>();
                    results.Add((scenario, reports));
                    // Two files may give one name: each keeps a folder of its own.
                    var folder = Path.Combine(output, scenario.Name);
                    for (var k = 2; !folders.Add(folder); k++) folder = Path.Combine(output, $"{scenario.Name}-{k}");
                    for (var i = 1; i <= n; i++)
                    {
                        var started = DateTimeOffset.UtcNow;
                        ScenarioReport report;
                        try { report = await new ScenarioRunner(scenario, Path.Combine(folder, "devnet"), pr.GetValue(postgres), TextWriter.Null).RunAsync(shutdown.Token); }
                        catch (Exception e) when (e is not OperationCanceledException)
                        {
                            // A run that could not finish is a failed run; the soak goes on with the next.
                            report = new ScenarioReport(scenario, started, DateTimeOffset.UtcNow - started, [new Verdict("run", false, $"the run stopped: {e.Message}")], [], new Dictionary<string, object>());
                        }
                        reports.Add(report);
                        Directory.CreateDirectory(folder);
                        await File.WriteAllTextAsync(Path.Combine(folder, $"run-{i}.md"), report.ToMarkdown(), CancellationToken.None);
                        await File.WriteAllTextAsync(Path.Combine(folder, $"run-{i}.json"), report.ToJson(), CancellationToken.None);
                        Console.Out.WriteLine($"{scenario.Name} run {i}/{n}: {(report.Passed ? "PASSED" : "FAILED")} in {report.Took.TotalSeconds:0} s: " +
                            string.Join(", ", report.Verdicts.Select(v => $"{v.Check} {v.Outcome}")));
                    }
                }
            }
            catch (OperationCanceledException) { Console.Out.WriteLine("stopped: the table below has the runs that finished"); }
            var table = SoakTable(results.Where(r => r.Reports.Count > 0).ToList(), n);
            Directory.CreateDirectory(output);
            await File.WriteAllTextAsync(Path.Combine(output, "soak.md"), table, CancellationToken.None);
            Console.Out.WriteLine();
            Console.Out.Write(table);
            var all = results.Sum(r => r.Reports.Count);
            var passed = results.Sum(r => r.Reports.Count(x => x.Passed));
            Console.Out.WriteLine($"{(passed == all ? "PASSED" : "FAILED")}: {passed} of {all} runs passed; {Path.Combine(output, "soak.md")}");
            return passed == all && !shutdown.Token.IsCancellationRequested ? 0 : ExitCodes.Failure;
        });
        cmd.Subcommands.Add(soak);

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

    /// <summary>"4 of 5 invariants hold, 1 not exercised".</summary>
    private static string Summary(ScenarioReport r)
    {
        var idle = r.Verdicts.Count(v => !v.Exercised);
        return $"{r.Verdicts.Count(v => v.Exercised && v.Holds)} of {r.Verdicts.Count} invariants hold" + (idle > 0 ? $", {idle} not exercised" : "");
    }

    /// <summary>Each scenario's pass rate and each invariant's outcomes over the runs, as a Markdown table.</summary>
    internal static string SoakTable(IReadOnlyList<(Scenario Scenario, List<ScenarioReport> Reports)> results, int runs)
    {
        var md = new System.Text.StringBuilder();
        md.AppendLine($"| Scenario | Passed | {string.Join(" | ", Enumerable.Range(1, runs).Select(i => $"run {i}"))} | Invariants over the runs |");
        md.AppendLine($"|---|---|{string.Concat(Enumerable.Repeat("---|", runs))}---|");
        foreach (var (scenario, reports) in results)
        {
            var checks = reports.SelectMany(r => r.Verdicts).GroupBy(v => v.Check).Select(g =>
                $"{g.Key}: " + string.Join(", ", g.GroupBy(v => v.Outcome).OrderBy(o => o.Key).Select(o => $"{o.Count()} {o.Key}")));
            md.AppendLine($"| {scenario.Name} | {reports.Count(r => r.Passed)} of {reports.Count} | " +
                string.Join(" | ", reports.Select(r => r.Passed ? "passed" : "**failed**").Concat(Enumerable.Repeat("–", runs - reports.Count))) + $" | {string.Join("; ", checks)} |");
        }
        return md.ToString();
    }
}
