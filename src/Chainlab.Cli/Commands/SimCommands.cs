using System.CommandLine;
using Chainlab.Sim;
using Chainlab.Sim.Network;

namespace Chainlab.Cli.Commands;

/// <summary>chainlab sim run: many node cores of the real node code in virtual time over a modelled Internet (docs/SIMULATION.md).</summary>
public static class SimCommands
{
    /// <summary>
    /// The collector's budget for its youngest generation, which the runtime reads only from the environment at start.
    /// A run allocates small short-lived objects on one busy thread over a heap of thousands of nodes; each young
    /// collection scans the older objects that changed, so fewer, larger ones cost much less (decision 0010).
    /// </summary>
    public const string Gen0Budget = "DOTNET_GCgen0size";
    public const string Gen0BudgetValue = "0x8000000"; // 128 MiB

    /// <summary>
    /// Runs this same command line in a child process with <see cref="Gen0Budget"/> set, sharing this terminal,
    /// and returns its exit code; a SIGTERM or SIGINT sent to this process alone is passed on to the child.
    /// </summary>
    private static int RunInChild()
    {
        var psi = Processes.ChainlabProcess.Self(Environment.GetCommandLineArgs()[1..]);
        psi.Environment[Gen0Budget] = Gen0BudgetValue;
        // The handlers are in place before the child starts, so no signal falls between; one that comes before the
        // child has a process id is passed on as soon as it has one.
        var pid = 0;
        var pending = 0;
        void Pass(System.Runtime.InteropServices.PosixSignalContext c, int signal)
        {
            c.Cancel = true; // this process waits for the child, which stops on the signal
            if (Volatile.Read(ref pid) is > 0 and var p) Processes.Signals.Send(p, signal);
            else Volatile.Write(ref pending, signal);
        }
        using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => Pass(c, Processes.Signals.Term));
        using var interrupt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c => Pass(c, Processes.Signals.Int));
        using var child = System.Diagnostics.Process.Start(psi) ?? throw new CliException("could not start the simulation's process");
        Volatile.Write(ref pid, child.Id);
        if (Interlocked.Exchange(ref pending, 0) is > 0 and var early) Processes.Signals.Send(child.Id, early);
        child.WaitForExit();
        return child.ExitCode;
    }

    public static Command Build()
    {
        var file = new Argument<string>("file") { Description = "Scenario file (YAML; examples in scenarios/sim/)" };
        var seed = new Option<int?>("--seed") { Description = "Seed instead of the file's (same seed and file: the same report)" };
        var nodes = new Option<int?>("--nodes") { Description = "Node count instead of the file's" };
        var outDir = new Option<string?>("--out") { Description = "Folder for report.md, report.json and the figures (PNG and SVG; default: .chainlab/sim/NAME)" };
        var run = new Command("run", "Run a scenario and write its report (Markdown and JSON)") { file, seed, nodes, outDir };
        run.SetAction((pr, ct) =>
        {
            var path = pr.GetValue(file)!;
            if (!File.Exists(path)) throw new CliException($"{path}: no such scenario file", ExitCodes.BadInput);
            SimScenario s;
            try
            {
                s = SimScenario.Parse(File.ReadAllText(path));
                if (pr.GetValue(seed) is { } sd) s = s with { Seed = sd };
                if (pr.GetValue(nodes) is { } n) s = (s with { Nodes = n }).Checked();
            }
            catch (FormatException e) { throw new CliException($"{path}: {e.Message}", ExitCodes.BadInput); }
            if (Environment.GetEnvironmentVariable(Gen0Budget) is null) return Task.FromResult(RunInChild());
            var dir = pr.GetValue(outDir) ?? Path.Combine(".chainlab", "sim", s.Name);
            // A run is one busy thread allocating many small objects; blocking collections keep its peak memory
            // lower than background ones (docs/BENCHMARKS.md, "The simulator"). This process does nothing else.
            System.Runtime.GCSettings.LatencyMode = System.Runtime.GCLatencyMode.Batch;
            var quiet = pr.GetValue(Global.Json) || Console.IsErrorRedirected;
            Action<SimProgress>? progress = quiet ? null : p => Console.Error.Write(
                $"\r  simulated {p.Simulated:hh\\:mm\\:ss} of {p.Total:hh\\:mm\\:ss} · wall {p.Wall.TotalSeconds:0.0} s · {p.WorkItems / Math.Max(p.Wall.TotalSeconds, 1e-9):N0} work items/s · height {p.Height}   ");
            Directory.CreateDirectory(dir);
            if (s.Sweep is not { } sweep)
            {
                var report = Simulation.Run(s, progress, ct);
                if (!quiet) Console.Error.WriteLine();
                File.WriteAllText(Path.Combine(dir, "report.json"), report.ResultsJson());
                File.WriteAllText(Path.Combine(dir, "report.md"), report.Markdown());
                var plots = SimPlots.Write(dir, null, [("", report.Results)]);
                if (pr.GetValue(Global.Json)) Console.Out.WriteLine(report.ResultsJson());
                else
                {
                    Console.Out.Write(report.Markdown());
                    Console.Out.WriteLine($"wrote {Path.Combine(dir, "report.md")}, report.json, {string.Join(", ", plots)}");
                }
                return Task.FromResult(0);
            }
            var runs = new List<(string Value, SimReport Report)>();
            foreach (var value in sweep.Values)
            {
                if (!quiet) Console.Error.WriteLine($"{sweep.Parameter} = {value}");
                runs.Add((value, Simulation.Run((s with { Sweep = null }).With(sweep.Parameter, value), progress, ct)));
                if (!quiet) Console.Error.WriteLine();
            }
            var table = SimReport.SweepTable(sweep.Parameter, runs);
            var json = System.Text.Json.JsonSerializer.Serialize(new { sweep.Parameter, Runs = runs.Select(r => new { r.Value, r.Report.Results }) }, SimReport.Json);
            File.WriteAllText(Path.Combine(dir, "report.json"), json);
            File.WriteAllText(Path.Combine(dir, "report.md"), table + "\n" + string.Join("\n", runs.Select(r => $"## {sweep.Parameter} = {r.Value}\n\n{r.Report.Markdown()}")));
            var figures = SimPlots.Write(dir, sweep.Parameter, runs.Select(r => (r.Value, r.Report.Results)).ToList());
            if (pr.GetValue(Global.Json)) Console.Out.WriteLine(json);
            else
            {
                Console.Out.Write(table);
                Console.Out.WriteLine($"wrote {Path.Combine(dir, "report.md")}, report.json, {string.Join(", ", figures)}");
            }
            return Task.FromResult(0);
        });
        var cmd = new Command("sim", $"Simulate many nodes of the real node code in virtual time over a modelled Internet (presets: {string.Join(", ", InternetModel.Presets.Keys)}, uniform)") { run };
        return cmd;
    }
}
