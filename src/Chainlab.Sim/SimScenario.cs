using Chainlab.Sim.Network;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Chainlab.Sim;

/// <summary>
/// What to simulate (a YAML file; docs/SIMULATION.md): how many nodes, over which Internet, which engine with how
/// many producers at what block time, for how long, with how much load, from which seed.
/// </summary>
public sealed record SimScenario
{
    public string Name { get; init; } = "simulation";
    public int Seed { get; init; } = 1;
    public int Nodes { get; init; } = 20;
    /// <summary>An <see cref="InternetModel.Presets"/> name, or "uniform" (with <see cref="LatencyMs"/> and <see cref="BandwidthMbps"/>).</summary>
    public string Internet { get; init; } = "bitcoin-2019";
    public int LatencyMs { get; init; } = 50;
    public double BandwidthMbps { get; init; } = 20;
    /// <summary>
    /// What checking costs a node, in milliseconds per 1,000 bytes it receives (0: nothing): each node works through
    /// what arrives one message at a time before it reads it, so a block waits this long per kilobyte at every hop
    /// before it is relayed. Our node checks full blocks of transfers at about 0.25 ms per kilobyte on this machine
    /// (15,600 transfers a second in `chainlab bench sync`, about 250 bytes each).
    /// </summary>
    public double ValidationMsPerKb { get; init; }
    /// <summary>Each latency varies by up to this fraction either way.</summary>
    public double Jitter { get; init; }
    /// <summary>The chance a message is lost and resent after the retransmission time-out (TCP: late, never missing; <see cref="InternetModel.Loss"/>).</summary>
    public double Loss { get; init; }
    /// <summary>poa or pos (the engine's own slot clock; pos: the producers are genesis validators with equal stakes and the VRF lottery picks each slot's leaders) or pow (simulated work: each miner finds blocks as a Poisson process with its share of the hash power).</summary>
    public string Consensus { get; init; } = "poa";
    /// <summary>Proof of work: each miner's share of the hash power (default: equal shares); as many as there are producers.</summary>
    public List<double> HashShares { get; init; } = [];
    public int Producers { get; init; } = 4;
    /// <summary>
    /// Proof of work: one more miner, at a random node, that mines selfishly (Eyal and Sirer's strategy: the node's
    /// selfish-mine misbehaviour) with this share of the hash power, α; the honest producers share the rest.
    /// 0: every miner is honest.
    /// </summary>
    public double SelfishShare { get; init; }
    /// <summary>
    /// Eclipse: how many nodes (besides node 1, the producers and a selfish miner) run the node's eclipse
    /// misbehaviour: each dials the nodes it is linked to with 40 made-up identities and holds the links, relaying
    /// nothing on them, to take their inbound slots and cut them off.
    /// </summary>
    public int EclipseAttackers { get; init; }
    /// <summary>The selfish miner's outbound links (its reach: more links win more races, Eyal and Sirer's γ); default: outbound.</summary>
    public int? SelfishOutbound { get; init; }
    public string BlockTime { get; init; } = "2s";
    public string Duration { get; init; } = "2m";
    public int Outbound { get; init; } = 8;
    public int Inbound { get; init; } = 32;
    /// <summary>
    /// How often a node pings each peer; a link silent for ten times as long is closed. Bitcoin Core's two minutes
    /// (and twenty) by default; a devnet node's 10 s keep-alive would make pings most of a quiet network's work.
    /// </summary>
    public string PingInterval { get; init; } = "2m";
    /// <summary>How long a node gathers newly admitted transactions before announcing them in one message (Bitcoin Core: about 2 s).</summary>
    public string TransactionBatchWait { get; init; } = "2s";
    /// <summary>
    /// Where the transfers go: gossip (each sender's wallet node admits them and gossip spreads them, as on a real
    /// network) or miners (every producer's pool gets each one, and nodes relay blocks only, as Bitcoin Core's
    /// -blocksonly: blocks are as full and as costly to check, without simulating every announcement of every
    /// transaction to every node, which is most of the work of a large run).
    /// </summary>
    public string Load { get; init; } = "gossip";
    /// <summary>The most transactions a block may carry (the chain spec's limit): a full block, for a Bitcoin-like run, is some thousands of transfers.</summary>
    public int MaxBlockTransactions { get; init; } = 50_000;
    /// <summary>Signed transfers sent each simulated second.</summary>
    public int TransactionsPerSecond { get; init; }

