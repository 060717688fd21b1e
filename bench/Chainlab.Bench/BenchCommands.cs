using System.CommandLine;
using System.Diagnostics;
using Chainlab.Cli;
using Chainlab.Cli.Processes;

namespace Chainlab.Bench;

/// <summary>chainlab bench throughput: measured, never asserted.</summary>
public static class BenchCommands
{
    public static Command Build()
    {
        var cmd = new Command("bench", "Benchmarks (results belong in docs/BENCHMARKS.md)");
        var d = new ThroughputOptions();
        var txs = new Option<int>("--txs") { Description = "Transfers per run", DefaultValueFactory = _ => d.Transactions };
        var accounts = new Option<int>("--accounts") { Description = "Sending accounts", DefaultValueFactory = _ => d.Accounts };
        var runs = new Option<int>("--runs") { Description = "Runs (the median is reported)", DefaultValueFactory = _ => d.Runs };
        var batch = new Option<int>("--batch") { Description = "Transactions per API batch", DefaultValueFactory = _ => d.BatchSize };
        var blockTime = new Option<string>("--block-time") { Description = "Block time of the bench chain", DefaultValueFactory = _ => $"{d.BlockTimeMs}ms" };
        var tpg = new Option<string?>("--db-postgres") { Description = "Run the node on PostgreSQL (connection string; a fresh schema per run) instead of SQLite" };
        var benchNodes = new Option<int>("--nodes") { Description = "Node processes linked as a network (a transaction counts once every node has committed it)", DefaultValueFactory = _ => 1 };
        var throughput = new Command("throughput", "Committed transfers per second through the public API of a node process (or a network of them)")
            { txs, accounts, runs, batch, blockTime, tpg, benchNodes };
        throughput.SetAction(async (pr, ct) =>
        {
            var o = new ThroughputOptions
            {
                Transactions = pr.GetValue(txs), Accounts = pr.GetValue(accounts), Runs = pr.GetValue(runs),
                BatchSize = pr.GetValue(batch), BlockTimeMs = Global.ParseDurationMs(pr.GetValue(blockTime)!, "--block-time"),
                Postgres = pr.GetValue(tpg), Nodes = pr.GetValue(benchNodes),
            };
            if (o.Nodes is < 1 or > 16) throw new CliException("--nodes must be 1..16", ExitCodes.BadInput);
            if (o.Transactions < 1 || o.Accounts < 2 || o.Runs < 1 || o.BatchSize is < 1 or > 20_000)
                throw new CliException("need --txs >= 1, --accounts >= 2, --runs >= 1, --batch 1..20000", ExitCodes.BadInput);
            Console.Out.WriteLine($"bench throughput: {o.Transactions} transfers among {o.Accounts} accounts, batches of {o.BatchSize}, block time {o.BlockTimeMs} ms, {o.Runs} runs, {o.Nodes} node(s), {Environment.ProcessorCount} cores");
            var bench = new ThroughputBenchmark(o, SelfLaunch, Console.Out);
            var results = await bench.RunAsync(ct);
            var json = pr.GetValue(Global.Json);
            var median = ThroughputBenchmark.Median(results.Select(r => r.Tps));
            if (json) Global.PrintJson(new { options = o, runs = results, medianTps = median });
            else Console.Out.WriteLine($"median: {median:N0} committed tx/s; median commit time {ThroughputBenchmark.Median(results.Select(r => r.CommitSeconds)):0.00} s; " +
                                       $"node peak RSS {results.Max(r => r.PeakRssMb)} MB, idle {results.Min(r => r.IdleRssMb)} MB");
            return 0;
        });
        cmd.Subcommands.Add(throughput);

        var kills = new Option<int>("--runs") { Description = "How many times to SIGKILL the node", DefaultValueFactory = _ => 50 };
        var pg = new Option<string?>("--db-postgres") { Description = "Run on PostgreSQL (give the connection string; a fresh schema is used) instead of SQLite" };
        var seed = new Option<int>("--seed") { Description = "Random seed for kill moments and load", DefaultValueFactory = _ => 1 };
        var crash = new Command("crash", "Kill a loaded node with SIGKILL again and again; check nothing committed is lost or changed") { kills, pg, seed };
        crash.SetAction(async (pr, ct) =>
        {
            if (pr.GetValue(kills) < 1) throw new CliException("--runs must be at least 1", ExitCodes.BadInput);
            string? conn = null;
            if (pr.GetValue(pg) is { } cs)
                conn = Chainlab.Node.Storage.Postgres.PostgresChainStore.ForSchema(cs, $"chainlab_crash_{DateTime.UtcNow:yyyyMMddHHmmss}");
            var harness = new CrashHarness(new CrashOptions { Kills = pr.GetValue(kills), Postgres = conn, Seed = pr.GetValue(seed) }, SelfLaunch, Console.Out);
            var report = await harness.RunAsync(ct);
            if (pr.GetValue(Global.Json)) Global.PrintJson(report);
            else
            {
                Console.Out.WriteLine($"{(conn is null ? "sqlite" : "postgres")}: {report.Kills} SIGKILLs in {report.Seconds:0} s, final height {report.FinalHeight}, " +
                                      $"{report.ConfirmedTransactions} transactions seen committed, {report.ChecksAfterRestart} checks after restarts");
                foreach (var f in report.Failures) Console.Out.WriteLine("FAIL " + f);
                Console.Out.WriteLine(report.Ok ? "no committed block or transaction was lost or changed" : "FAILED");
            }
            return report.Ok ? 0 : ExitCodes.Failure;
        });
        cmd.Subcommands.Add(crash);

        var blocks = new Option<int>("--blocks") { Description = "Chain length to build before timing start-up", DefaultValueFactory = _ => 100_000 };
        var sruns = new Option<int>("--runs") { Description = "Start-ups to time", DefaultValueFactory = _ => 5 };
        var spg = new Option<string?>("--db-postgres") { Description = "Build and start on PostgreSQL instead of SQLite" };
        var startup = new Command("startup", "Time from process start to a serving API with a long chain in the store") { blocks, sruns, spg };
        startup.SetAction(async (pr, ct) =>
        {
            if (pr.GetValue(blocks) < 1 || pr.GetValue(sruns) < 1) throw new CliException("--blocks and --runs must be at least 1", ExitCodes.BadInput);
            var times = await new StartupBenchmark(pr.GetValue(blocks), pr.GetValue(sruns), pr.GetValue(spg), SelfLaunch, Console.Out).RunAsync(ct);
            Console.Out.WriteLine($"median start-up with {pr.GetValue(blocks)} blocks: {ThroughputBenchmark.Median(times):0.00} s");
            return 0;
        });
        cmd.Subcommands.Add(startup);

        var dblocks = new Option<int>("--blocks") { Description = "Chain length in the node's store", DefaultValueFactory = _ => 10_000 };
        var druns = new Option<int>("--runs") { Description = "Page loads (the median is reported)", DefaultValueFactory = _ => 5 };
        var dashboard = new Command("dashboard", "First paint of the dashboard's overview in Debian's Chromium, on a node holding a long chain") { dblocks, druns };
        dashboard.SetAction(async (pr, ct) =>
        {
            if (pr.GetValue(dblocks) < 1 || pr.GetValue(druns) < 1) throw new CliException("--blocks and --runs must be at least 1", ExitCodes.BadInput);
            var runs = await new DashboardBenchmark(pr.GetValue(dblocks), pr.GetValue(druns), SelfLaunch, Console.Out).RunAsync(ct);
            Console.Out.WriteLine($"median with {pr.GetValue(dblocks)} blocks: first contentful paint {ThroughputBenchmark.Median(runs.Select(r => r.FirstPaintMs)):0} ms, " +
                                  $"head shown by {ThroughputBenchmark.Median(runs.Select(r => r.HeadShownMs)):0} ms");
            return 0;
        });
        cmd.Subcommands.Add(dashboard);

        var pnodes = new Option<int>("--nodes") { Description = "Node processes", DefaultValueFactory = _ => 16 };
        var pblocks = new Option<int>("--blocks") { Description = "Blocks to time", DefaultValueFactory = _ => 50 };
        var pblockTime = new Option<string>("--block-time") { Description = "Block time", DefaultValueFactory = _ => "500ms" };
        var propagation = new Command("propagation", "Time for a block to reach every node (p50, p99) in a local network of node processes") { pnodes, pblocks, pblockTime };
        propagation.SetAction(async (pr, ct) =>
        {
            if (pr.GetValue(pnodes) is < 2 or > 64 || pr.GetValue(pblocks) < 1) throw new CliException("--nodes 2..64 and --blocks >= 1", ExitCodes.BadInput);
            var delays = await new NetworkBenchmarks(SelfLaunch, Console.Out).PropagationAsync(pr.GetValue(pnodes), pr.GetValue(pblocks),
                Global.ParseDurationMs(pr.GetValue(pblockTime)!, "--block-time"), ct);
            Console.Out.WriteLine($"propagation to {pr.GetValue(pnodes) - 1} other nodes over {pr.GetValue(pblocks)} blocks: p50 {NetworkBenchmarks.Percentile(delays, 50):0.0} ms, " +
                                  $"p99 {NetworkBenchmarks.Percentile(delays, 99):0.0} ms, max {delays.Max():0.0} ms");
            return 0;
        });
        cmd.Subcommands.Add(propagation);

        var sblocks = new Option<int>("--blocks") { Description = "Chain length", DefaultValueFactory = _ => 5000 };
        var stxs = new Option<int>("--txs-per-block") { Description = "Transfers in each block (0 = empty blocks)", DefaultValueFactory = _ => 0 };
        var sync = new Command("sync", "Time for a fresh node process to sync a chain from a peer") { sblocks, stxs };
        sync.SetAction(async (pr, ct) =>
        {
            if (pr.GetValue(sblocks) < 1 || pr.GetValue(stxs) is < 0 or > 50_000) throw new CliException("--blocks >= 1, --txs-per-block 0..50000", ExitCodes.BadInput);
            var (seconds, syncOnly, afterUp, n, txs) = await new NetworkBenchmarks(SelfLaunch, Console.Out).SyncAsync(pr.GetValue(sblocks), pr.GetValue(stxs), ct);
            Console.Out.WriteLine($"synced {n} blocks, {txs} transactions in {seconds:0.00} s from process start: {n / seconds:N0} blocks/s, {txs / seconds:N0} tx/s; " +
                                  $"after its API was up: {afterUp} blocks in {syncOnly:0.00} s = {afterUp / syncOnly:N0} blocks/s, {txs * ((double)afterUp / n) / syncOnly:N0} tx/s");
            return 0;
        });
        cmd.Subcommands.Add(sync);

        var cblocks = new Option<int>("--blocks") { Description = "Blocks per engine for the import cost", DefaultValueFactory = _ => 2000 };
        var cseconds = new Option<int>("--seconds") { Description = "Seconds of hashing per proof-of-work figure", DefaultValueFactory = _ => 3 };
        var consensusBench = new Command("consensus", "Proof-of-work hashes per second, VRF prove/verify per second, block import cost per engine") { cblocks, cseconds };
        consensusBench.SetAction(async (pr, ct) =>
        {
            if (pr.GetValue(cblocks) is < 10 or > 1_000_000 || pr.GetValue(cseconds) is < 1 or > 600) throw new CliException("--blocks 10..1000000, --seconds 1..600", ExitCodes.BadInput);
            var duration = TimeSpan.FromSeconds(pr.GetValue(cseconds));
            var one = ConsensusBenchmark.PowHashesPerSecond(1, duration);
            var all = ConsensusBenchmark.PowHashesPerSecond(Environment.ProcessorCount, duration);
            Console.Out.WriteLine($"pow: {one:N0} double-SHA-256/s on 1 thread, {all:N0}/s on {Environment.ProcessorCount} threads");
            var (prove, verify) = ConsensusBenchmark.VrfPerSecond(2000);
            Console.Out.WriteLine($"vrf: {prove:N0} proofs/s, {verify:N0} verifications/s (one thread)");
            var b = new ConsensusBenchmark(Console.Out);
            foreach (var engine in new[] { "poa", "pos", "pow" }) await b.ImportMicrosPerBlock(engine, pr.GetValue(cblocks), ct);
            return 0;
        });
        cmd.Subcommands.Add(consensusBench);

        var fnodes = new Option<int>("--nodes") { Description = "Voters (validators or authorities), one node each", DefaultValueFactory = _ => 4 };
        var fengine = new Option<string>("--consensus") { Description = "pos or poa", DefaultValueFactory = _ => "pos" };
        var fblockTime = new Option<string>("--block-time") { Description = "Block time of the devnet", DefaultValueFactory = _ => "500ms" };
        var fcheckpoints = new Option<int>("--checkpoints") { Description = "Checkpoints to time", DefaultValueFactory = _ => 8 };
        var finality = new Command("finality", "Time from a checkpoint block to its finality on a devnet of node processes, vote verification per second (one by one and in a batch), votes' cost in block bytes") { fnodes, fengine, fblockTime, fcheckpoints };
        finality.SetAction(async (pr, ct) =>
        {
            if (pr.GetValue(fnodes) is < 1 or > 16 || pr.GetValue(fcheckpoints) is < 1 or > 100 || pr.GetValue(fengine) is not ("pos" or "poa"))
                throw new CliException("--nodes 1..16, --checkpoints 1..100, --consensus pos or poa", ExitCodes.BadInput);
            var (seq, batch) = FinalityBenchmark.VerifyPerSecond(4000);
            Console.Out.WriteLine($"vote verification: {seq:N0}/s one by one on one thread, {batch:N0}/s as a batch on {Environment.ProcessorCount} cores");
            var (vote, one) = FinalityBenchmark.Sizes(1);
            var (_, four) = FinalityBenchmark.Sizes(4);
            var (_, full) = FinalityBenchmark.Sizes(256);
            Console.Out.WriteLine($"sizes: a vote {vote} bytes; a vote transaction with 1 vote {one} bytes, with 4 votes {four} bytes, with 256 votes {full} bytes");
            var rows = await FinalityBenchmark.TimeToFinalityAsync(pr.GetValue(fengine)!, pr.GetValue(fnodes), Global.ParseDurationMs(pr.GetValue(fblockTime)!, "--block-time"),
                pr.GetValue(fcheckpoints), Console.Out, ct);
            foreach (var (c, seconds, past) in rows) Console.Out.WriteLine($"checkpoint {c}: final {seconds:0.00} s after its block, {past} blocks past it");
            if (rows.Count == 0) { Console.Out.WriteLine("no checkpoint became final in time"); return ExitCodes.Failure; }
            var secs = rows.Select(r => r.Seconds).Order().ToList();
            var blocks = rows.Select(r => (double)r.BlocksPast).Order().ToList();
            Console.Out.WriteLine($"time to finality over {rows.Count} checkpoints: median {secs[secs.Count / 2]:0.00} s, max {secs[^1]:0.00} s; median {blocks[blocks.Count / 2]:0} blocks past the checkpoint");
            return 0;
        });
        cmd.Subcommands.Add(finality);

        var iterations = new Option<int>("--iterations") { Description = "Loop iterations of the instruction benchmark", DefaultValueFactory = _ => 3_000_000 };
        var transfers = new Option<int>("--transfers") { Description = "Token transfers per run", DefaultValueFactory = _ => 10_000 };
        var cruns = new Option<int>("--runs") { Description = "Runs (medians are reported)", DefaultValueFactory = _ => 3 };
        var worstCase = new Option<bool>("--worst-case") { Description = "Instead: the wall time per gas of every known worst case next to an arithmetic loop (docs/contracts.md)" };
        var worstGas = new Option<string?>("--gas") { Description = "Gas limit of each worst-case run (default 20000000)" };
        var contracts = new Command("contracts", "Metered VM instructions per second, the empty call frame, token transfers committed per second, memory per contract state") { iterations, transfers, cruns, worstCase, worstGas };
        contracts.SetAction(async (pr, ct) =>
        {
            if (pr.GetValue(iterations) is < 1000 or > 100_000_000 || pr.GetValue(transfers) is < 10 or > 200_000 || pr.GetValue(cruns) is < 1 or > 50)
                throw new CliException("--iterations 1000..100000000, --transfers 10..200000, --runs 1..50", ExitCodes.BadInput);
            if (pr.GetValue(worstCase))
            {
                var wg = pr.GetValue(worstGas) is { } g ? Global.ParseAmount(g, "--gas") : 20_000_000UL;
                if (wg is < 100_000 or > 1_000_000_000) throw new CliException("--gas 100000..1000000000", ExitCodes.BadInput);
                WorstCaseBenchmark.Run(wg, pr.GetValue(cruns), Console.Out);
                return 0;
            }
            var b = new ContractBenchmark(Console.Out);
            var metered = new List<double>();
            for (var i = 0; i < pr.GetValue(cruns); i++)
            {
                var (m, n, ns) = b.Instructions(pr.GetValue(iterations));
                metered.Add(m);
                Console.Out.WriteLine($"run {i + 1}: {n:N0} instructions; {m / 1e6:N1} M metered instructions/s, {ns:N1} ns per gas");
            }
            Console.Out.WriteLine($"median: {ThroughputBenchmark.Median(metered) / 1e6:N1} M metered instructions/s");
            Console.Out.WriteLine($"frame: {b.FrameMicros(20000):N1} µs for a call that does nothing (fresh globals, the contract's chunk, the call)");
            var tps = new List<double>();
            var source = await File.ReadAllTextAsync(FindExample("token.lua"), ct);
            for (var i = 0; i < pr.GetValue(cruns); i++) tps.Add((await b.TokenTransfers(source, pr.GetValue(transfers), ct)).Tps);
            Console.Out.WriteLine($"median: {ThroughputBenchmark.Median(tps):N0} token transfers committed per second ({Environment.ProcessorCount} cores)");
            return 0;
        });
        cmd.Subcommands.Add(contracts);

        var fileMiB = new Option<int>("--mib") { Description = "File size in MiB", DefaultValueFactory = _ => 256 };
        var fruns = new Option<int>("--runs") { Description = "Runs (medians are reported)", DefaultValueFactory = _ => 3 };
        var files = new Command("files", "Adding a file (importer alone, into SQLite, through a node's API), reading it back, fetching it from one and from three other nodes, and DHT lookups with 16 and 32 nodes") { fileMiB, fruns };
        files.SetAction(async (pr, ct) =>
        {
            if (pr.GetValue(fileMiB) is < 1 or > 4096 || pr.GetValue(fruns) is < 1 or > 50) throw new CliException("--mib 1..4096, --runs 1..50", ExitCodes.BadInput);
            await new FileBenchmark(SelfLaunch, Console.Out).RunAsync((long)pr.GetValue(fileMiB) << 20, pr.GetValue(fruns), ct);
            var net = new FileNetworkBenchmark(SelfLaunch, Console.Out);
            foreach (var providers in new[] { 1, 3 })
            {
                var fetches = new List<double>();
                for (var i = 0; i < pr.GetValue(fruns); i++)
                {
                    var (mbps, served) = await net.Fetch((long)pr.GetValue(fileMiB) << 20, providers, ct);
                    fetches.Add(mbps);
                    Console.Out.WriteLine($"fetch from {providers} run {i + 1}: {mbps:N0} MB/s; blocks sent by each provider: {string.Join(" / ", served)}");
                }
                Console.Out.WriteLine($"median: a node process fetches the file from {providers} other{(providers > 1 ? "s" : "")} over loopback at {ThroughputBenchmark.Median(fetches):N0} MB/s (DHT lookup included)");
            }
            foreach (var n in new[] { 16, 32 })
            {
                var (ph, pms, nh, nms, max) = await net.Lookups(n, ct);
                Console.Out.WriteLine($"DHT with {n} nodes: finding a provider takes {ph:0.#} rounds ({pms:N1} ms), the closest nodes to a random key {nh:0.#} rounds ({nms:N1} ms), medians over {n - 1} nodes; most rounds {max}");
            }
            return 0;
        });
        cmd.Subcommands.Add(files);
        return cmd;
    }

    private static string FindExample(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "examples", "contracts", name))) return Path.Combine(dir.FullName, "examples", "contracts", name);
        throw new CliException($"examples/contracts/{name} was not found above {AppContext.BaseDirectory}", ExitCodes.NotFound);
    }

    /// <summary>Starts the chainlab binary built beside this one with these arguments.</summary>
    public static ProcessStartInfo SelfLaunch(IReadOnlyList<string> args) => ChainlabProcess.Beside(AppContext.BaseDirectory, args);
}
