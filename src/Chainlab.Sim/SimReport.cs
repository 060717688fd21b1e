using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Sim.Network;

namespace Chainlab.Sim;

/// <summary>
/// What the collector did between two moments of this process: collections of any generation, of the middle
/// generation (and older), full ones, and the time they paused it. A sweep runs several simulations in one process,
/// so a run's figures are its end less its start.
/// </summary>
public readonly record struct CollectorWork(int Collections, int Middle, int Full, TimeSpan Paused)
{
    public static CollectorWork Now() => new(GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());
    public CollectorWork Since(CollectorWork start) => new(Collections - start.Collections, Middle - start.Middle, Full - start.Full, Paused - start.Paused);
}

/// <summary>Percentiles over blocks of one propagation figure, in milliseconds.</summary>
public sealed record Spread(double P50, double P90, double Max);

/// <summary>
/// What a run measured. <see cref="Results"/> follows from the scenario and the seed alone (two runs give the same
/// bytes); <see cref="WallSeconds"/>, <see cref="WorkItems"/> and <see cref="WorkItemsPerSecond"/> describe the run on
/// the machine. The work items are a measure of effort, not a result: a continuation of work the node hands to the
/// thread pool (signature checks) may run in line or be queued, so the count can differ by one between runs whose
/// results are byte-identical (seen once in a CI run on a loaded machine).
/// </summary>
public sealed record SimReport(SimResults Results, double WallSeconds, long WorkItems, double WorkItemsPerSecond)
{
    /// <summary>What the collector did during the run (null when not measured).</summary>
    public CollectorWork? Collected { get; init; }

