using System.CommandLine;
using Chainlab.Bench;
using Chainlab.Cli;

// chainlab-bench: what `chainlab bench ...` runs.
var root = new RootCommand("chainlab-bench: measured, never asserted (results belong in docs/BENCHMARKS.md)");
root.Options.Add(Global.Json);
foreach (var c in BenchCommands.Build().Subcommands) root.Subcommands.Add(c);
return await Invocation.RunAsync(root, args);