    /// <summary>
    /// Churn: how often a node leaves, per node and hour (a Poisson rate; 0: never). A node that left comes back after
    /// <see cref="ChurnDowntime"/> as a new node with an empty store and syncs. Node 1, the producers and the selfish
    /// miner stay.
    /// </summary>
    public double Churn { get; init; }
    public string ChurnDowntime { get; init; } = "5m";
    public TimeSpan ChurnDowntimeSpan => ParseDuration(ChurnDowntime, "churnDowntime");

    /// <summary>How deep a block must be on every node to count as safe in the report (Bitcoin's custom: 6).</summary>
    public int Confirmations { get; init; } = 6;
    /// <summary>
    /// Finality (proof of stake and proof of authority): the producers vote on checkpoints (decision 0008) and the
    /// report gives the time until a block is final on every node.
    /// </summary>
    public bool Finality { get; init; }
    /// <summary>Blocks between finality checkpoints; 0: the engine's (epochSlots in proof of stake, 16 in proof of authority).</summary>
    public ulong CheckpointInterval { get; init; }

    /// <summary>Splits of the network at given times (links between groups cut, new ones refused) and when each heals.</summary>
    public List<SimPartition> Partitions { get; init; } = [];

    /// <summary>Runs the scenario once per value of one parameter; the report has a row per value.</summary>
    public SimSweep? Sweep { get; init; }

    public TimeSpan BlockTimeSpan => ParseDuration(BlockTime, "blockTime");
    public TimeSpan DurationSpan => ParseDuration(Duration, "duration");
    public TimeSpan PingIntervalSpan => ParseDuration(PingInterval, "pingInterval");
    public TimeSpan TransactionBatchWaitSpan => ParseDuration(TransactionBatchWait, "transactionBatchWait");

    public InternetModel Model()
    {
        var model = Internet == "uniform"
            ? InternetModel.Uniform(TimeSpan.FromMilliseconds(LatencyMs), (long)(BandwidthMbps * 1_000_000))
            : InternetModel.Presets.TryGetValue(Internet, out var m) ? m
            : throw new FormatException($"internet: '{Internet}' is not one of uniform, {string.Join(", ", InternetModel.Presets.Keys)}");
        if (Jitter > 0) model = model.WithJitter(Jitter);
        return Loss > 0 ? model.WithLoss(Loss) : model;
    }