    // How large the collector lets its young generation grow, as it reports it (6 MiB by default on this machine;
    // chainlab sim run sets 128 MiB), and what it did during the run.
    private string Collector()
    {
        var young = GC.GetConfigurationVariables().TryGetValue("GCGen0MaxBudget", out var v) && Convert.ToInt64(v, CultureInfo.InvariantCulture) is > 0 and var bytes
            ? string.Create(CultureInfo.InvariantCulture, $"the collector's young generation up to {bytes / 1048576.0:0.#} MiB")
            : null;
        var work = Collected is { } c
            ? string.Create(CultureInfo.InvariantCulture, $"{c.Collections:N0} collections ({c.Middle:N0} of the middle generation, {c.Full:N0} full) pausing it {c.Paused.TotalSeconds:0.0} s")
            : null;
        var parts = new[] { young, work }.OfType<string>().ToList();
        return parts.Count == 0 ? "" : "; " + string.Join(", ", parts);
    }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public static SimReport Of(SimScenario s, InternetModel model, int[] regions, SimTrace trace, int nodes,
        IReadOnlyList<(long Writes, long Bytes)> sent, BlockHeader head, long refused, long partitions, long workItems, TimeSpan wall)
    {
        var seen = trace.Blocks;
        var canonical = trace.Canonical;
        // Blocks made in the last 30 simulated seconds may still be on their way: propagation counts the others.
        var settled = seen.Where(kv => kv.Value.First <= seen.Values.Max(b => b.First) - TimeSpan.FromSeconds(30)).ToList();
        var canon = settled.Where(kv => canonical.Contains(kv.Key)).Select(kv => kv.Value).ToList();
        static Spread? Over(List<double> delays)
        {
            delays.Sort();
            return delays.Count == 0 ? null : new Spread(Percentile(delays, 0.5), Percentile(delays, 0.9), delays[^1]);
        }
        Spread? Of(double fraction) => Over(canon.Select(b => b.Until(fraction, nodes)).OfType<double>().ToList());
        // A block is k deep on a node once that node connected the canonical block k - 1 above it (its descendant).
        var byHeight = seen.Where(kv => canonical.Contains(kv.Key)).ToDictionary(kv => kv.Value.Height, kv => kv.Value);
        var k = (ulong)s.Confirmations;
        // Blocks that were not yet k deep (or final) on every node when the run ended are left out; the report says how
        // many blocks each figure covers.
        var safeTimes = canon.Select(b => byHeight.TryGetValue(b.Height + k - 1, out var d) && d.Until(1.0, nodes) is { } ms
            ? (double?)(d.First - b.First).TotalMilliseconds + ms : null).OfType<double>().ToList();
        var finalTimes = !s.Finality ? [] : canon.Select(b => trace.FinalEverywhere(b.Height) is { } at ? (double?)(at - b.First).TotalMilliseconds : null).OfType<double>().ToList();
        var safe = Over(safeTimes);
        var final = !s.Finality ? null : Over(finalTimes);
        // The propagation CDF: over every (canonical block, node) pair, the delay by which each share of them was
        // reached; a pair never reached has none, so the curve can stop short of 100 %.
        var pairs = canon.SelectMany(b => b.Delays).Order().ToList();
        var total = (long)canon.Count * nodes;
        var cdf = total == 0 ? null : Enumerable.Range(0, 101).Select(pc =>
        {
            var need = (pc * total + 99) / 100; // ceil(pc % of total), in integers
            return need == 0 ? 0 : need <= pairs.Count ? pairs[(int)need - 1] : (double?)null;
        }).ToList();
        var stale = settled.Count(kv => !canonical.Contains(kv.Key));
        var results = new SimResults(
            s.Name, s.Seed, nodes, model.Name, s.Consensus, s.Producers, s.BlockTimeSpan.TotalMilliseconds, s.DurationSpan.TotalSeconds, s.TransactionsPerSecond,
            model.Regions.Select((r, i) => new RegionCount(r.Name, regions.Count(x => x == i))).ToList(),
            head.Height, head.Hash.ToString(), seen.Count, canon.Count, stale, settled.Count == 0 ? 0 : (double)stale / settled.Count,
            trace.Reorganisations, trace.DeepestReorganisation, Of(0.5), Of(0.9), Of(1.0), canon.Count(b => b.NodesReached == nodes),
            canon.Count == 0 ? 0 : canon.Average(b => b.Bytes), canon.Sum(b => b.Transactions), refused,
            sent.Count == 0 ? 0 : sent.Average(x => x.Bytes), sent.Count == 0 ? 0 : sent.Average(x => x.Writes), partitions)
        {
            Confirmations = s.Confirmations,
            SafeEverywhere = safe,
            SafeEverywhereBlocks = safeTimes.Count,
            Finality = s.Finality ? true : null,
            FinalEverywhere = final,
            FinalEverywhereBlocks = s.Finality ? finalTimes.Count : null,
            PoolMean = Math.Round(trace.PoolMean, 3),
            PoolMax = trace.PoolMax,
            PropagationCdf = cdf,
        };
        if (s.EclipseAttackers > 0)
            results = results with
            {
                EclipseAttackers = s.EclipseAttackers,
                AttackerInboundPeak = Math.Round(trace.AttackerInboundPeak, 4),
                NodesEclipsedPeak = trace.EclipsedPeak,
            };
        if (s.SelfishShare > 0)
        {
            var mine = canon.Count(b => b.BySelfishMiner);
            results = results with
            {
                SelfishShare = s.SelfishShare,
                SelfishBlocks = mine,
                SelfishRevenue = canon.Count == 0 ? 0 : (double)mine / canon.Count,
                EyalSirerGamma0 = EyalSirer(s.SelfishShare, 0),
                EyalSirerGamma1 = EyalSirer(s.SelfishShare, 1),
            };
        }
        return new SimReport(results, wall.TotalSeconds, workItems, workItems / Math.Max(wall.TotalSeconds, 1e-9));
    }

    /// <summary>
    /// Eyal and Sirer's relative revenue of a selfish pool with hash share α when a share γ of the honest miners
    /// mine on its block in a race ("Majority is not Enough", 2014): R = [α(1−α)²(4α+γ(1−2α)) − α³] / [1 − α(1+(2−α)α)].
    /// </summary>
    public static double EyalSirer(double alpha, double gamma) =>
        (alpha * (1 - alpha) * (1 - alpha) * (4 * alpha + gamma * (1 - 2 * alpha)) - alpha * alpha * alpha) / (1 - alpha * (1 + (2 - alpha) * alpha));

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    public string ResultsJson() => JsonSerializer.Serialize(Results, Json);

