using Chainlab.Sim;
using Chainlab.Sim.Network;

namespace Chainlab.Node.Tests.Sim;

/// <summary>The simulator: its model of links, and runs of real node cores in virtual time.</summary>
public sealed class SimulatorTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_000_000);

    [Fact]
    public void A_message_of_s_bytes_over_bandwidth_b_arrives_after_s_over_b_plus_the_latency_and_the_next_one_queues_behind_it()
    {
        var model = InternetModel.Uniform(TimeSpan.FromMilliseconds(100), 8_000_000); // 1 MB/s
        var link = new LinkQueue(model, 0, 0, new Random(1));
        Assert.Equal(T0 + TimeSpan.FromMilliseconds(100 + 500), link.Send(T0, 500_000)); // 0.5 s on the wire, then 100 ms
        // Sent at the same instant: it waits until the first has left, then takes its own time.
        Assert.Equal(T0 + TimeSpan.FromMilliseconds(100 + 500 + 250), link.Send(T0, 250_000));
        // Sent after the link went idle: no queue.
        Assert.Equal(T0 + TimeSpan.FromSeconds(10) + TimeSpan.FromMilliseconds(101), link.Send(T0 + TimeSpan.FromSeconds(10), 1_000));
    }

    [Fact]
    public void A_node_checks_what_it_receives_one_message_at_a_time_at_the_cost_per_kilobyte_before_it_reads_it()
    {
        var cpu = new MemoryNetwork.Processor(0.25);
        Assert.Equal(T0 + TimeSpan.FromMilliseconds(125), cpu.Take(T0, 500_000)); // 500 kB at 0.25 ms per kB
        // Arrived while the first is being checked: waits for it, then takes its own 0.25 ms.
        Assert.Equal(T0 + TimeSpan.FromMilliseconds(125.25), cpu.Take(T0 + TimeSpan.FromMilliseconds(50), 1_000));
        // Arrived when the node was idle: only its own cost.
        Assert.Equal(T0 + TimeSpan.FromMilliseconds(1_000.25), cpu.Take(T0 + TimeSpan.FromSeconds(1), 1_000));

        // In a run: every hop of a block adds its checking time, so blocks reach every node later.
        var s = new SimScenario { Name = "check", Seed = 3, Nodes = 10, Internet = "uniform", LatencyMs = 20, Producers = 2, BlockTime = "2s", Duration = "40s", Outbound = 3, Inbound = 12, TransactionsPerSecond = 40 };
        var free = Simulation.Run(s.Checked()).Results;
        var costly = Simulation.Run((s with { ValidationMsPerKb = 5 }).Checked()).Results;
        // A block of 80 transfers is about 20 kB: 100 ms of checking at each hop.
        Assert.True(free.MeanBlockBytes > 10_000, $"blocks of {free.MeanBlockBytes} bytes");
        Assert.True(costly.To100!.P50 > free.To100!.P50 + 100, $"to every node: {costly.To100.P50} ms with checking, {free.To100.P50} ms without");
        Assert.Contains("validationMsPerKb", Assert.Throws<FormatException>(() => SimScenario.Parse("validationMsPerKb: -1")).Message);
    }

    [Fact]
    public void The_slower_end_sets_the_bandwidth_and_the_regions_latency_applies()
    {
        var m = InternetModel.Bitcoin2019;
        // South America uploads at 5.8 Mbit/s; Europe downloads at 40: a megabyte from South America to Europe takes 8/5.8 s + 227 ms.
        var sa = m.Regions.ToList().FindIndex(r => r.Name == "south-america");
        var eu = m.Regions.ToList().FindIndex(r => r.Name == "europe");
        var arrives = new LinkQueue(m, sa, eu, new Random(1)).Send(T0, 1_000_000);
        Assert.Equal(8.0 / 5.8 + 0.227, (arrives - T0).TotalSeconds, 3);
        // The other way Europe uploads at 20.7 and South America downloads at 18: 18 is the slower end.
        Assert.Equal(8.0 / 18 + 0.227, (new LinkQueue(m, eu, sa, new Random(1)).Send(T0, 1_000_000) - T0).TotalSeconds, 3);
    }

    [Fact]
    public void Jitter_varies_the_latency_but_never_lets_a_later_message_overtake_an_earlier_one()
    {
        var link = new LinkQueue(InternetModel.Uniform(TimeSpan.FromMilliseconds(200), 1_000_000_000).WithJitter(0.5), 0, 0, new Random(9));
        var arrivals = Enumerable.Range(0, 500).Select(i => link.Send(T0 + TimeSpan.FromMilliseconds(i), 100)).ToList();
        Assert.Equal(arrivals.Order(), arrivals);
        var delays = arrivals.Select((a, i) => (a - T0 - TimeSpan.FromMilliseconds(i)).TotalMilliseconds).ToList();
        Assert.True(delays.Max() - delays.Min() > 50, "jitter should spread the delays");
        Assert.All(delays, d => Assert.InRange(d, 100, 300 + 1));
    }

    [Fact]
    public void A_lost_message_arrives_a_retransmission_time_out_late_and_holds_back_the_ones_behind_it()
    {
        var model = InternetModel.Uniform(TimeSpan.FromMilliseconds(30), 1_000_000_000).WithLoss(0.3);
        Assert.Equal(TimeSpan.FromMilliseconds(200), model.RetransmissionTimeout(0, 0)); // 2 × 60 ms round trip is under Linux's floor
        // Sent a second apart: each message on its own, about 30 % late by one time-out (200 ms) or more (then 400 more, doubling).
        var link = new LinkQueue(model, 0, 0, new Random(4));
        var delays = Enumerable.Range(0, 2_000).Select(i => (link.Send(T0 + TimeSpan.FromSeconds(i), 100) - T0 - TimeSpan.FromSeconds(i)).TotalMilliseconds).ToList();
        Assert.InRange(delays.Count(d => d >= 230), 2_000 * 0.25, 2_000 * 0.35);
        Assert.All(delays, d => Assert.True(Math.Round(d) == 30 || d >= 230, $"{d} ms"));
        Assert.Contains(630, delays.Select(d => Math.Round(d))); // lost twice
        // Sent 10 ms apart: a lost message holds back those behind it, and the stream keeps its order.
        var dense = new LinkQueue(model, 0, 0, new Random(5));
        var arrivals = Enumerable.Range(0, 200).Select(i => dense.Send(T0 + TimeSpan.FromMilliseconds(10 * i), 100)).ToList();
        Assert.Equal(arrivals.Order(), arrivals);
        Assert.True(arrivals.Zip(arrivals.Skip(1)).Count(p => p.First == p.Second) > 20, "messages held behind a lost one arrive with it");
        Assert.Contains("loss", Assert.Throws<FormatException>(() => SimScenario.Parse("loss: 0.9")).Message);
    }

    [Fact]
    public void New_nodes_land_in_regions_in_proportion_to_the_measured_shares()
    {
        var m = InternetModel.Bitcoin2019;
        var random = new Random(4);
        var counts = new int[m.Regions.Count];
        for (var i = 0; i < 20_000; i++) counts[m.DrawRegion(random)]++;
        for (var r = 0; r < counts.Length; r++) Assert.InRange(counts[r] / 20_000.0, m.Regions[r].Share - 0.015, m.Regions[r].Share + 0.015);
    }

    [Fact]
    public void Blocks_take_longer_to_reach_every_node_over_slower_links_and_every_canonical_block_gets_there()
    {
        var s = new SimScenario { Name = "t", Seed = 5, Nodes = 10, Internet = "uniform", Producers = 2, BlockTime = "1s", Duration = "50s", Outbound = 3, Inbound = 12, TransactionsPerSecond = 2 };
        var fast = Simulation.Run((s with { LatencyMs = 10 }).Checked()).Results;
        var slow = Simulation.Run((s with { LatencyMs = 150 }).Checked()).Results;
        Assert.True(fast.CanonicalBlocks >= 15, $"only {fast.CanonicalBlocks} settled canonical blocks");
        Assert.Equal(fast.CanonicalBlocks, fast.ReachedEveryNode);
        Assert.True(slow.To100!.P50 > fast.To100!.P50 + 140, $"to every node: {slow.To100.P50} ms over 150 ms links, {fast.To100.P50} ms over 10 ms links");
        Assert.True(fast.TransactionsIncluded > 0 && fast.TransactionsRefused == 0, $"{fast.TransactionsIncluded} included, {fast.TransactionsRefused} refused");
    }

    [Fact]
    public void A_partition_forks_the_chain_and_after_the_heal_every_node_follows_one_head()
    {
        var s = SimScenario.Parse("""
            name: split
            seed: 6
            nodes: 12
            internet: uniform
            latencyMs: 20
            producers: 4
            blockTime: 1s
            duration: 80s
            outbound: 4
            inbound: 12
            partitions:
              - at: 10s
                heal: 40s
                fraction: 0.5
            """);
        var whole = Simulation.Run(s with { Partitions = [] }).Results;
        var split = Simulation.Run(s).Results;
        Assert.Equal((0, 0L), (whole.StaleBlocks, whole.Reorganisations));
        Assert.Equal(1, split.Partitions);
        Assert.True(split.StaleBlocks > 0 && split.Reorganisations > 0, $"{split.StaleBlocks} stale blocks, {split.Reorganisations} reorganisations");
        // Healed: every settled canonical block reached every node.
        Assert.Equal(split.CanonicalBlocks, split.ReachedEveryNode);
    }

    [Fact]
    public void A_sweep_runs_the_scenario_once_per_value_and_its_table_has_a_row_for_each()
    {
        var s = SimScenario.Parse("""
            nodes: 8
            internet: uniform
            producers: 2
            blockTime: 1s
            duration: 40s
            outbound: 3
            inbound: 8
            sweep:
              parameter: latencyMs
              values: [5, 120]
            """);
        var runs = s.Sweep!.Values.Select(v => (v, Simulation.Run((s with { Sweep = null }).With(s.Sweep.Parameter, v)))).ToList();
        var table = SimReport.SweepTable("latencyMs", runs);
        Assert.Contains("| 5 |", table);
        Assert.Contains("| 120 |", table);
        Assert.True(runs[1].Item2.Results.To50!.P50 > runs[0].Item2.Results.To50!.P50);
        // The figures: one propagation CDF per value on one plot, and the stale rate against the parameter.
        using var dir = new TempDir("chainlab-sim-plots");
        var written = SimPlots.Write(dir.Path, "latencyMs", runs.Select(r => (r.v, r.Item2.Results)).ToList());
        Assert.Equal(["propagation.png", "propagation.svg", "stale-rate.png", "stale-rate.svg"], written);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(Path.Combine(dir.Path, "propagation.png"))[..4]);
        var svg = File.ReadAllText(Path.Combine(dir.Path, "propagation.svg"));
        Assert.Contains("<svg", svg);
        Assert.Contains("latencyMs = 120", svg);
        // The CDF rises from 0 and, every block having reached every node, reaches 100 % after the median.
        var cdf = runs[1].Item2.Results.PropagationCdf!;
        Assert.Equal(101, cdf.Count);
        Assert.Equal(0, cdf[0]);
        Assert.True(cdf[100] >= cdf[50] && cdf.Zip(cdf.Skip(1)).All(p => p.First <= p.Second), string.Join(", ", cdf));
        Assert.Contains("sweep.parameter", Assert.Throws<FormatException>(() => SimScenario.Parse("sweep:\n  parameter: colour\n  values: [1]")).Message);
        Assert.Contains("partitions[0]", Assert.Throws<FormatException>(() => SimScenario.Parse("partitions:\n  - at: 5s\n    regions: [mars]")).Message);
    }

    [Fact]
    public void Simulated_proof_of_work_finds_blocks_at_the_chains_rate_and_shorter_intervals_make_more_of_them_stale()
    {
        var s = new SimScenario { Name = "pow", Seed = 4, Nodes = 16, Internet = "bitcoin-2019", Consensus = "pow", Producers = 4, Duration = "4m", Outbound = 5, Inbound = 16 };
        var slow = Simulation.Run((s with { BlockTime = "10s" }).Checked()).Results;
        var fast = Simulation.Run((s with { BlockTime = "500ms" }).Checked()).Results;
        // About 21 blocks are expected in the 210 settled seconds at one every 10 s (a Poisson count: well within 8..40).
        Assert.InRange(slow.CanonicalBlocks + slow.StaleBlocks, 8, 40);
        Assert.True(fast.StaleRate > slow.StaleRate, $"stale rate {fast.StaleRate:P2} at 500 ms, {slow.StaleRate:P2} at 10 s");
        Assert.True(fast.StaleBlocks > 0);
        Assert.Contains("hashShares", Assert.Throws<FormatException>(() => (s with { HashShares = [0.5, 0.5] }).Checked()).Message);
    }

    [Fact]
    public void A_selfish_miner_with_two_fifths_of_the_hash_power_takes_more_than_its_share_within_eyal_and_sirers_range()
    {
        // Four honest miners share 60 %; the selfish one (the node's selfish-mine misbehaviour) has 40 %. Blocks every
        // 30 s over 50 ms links: propagation is short beside the interval, as the formula assumes.
        var s = new SimScenario
        {
            Name = "selfish", Seed = 2, Nodes = 24, Internet = "uniform", LatencyMs = 50, Consensus = "pow", Producers = 4,
            SelfishShare = 0.4, BlockTime = "30s", Duration = "3h", Outbound = 6, Inbound = 24,
        }.Checked();
        var r = Simulation.Run(s).Results;
        Assert.True(r.CanonicalBlocks > 200, $"{r.CanonicalBlocks} canonical blocks");
        // An honest miner's share would be 40 %; Eyal and Sirer give 48.4 % (γ = 0) to 56.7 % (γ = 1) at α = 0.4.
        Assert.Equal(0.4837, r.EyalSirerGamma0!.Value, 3);
        Assert.Equal(0.5674, r.EyalSirerGamma1!.Value, 3);
        Assert.True(r.SelfishRevenue > 0.4, $"the selfish miner's share {r.SelfishRevenue:P1} is not above its hash share");
        Assert.InRange(r.SelfishRevenue!.Value, r.EyalSirerGamma0.Value - 0.05, r.EyalSirerGamma1.Value + 0.05);
        Assert.True(r.StaleBlocks > 0.1 * r.CanonicalBlocks, "honest blocks orphaned by released private ones count as stale");
        Assert.Contains("its share of the canonical", Simulation.Run(s with { Duration = "5m" }).Markdown());
        // The formula itself: below a third of the hash power at γ = 0 selfish mining pays less than honest mining.
        Assert.True(SimReport.EyalSirer(0.25, 0) < 0.25);
        Assert.Equal(1.0 / 3, SimReport.EyalSirer(1.0 / 3, 0), 6); // the threshold at γ = 0
        Assert.Contains("selfishShare", Assert.Throws<FormatException>(() => (s with { Consensus = "poa" }).Checked()).Message);
    }

    [Fact]
    public void Proof_of_stake_runs_on_its_slot_clock_and_a_slot_with_two_leaders_forks()
    {
        var s = new SimScenario
        {
            Name = "pos", Seed = 3, Nodes = 16, Internet = "bitcoin-2019", Consensus = "pos", Producers = 6, BlockTime = "2s", Duration = "3m",
            Outbound = 5, Inbound = 16, TransactionsPerSecond = 4,
        }.Checked();
        var r = Simulation.Run(s).Results;
        // 75 slots settle; the lottery leaves some empty and gives some two leaders.
        Assert.InRange(r.CanonicalBlocks, 25, 75);
        Assert.True(r.StaleBlocks > 0, "no slot had two leaders");
        Assert.True(r.TransactionsIncluded > 100, $"{r.TransactionsIncluded} transfers included");
        Assert.Equal(r.CanonicalBlocks, r.ReachedEveryNode);
    }

    [Fact]
    public void Nodes_that_leave_come_back_with_an_empty_store_and_catch_up_with_the_chain()
    {
        var s = new SimScenario
        {
            Name = "churn", Seed = 5, Nodes = 16, Internet = "uniform", LatencyMs = 40, Consensus = "poa", Producers = 3, BlockTime = "2s", Duration = "6m",
            Outbound = 4, Inbound = 16, TransactionsPerSecond = 3, Churn = 6, ChurnDowntime = "1m",
        }.Checked();
        var r = Simulation.Run(s).Results;
        Assert.True(r.NodesLeft >= 3, $"{r.NodesLeft} departures");
        Assert.True(r.NodesRejoined >= 2, $"{r.NodesRejoined} returns");
        // A block made while a node was away reaches it once it is back and synced, so most blocks reach every node,
        // late: the time to 100 % is at least the downtime for some of them.
        Assert.True(r.ReachedEveryNode > r.CanonicalBlocks / 2, $"{r.ReachedEveryNode} of {r.CanonicalBlocks} reached every node");
        Assert.True(r.To100!.Max > 30_000, $"to 100 %: {r.To100.Max} ms at most");
        Assert.True(r.To50!.P50 < 1_000);
        Assert.Equal(0, r.TransactionsRefused);
        Assert.Null(Simulation.Run((s with { Churn = 0, Duration = "20s" }).Checked()).Results.NodesLeft);
        Assert.Contains("churn", Assert.Throws<FormatException>(() => (s with { Churn = -1 }).Checked()).Message);
    }

    [Fact]
    public void A_block_is_k_deep_everywhere_after_it_reached_everywhere_and_with_finality_on_it_becomes_final_on_every_node()
    {
        var s = new SimScenario
        {
            Name = "final", Seed = 8, Nodes = 10, Internet = "uniform", LatencyMs = 40, Producers = 4, BlockTime = "1s", Duration = "90s", Outbound = 3, Inbound = 12,
            TransactionsPerSecond = 4, Finality = true, CheckpointInterval = 4,
        };
        var r = Simulation.Run(s.Checked()).Results;
        var deeper = Simulation.Run((s with { Confirmations = 12, Finality = false }).Checked()).Results;
        // Six deep takes at least five more block times than reaching every node; twelve deep six more again.
        Assert.True(r.SafeEverywhere!.P50 >= r.To100!.P50 + 5 * 1000 - 100, $"6 deep after {r.SafeEverywhere.P50} ms, everywhere after {r.To100.P50} ms");
        Assert.True(deeper.SafeEverywhere!.P50 >= r.SafeEverywhere.P50 + 6 * 1000 - 100, $"12 deep after {deeper.SafeEverywhere.P50} ms, 6 deep after {r.SafeEverywhere.P50} ms");
        // Final: the producers vote on every fourth block; a block is final once the next checkpoint after it is
        // justified twice over, which takes more than one interval, and every node gets there.
        Assert.True(r.Finality == true && r.FinalEverywhere is not null, "no block was final on every node");
        Assert.True(r.FinalEverywhere!.P50 > 4 * 1000, $"final after {r.FinalEverywhere.P50} ms");
        Assert.InRange(r.FinalEverywhereBlocks!.Value, 1, r.CanonicalBlocks);
        Assert.InRange(r.SafeEverywhereBlocks, 1, r.CanonicalBlocks);
        Assert.Contains("checkpointInterval", Assert.Throws<FormatException>(() => (s with { CheckpointInterval = 2 }).Checked()).Message);
        // Transfers wait in the pools between blocks.
        Assert.True(r.PoolMean > 0 && r.PoolMax >= r.PoolMean, $"pools: mean {r.PoolMean}, largest {r.PoolMax}");
        Assert.Contains("until final on every node", Simulation.Run(s.Checked()).Markdown());
        Assert.Contains("finality", Assert.Throws<FormatException>(() => SimScenario.Parse("consensus: pow\nfinality: true")).Message);
    }

    [Fact]
    public void Eclipse_attackers_fill_the_inbound_slots_of_their_neighbours_but_outbound_links_keep_every_honest_node_on_the_chain()
    {
        var s = new SimScenario
        {
            Name = "eclipse", Seed = 6, Nodes = 24, Internet = "uniform", LatencyMs = 30, Producers = 2, BlockTime = "2s", Duration = "60s",
            Outbound = 3, Inbound = 8, TransactionsPerSecond = 2, EclipseAttackers = 3,
        };
        var attacked = Simulation.Run(s.Checked()).Results;
        // Forty identities per neighbour: the attackers take most of some honest nodes' inbound slots.
        Assert.True(attacked.AttackerInboundPeak > 0.25, $"attackers held at most {attacked.AttackerInboundPeak:P1} of the honest inbound links");
        // The links each node dials itself stay honest: nobody is cut off and every block reaches every node.
        Assert.Equal(0, attacked.NodesEclipsedPeak);
        Assert.True(attacked.CanonicalBlocks >= 12 && attacked.ReachedEveryNode == attacked.CanonicalBlocks, $"{attacked.ReachedEveryNode} of {attacked.CanonicalBlocks} reached every node");
        Assert.Equal(attacked, Simulation.Run(s.Checked()).Results with { }, new ResultsJson());
        Assert.Null(Simulation.Run((s with { EclipseAttackers = 0 }).Checked()).Results.AttackerInboundPeak);
        Assert.Contains("eclipseAttackers", Assert.Throws<FormatException>(() => (s with { EclipseAttackers = 22 }).Checked()).Message);
    }

    /// <summary>Two results are the same when their JSON is.</summary>
    private sealed class ResultsJson : IEqualityComparer<SimResults>
    {
        public bool Equals(SimResults? a, SimResults? b) => System.Text.Json.JsonSerializer.Serialize(a, SimReport.Json) == System.Text.Json.JsonSerializer.Serialize(b, SimReport.Json);
        public int GetHashCode(SimResults r) => 0;
    }

    [Fact]
    public void A_scenario_file_with_a_mistake_is_refused_naming_the_field_or_the_line()
    {
        Assert.Contains("nodes", Assert.Throws<FormatException>(() => SimScenario.Parse("nodes: 1")).Message);
        Assert.Contains("internet", Assert.Throws<FormatException>(() => SimScenario.Parse("internet: mars")).Message);
        Assert.Contains("blockTime", Assert.Throws<FormatException>(() => SimScenario.Parse("blockTime: soon")).Message);
        Assert.StartsWith("line 2", Assert.Throws<FormatException>(() => SimScenario.Parse("nodes: 5\ncolour: blue")).Message);
        Assert.Contains("consensus", Assert.Throws<FormatException>(() => SimScenario.Parse("consensus: dag")).Message);
        Assert.Contains("load", Assert.Throws<FormatException>(() => SimScenario.Parse("load: everywhere")).Message);
        Assert.Contains("maxBlockTransactions", Assert.Throws<FormatException>(() => SimScenario.Parse("maxBlockTransactions: 0")).Message);
        Assert.Contains("pingInterval", Assert.Throws<FormatException>(() => SimScenario.Parse("pingInterval: 2h")).Message);
        Assert.Contains("hashShares", Assert.Throws<FormatException>(() => SimScenario.Parse("consensus: poa\nhashShares: [1]\nproducers: 1")).Message);
    }

    [Fact]
    [Trait("Category", Categories.Process)]
    public async Task Two_runs_of_one_scenario_in_separate_processes_write_byte_identical_reports()
    {
        using var work = new TempDir("chainlab-sim");
        var file = RepoFiles.Path("scenarios", "sim", "small.yaml");
        var (code, output, err) = await CliRunner.RunAsync(null, "sim", "run", file, "--out", work["a"]);
        Assert.True(code == 0, err);
        Assert.Contains("propagation to 100 %", output);
        // The run went to a child process with the young generation's budget set (decision 0010).
        Assert.Contains("the collector's young generation up to 128 MiB", output);
        Assert.True(File.Exists(Path.Combine(work["a"], "propagation.png")) && File.Exists(Path.Combine(work["a"], "propagation.svg")), output);
        (code, _, err) = await CliRunner.RunAsync(null, "sim", "run", file, "--out", work["b"]);
        Assert.True(code == 0, err);
        var a = File.ReadAllBytes(Path.Combine(work["a"], "report.json"));
        Assert.Equal(a, File.ReadAllBytes(Path.Combine(work["b"], "report.json")));
        // Another seed is another run.
        (code, _, err) = await CliRunner.RunAsync(null, "sim", "run", file, "--seed", "4", "--out", work["c"]);
        Assert.True(code == 0, err);
        Assert.NotEqual(a, File.ReadAllBytes(Path.Combine(work["c"], "report.json")));

        (code, _, err) = await CliRunner.RunAsync(null, "sim", "run", file, "--nodes", "1");
        Assert.Equal(2, code);
        Assert.Contains("nodes: 2 to 20000", err);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Fact]
    [Trait("Category", Categories.Process)]
    public async Task A_finality_run_in_two_separate_processes_writes_byte_identical_reports()
    {
        // The producers vote on checkpoints: their voters run on the node's scheduler and clock (they used to run on
        // the thread pool with a wall-clock wait, and such runs differed from process to process).
        using var work = new TempDir("chainlab-sim-final");
        var file = Path.Combine(work.Path, "final.yaml");
        File.WriteAllText(file, "name: final\nseed: 8\nnodes: 10\ninternet: uniform\nlatencyMs: 40\nproducers: 4\nblockTime: 1s\nduration: 90s\n" +
            "outbound: 3\ninbound: 12\ntransactionsPerSecond: 4\nfinality: true\ncheckpointInterval: 4\n");
        foreach (var run in new[] { "a", "b" })
        {
            var (code, output, err) = await CliRunner.RunAsync(null, "sim", "run", file, "--out", work[run]);
            Assert.True(code == 0, err);
            Assert.Contains("until final on every node", output);
        }
        Assert.Equal(File.ReadAllText(Path.Combine(work["a"], "report.json")), File.ReadAllText(Path.Combine(work["b"], "report.json")));
    }

    [Fact]
    [Trait("Category", Categories.Process)]
    public async Task A_SIGTERM_to_chainlab_sim_run_stops_the_simulation_in_its_child_process_too()
    {
        using var work = new TempDir("chainlab-sim-stop");
        var file = Path.Combine(work.Path, "long.yaml");
        File.WriteAllText(file, "name: long\nnodes: 200\nduration: 10h\nblockTime: 10m\n");
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { NodeProcess.ChainlabDll, "sim", "run", file, "--out", work["out"] }) psi.ArgumentList.Add(a);
        using var parent = System.Diagnostics.Process.Start(psi)!;
        var output = parent.StandardOutput.ReadToEndAsync();
        var errors = parent.StandardError.ReadToEndAsync();
        // The child: this process's only child, once it has started.
        var children = $"/proc/{parent.Id}/task/{parent.Id}/children";
        int? child = null;
        for (var i = 0; i < 300 && child is null && !parent.HasExited; i++)
        {
            if (File.Exists(children) && File.ReadAllText(children).Split(' ', StringSplitOptions.RemoveEmptyEntries) is [var only]) child = int.Parse(only);
            else await Task.Delay(100);
        }
        if (child is null) Assert.Fail("no child process: " + await errors);
        Assert.True(Directory.Exists($"/proc/{child}"));
        Chainlab.Cli.Processes.Signals.Send(parent.Id, Chainlab.Cli.Processes.Signals.Term);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await parent.WaitForExitAsync(deadline.Token);
        for (var i = 0; i < 100 && Directory.Exists($"/proc/{child}") && !File.ReadAllText($"/proc/{child}/stat").Contains(") Z "); i++) await Task.Delay(100);
        Assert.False(Directory.Exists($"/proc/{child}") && !File.ReadAllText($"/proc/{child}/stat").Contains(") Z "), "the simulation's process is still running");
        Assert.NotEqual(0, parent.ExitCode);
        Assert.False(File.Exists(Path.Combine(work["out"], "report.json")), await output);
    }

    [Fact]
    public void A_block_served_on_its_own_is_framed_once_for_every_node_and_anything_else_as_usual()
    {
        var frames = new SharedFrames();
        var block = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();
        var copy = (byte[])block.Clone();
        var first = frames.Encode(new Chainlab.Node.Network.Protocol.Blocks([block]));
        Assert.Equal(Chainlab.Node.Network.Protocol.MessageCodec.Encode(new Chainlab.Node.Network.Protocol.Blocks([block])), first);
        // Another node serving the same stored array: the same frame, not another.
        Assert.Same(first, frames.Encode(new Chainlab.Node.Network.Protocol.Blocks([block])));
        // Equal bytes in another array (a block some node built or changed itself) are framed on their own.
        var other = frames.Encode(new Chainlab.Node.Network.Protocol.Blocks([copy]));
        Assert.NotSame(first, other);
        Assert.Equal(first, other);
        // Several blocks, or another message, are framed each time.
        var two = new Chainlab.Node.Network.Protocol.Blocks([block, copy]);
        Assert.NotSame(frames.Encode(two), frames.Encode(two));
        Assert.Equal(Chainlab.Node.Network.Protocol.MessageCodec.Encode(new Chainlab.Node.Network.Protocol.Ping(7)), frames.Encode(new Chainlab.Node.Network.Protocol.Ping(7)));
        Assert.Equal((2L, 1L), frames.Counts);
    }
}