    /// <summary>Every rule a scenario must meet, with the field named; throws FormatException.</summary>
    public SimScenario Checked()
    {
        if (Nodes is < 2 or > 20_000) throw new FormatException("nodes: 2 to 20000");
        if (Consensus is not ("poa" or "pow" or "pos")) throw new FormatException($"consensus: '{Consensus}' is not one of poa, pos and pow");
        if (HashShares.Count > 0 && (Consensus != "pow" || HashShares.Count != Producers || HashShares.Any(h => h <= 0) || Math.Abs(HashShares.Sum() - 1) > 1e-6))
            throw new FormatException("hashShares: proof of work only, one positive share per producer, summing to 1");
        if (SelfishShare is < 0 or >= 0.5 || (SelfishShare > 0 && Consensus != "pow")) throw new FormatException("selfishShare: proof of work only, at least 0 and below 0.5 (Eyal and Sirer's formula holds below a half)");
        if (SelfishShare > 0 && HashShares.Count > 0) throw new FormatException("selfishShare: leave hashShares out (the honest producers share what the selfish miner does not have)");
        if (SelfishOutbound is < 1 or > 1024) throw new FormatException("selfishOutbound: 1 to 1024");
        if (SelfishShare > 0 && Producers + 2 > Nodes) throw new FormatException("selfishShare: the selfish miner needs a node of its own besides the producers and node 1");
        if (EclipseAttackers < 0 || EclipseAttackers > Nodes - Producers - 1 - (SelfishShare > 0 ? 1 : 0))
            throw new FormatException("eclipseAttackers: 0 to the nodes other than node 1, the producers and the selfish miner");
        if (Producers < 1 || Producers > Nodes) throw new FormatException("producers: 1 to the number of nodes (the authorities of poa, the miners of pow)");
        if (BlockTimeSpan < TimeSpan.FromMilliseconds(100)) throw new FormatException("blockTime: at least 100ms");
        if (MaxBlockTransactions is < 1 or > Chainlab.Core.Model.Limits.MaxBlockTransactions) throw new FormatException($"maxBlockTransactions: 1 to {Chainlab.Core.Model.Limits.MaxBlockTransactions}");
        if (Confirmations is < 1 or > 1000) throw new FormatException("confirmations: 1 to 1000");
        if (Finality && Consensus == "pow") throw new FormatException("finality: proof of stake and proof of authority only (proof of work has no voters)");
        if (CheckpointInterval is 1 or 2 or > 100_000) throw new FormatException("checkpointInterval: 0 (the engine's) or 3 to 100000 (voters vote 2 blocks past a checkpoint)");
        if (Churn is < 0 or > 60) throw new FormatException("churn: 0 to 60 departures per node and hour");
        if (ChurnDowntimeSpan < TimeSpan.FromSeconds(1) || ChurnDowntimeSpan > TimeSpan.FromDays(1)) throw new FormatException("churnDowntime: 1s to 1d");
        if (Load is not ("gossip" or "miners")) throw new FormatException($"load: '{Load}' is not gossip or miners");
        if (TransactionBatchWaitSpan > TimeSpan.FromMinutes(1)) throw new FormatException("transactionBatchWait: 0 to 1m");
        if (PingIntervalSpan < TimeSpan.FromSeconds(1) || PingIntervalSpan > TimeSpan.FromHours(1)) throw new FormatException("pingInterval: 1s to 1h");
        if (DurationSpan <= TimeSpan.Zero || DurationSpan > TimeSpan.FromDays(7)) throw new FormatException("duration: more than 0, at most 7 days");
        if (Outbound is < 1 or > 64 || Inbound is < 1 or > 1024) throw new FormatException("outbound: 1 to 64, inbound: 1 to 1024");
        if (LatencyMs is < 0 or > 10_000 || BandwidthMbps is <= 0 or > 100_000) throw new FormatException("latencyMs: 0 to 10000, bandwidthMbps: more than 0");
        if (ValidationMsPerKb is < 0 or > 1000) throw new FormatException("validationMsPerKb: 0 to 1000");
        if (Jitter is < 0 or > 1) throw new FormatException("jitter: 0 to 1");
        if (Loss is < 0 or > 0.5) throw new FormatException("loss: 0 to 0.5");
        if (TransactionsPerSecond is < 0 or > 100_000) throw new FormatException("transactionsPerSecond: 0 to 100000");
        var model = Model();
        foreach (var (p, i) in Partitions.Select((p, i) => (p, i)))
        {
            var at = ParseDuration(p.At, $"partitions[{i}].at");
            if (p.Heal is { } heal && ParseDuration(heal, $"partitions[{i}].heal") <= at) throw new FormatException($"partitions[{i}].heal: after its 'at'");
            if ((p.Fraction is null) == (p.Regions.Count == 0)) throw new FormatException($"partitions[{i}]: give either fraction (the share of nodes cut off) or regions (the regions cut off)");
            if (p.Fraction is { } f && f is <= 0 or >= 1) throw new FormatException($"partitions[{i}].fraction: between 0 and 1");
            foreach (var r in p.Regions)
                if (!model.Regions.Any(x => x.Name == r)) throw new FormatException($"partitions[{i}].regions: '{r}' is not a region of {model.Name} ({string.Join(", ", model.Regions.Select(x => x.Name))})");
        }
        if (Sweep is { } sw)
        {
            if (sw.Values.Count is 0 or > 50) throw new FormatException("sweep.values: 1 to 50 values");
            foreach (var v in sw.Values) (this with { Sweep = null }).With(sw.Parameter, v).Checked();
        }
        return this;
    }