    /// <summary>One row per value of a sweep: what changes when the parameter does.</summary>
    public static string SweepTable(string parameter, IReadOnlyList<(string Value, SimReport Report)> runs)
    {
        var c = CultureInfo.InvariantCulture;
        var m = new StringBuilder();
        m.AppendLine(c, $"# Sweep over {parameter}");
        m.AppendLine();
        var selfish = runs.Any(x => x.Report.Results.SelfishShare is not null);
        var eclipse = runs.Any(x => x.Report.Results.EclipseAttackers is not null);
        m.AppendLine(c, $"| {parameter} | blocks (canonical) | stale rate | reorganisations | to 50 % (ms, median) | to 90 % | to 100 % | sent per node (bytes) |{(selfish ? " selfish miner: α | its share of blocks | Eyal and Sirer, γ = 0 … 1 |" : "")}{(eclipse ? " reached every node | inbound links held by attackers (peak) | honest nodes with no honest link (peak) |" : "")}");
        m.AppendLine($"|---|---|---|---|---|---|---|---|{(selfish ? "---|---|---|" : "")}{(eclipse ? "---|---|---|" : "")}");
        foreach (var (value, report) in runs)
        {
            var r = report.Results;
            var attack = !selfish ? "" : r.SelfishShare is { } a
                ? string.Format(c, " {0:0.###} | {1:P1} | {2:P1} … {3:P1} |", a, r.SelfishRevenue, r.EyalSirerGamma0, r.EyalSirerGamma1) : " - | - | - |";
            var cut = !eclipse ? "" : string.Format(c, " {0} of {1} | {2:P1} | {3} |", r.ReachedEveryNode, r.CanonicalBlocks, r.AttackerInboundPeak ?? 0, r.NodesEclipsedPeak ?? 0);
            m.AppendLine(c, $"| {value} | {r.CanonicalBlocks} | {r.StaleRate:P2} | {r.Reorganisations} | {r.To50?.P50:0} | {r.To90?.P50:0} | {r.To100?.P50:0} | {r.MeanBytesSentPerNode:N0} |{attack}{cut}");
        }
        return m.ToString();
    }

    public string Markdown()
    {
        var r = Results;
        var c = CultureInfo.InvariantCulture;
        string S(Spread? x) => x is null ? "-" : string.Format(c, "{0:0} / {1:0} / {2:0}", x.P50, x.P90, x.Max);
        var m = new StringBuilder();
        m.AppendLine(c, $"# Simulation: {r.Name}");
        m.AppendLine();
        m.AppendLine(c, $"{r.Nodes} nodes over `{r.Internet}` ({string.Join(", ", r.Regions.Where(x => x.Nodes > 0).Select(x => $"{x.Region} {x.Nodes}"))}), {r.Consensus} with {r.Producers} producers, block time {r.BlockTimeMs:0} ms, {r.DurationSeconds:0} simulated seconds, {r.TransactionsPerSecond} transfers a second, seed {r.Seed}.");
        m.AppendLine();
        m.AppendLine("| figure | value |");
        m.AppendLine("|---|---|");
        m.AppendLine(c, $"| head | {r.HeadHeight} `{r.HeadHash[..16]}` |");
        m.AppendLine(c, $"| blocks seen / canonical (settled) / stale | {r.BlocksSeen} / {r.CanonicalBlocks} / {r.StaleBlocks} |");
        m.AppendLine(c, $"| stale rate | {r.StaleRate:P2} |");
        m.AppendLine(c, $"| reorganisations (all nodes) / deepest | {r.Reorganisations} / {r.DeepestReorganisation} |");
        if (r.Partitions > 0) m.AppendLine(c, $"| partitions | {r.Partitions} |");
        m.AppendLine(c, $"| propagation to 50 % of nodes, ms (median / p90 / max over blocks) | {S(r.To50)} |");
        m.AppendLine(c, $"| propagation to 90 % | {S(r.To90)} |");
        m.AppendLine(c, $"| propagation to 100 % | {S(r.To100)} |");
        m.AppendLine(c, $"| canonical blocks that reached every node | {r.ReachedEveryNode} of {r.CanonicalBlocks} |");
        m.AppendLine(c, $"| until {r.Confirmations} deep on every node, ms (median / p90 / max over the {r.SafeEverywhereBlocks} of {r.CanonicalBlocks} blocks that got there) | {S(r.SafeEverywhere)} |");
        if (r.Finality == true) m.AppendLine(c, $"| until final on every node, ms (median / p90 / max over the {r.FinalEverywhereBlocks} of {r.CanonicalBlocks} blocks final everywhere) | {S(r.FinalEverywhere)} |");
        m.AppendLine(c, $"| pending transactions in a node's pool (mean / largest, sampled every 10 s) | {r.PoolMean:0.#} / {r.PoolMax:N0} |");
        m.AppendLine(c, $"| mean block size | {r.MeanBlockBytes:N0} bytes |");
        m.AppendLine(c, $"| transactions in settled canonical blocks / refused by the pool | {r.TransactionsIncluded:N0} / {r.TransactionsRefused:N0} |");
        m.AppendLine(c, $"| sent per node | {r.MeanBytesSentPerNode:N0} bytes in {r.MeanWritesPerNode:N0} writes |");
        if (r.NodesLeft is { } gone)
            m.AppendLine(c, $"| churn: departures / returns / transfers held back (wallet node away) | {gone} / {r.NodesRejoined} / {r.TransfersHeldBack} |");
        if (r.EclipseAttackers is { } ea)
            m.AppendLine(c, $"| eclipse: attackers / peak share of honest inbound links they held / most honest nodes with no honest link | {ea} / {r.AttackerInboundPeak:P1} / {r.NodesEclipsedPeak} |");
        if (r.SelfishShare is { } alpha)
            m.AppendLine(c, $"| selfish miner with α = {alpha:0.###}: its share of the canonical (settled) blocks | {r.SelfishRevenue:P1} ({r.SelfishBlocks} of {r.CanonicalBlocks}); Eyal and Sirer: {r.EyalSirerGamma0:P1} at γ = 0, {r.EyalSirerGamma1:P1} at γ = 1 |");
        m.AppendLine();
        m.AppendLine(c, $"Run: {WallSeconds:0.0} s of wall time, {WorkItems:N0} work items ({WorkItemsPerSecond:N0} a second){Collector()}.");
        return m.ToString();
    }
}