    /// <summary>The parameters a sweep may vary.</summary>
    public static readonly string[] SweepParameters = ["nodes", "latencyMs", "bandwidthMbps", "jitter", "producers", "blockTime", "transactionsPerSecond", "seed", "selfishShare", "selfishOutbound", "churn", "validationMsPerKb", "maxBlockTransactions", "eclipseAttackers", "outbound", "inbound", "loss"];

    /// <summary>This scenario with one parameter set from a sweep's value.</summary>
    public SimScenario With(string parameter, string value)
    {
        int Int() => int.TryParse(value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : throw new FormatException($"sweep: '{value}' is not a whole number for {parameter}");
        double Real() => double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : throw new FormatException($"sweep: '{value}' is not a number for {parameter}");
        return parameter switch
        {
            "nodes" => this with { Nodes = Int() },
            "latencyMs" => this with { LatencyMs = Int() },
            "bandwidthMbps" => this with { BandwidthMbps = Real() },
            "jitter" => this with { Jitter = Real() },
            "loss" => this with { Loss = Real() },
            "producers" => this with { Producers = Int() },
            "blockTime" => this with { BlockTime = value },
            "transactionsPerSecond" => this with { TransactionsPerSecond = Int() },
            "seed" => this with { Seed = Int() },
            "selfishShare" => this with { SelfishShare = Real() },
            "churn" => this with { Churn = Real() },
            "selfishOutbound" => this with { SelfishOutbound = Int() },
            "validationMsPerKb" => this with { ValidationMsPerKb = Real() },
            "maxBlockTransactions" => this with { MaxBlockTransactions = Int() },
            "eclipseAttackers" => this with { EclipseAttackers = Int() },
            "outbound" => this with { Outbound = Int() },
            "inbound" => this with { Inbound = Int() },
            _ => throw new FormatException($"sweep.parameter: '{parameter}' is not one of {string.Join(", ", SweepParameters)}"),
        };
    }

    /// <summary>Reads and checks a scenario; errors name the line or the field.</summary>
    public static SimScenario Parse(string yaml)
    {
        var reader = new DeserializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).Build();
        SimScenario? s;
        try { s = reader.Deserialize<SimScenario>(yaml); }
        catch (YamlException e)
        {
            throw new FormatException($"line {e.Start.Line}: {(e.InnerException ?? e).Message}");
        }
        return (s ?? new SimScenario()).Checked();
    }

    public static TimeSpan ParseDuration(string text, string field)
    {
        var t = text.Trim();
        (string Suffix, double Ms)[] units = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)];
        foreach (var (suffix, ms) in units)
            if (t.EndsWith(suffix, StringComparison.Ordinal) && double.TryParse(t[..^suffix.Length], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) && v >= 0)
                return TimeSpan.FromMilliseconds(v * ms);
        throw new FormatException($"{field}: '{text}' is not a duration such as 500ms, 2s, 10m or 1h");
    }
}

/// <summary>A split of the network: from `at`, the nodes in `regions` (or the first `fraction` of the nodes) are cut off from the rest, until `heal`.</summary>
public sealed record SimPartition
{
    public string At { get; init; } = "0s";
    public string? Heal { get; init; }
    public double? Fraction { get; init; }
    public List<string> Regions { get; init; } = [];
}

/// <summary>One parameter and the values to run it at.</summary>
public sealed record SimSweep
{
    public string Parameter { get; init; } = "";
    public List<string> Values { get; init; } = [];
}