public sealed record RegionCount(string Region, int Nodes);

public sealed record SimResults(string Name, int Seed, int Nodes, string Internet, string Consensus, int Producers, double BlockTimeMs, double DurationSeconds,
    int TransactionsPerSecond, IReadOnlyList<RegionCount> Regions, ulong HeadHeight, string HeadHash, int BlocksSeen, int CanonicalBlocks, int StaleBlocks,
    double StaleRate, long Reorganisations, ulong DeepestReorganisation, Spread? To50, Spread? To90, Spread? To100, int ReachedEveryNode,
    double MeanBlockBytes, int TransactionsIncluded, long TransactionsRefused, double MeanBytesSentPerNode, double MeanWritesPerNode, long Partitions)
{
    /// <summary>The selfish miner's hash share α (null: none), its canonical blocks and their share, and Eyal and Sirer's figure for α at γ = 0 and 1.</summary>
    public double? SelfishShare { get; init; }
    public int? SelfishBlocks { get; init; }
    public double? SelfishRevenue { get; init; }
    public double? EyalSirerGamma0 { get; init; }
    public double? EyalSirerGamma1 { get; init; }
    /// <summary>Churn: departures, returns, and transfers not sent because the sender's wallet node was away (null: no churn).</summary>
    public long? NodesLeft { get; init; }
    public long? NodesRejoined { get; init; }
    public long? TransfersHeldBack { get; init; }
    /// <summary>k, and the time (ms, over settled canonical blocks) from a block's making until it was k deep on every node.</summary>
    public int Confirmations { get; init; }
    public Spread? SafeEverywhere { get; init; }
    /// <summary>How many of the settled canonical blocks were k deep on every node by the end (the ones the figure covers).</summary>
    public int SafeEverywhereBlocks { get; init; }
    public bool? Finality { get; init; }
    /// <summary>Eclipse: the attackers, the largest share of the honest nodes' inbound links they held at a sample (every 10 s), and the most honest nodes with no link to an honest node at one sample.</summary>
    public int? EclipseAttackers { get; init; }
    public double? AttackerInboundPeak { get; init; }
    public int? NodesEclipsedPeak { get; init; }
    /// <summary>Finality on: the time (ms) from a block's making until every node had finalised a checkpoint at or above it.</summary>
    public Spread? FinalEverywhere { get; init; }
    /// <summary>How many of the settled canonical blocks were final on every node by the end.</summary>
    public int? FinalEverywhereBlocks { get; init; }
    /// <summary>Transactions pending in a node's pool, over nodes and samples every ten simulated seconds: the mean and the largest.</summary>
    public double PoolMean { get; init; }
    public int PoolMax { get; init; }
    /// <summary>The delay (ms) by which 0, 1, …, 100 % of all (canonical block, node) pairs were reached; null past the share ever reached.</summary>
    public IReadOnlyList<double?>? PropagationCdf { get; init; }
}
