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
    /// <summary>Each latency varies by up to this fraction either way.</summary>
    public double Jitter { get; init; }
    /// <summary>poa (the engine's own slot clock; pos and pow are for a later version of the simulator).</summary>
    public string Consensus { get; init; } = "poa";
    public int Producers { get; init; } = 4;
    public string BlockTime { get; init; } = "2s";
    public string Duration { get; init; } = "2m";
    public int Outbound { get; init; } = 8;
    public int Inbound { get; init; } = 32;
    /// <summary>Signed transfers sent to random nodes each simulated second.</summary>
    public int TransactionsPerSecond { get; init; }

    public TimeSpan BlockTimeSpan => ParseDuration(BlockTime, "blockTime");
    public TimeSpan DurationSpan => ParseDuration(Duration, "duration");

    public InternetModel Model()
    {
        var model = Internet == "uniform"
            ? InternetModel.Uniform(TimeSpan.FromMilliseconds(LatencyMs), (long)(BandwidthMbps * 1_000_000))
            : InternetModel.Presets.TryGetValue(Internet, out var m) ? m
            : throw new FormatException($"internet: '{Internet}' is not one of uniform, {string.Join(", ", InternetModel.Presets.Keys)}");
        return Jitter > 0 ? model.WithJitter(Jitter) : model;
    }

    /// <summary>Every rule a scenario must meet, with the field named; throws FormatException.</summary>
    public SimScenario Checked()
    {
        if (Nodes is < 2 or > 20_000) throw new FormatException("nodes: 2 to 20000");
        if (Consensus != "poa") throw new FormatException($"consensus: '{Consensus}' is not simulated yet (poa is)");
        if (Producers < 1 || Producers > Nodes) throw new FormatException("producers: 1 to the number of nodes");
        if (BlockTimeSpan < TimeSpan.FromMilliseconds(100)) throw new FormatException("blockTime: at least 100ms");
        if (DurationSpan <= TimeSpan.Zero || DurationSpan > TimeSpan.FromDays(7)) throw new FormatException("duration: more than 0, at most 7 days");
        if (Outbound is < 1 or > 64 || Inbound is < 1 or > 1024) throw new FormatException("outbound: 1 to 64, inbound: 1 to 1024");
        if (LatencyMs is < 0 or > 10_000 || BandwidthMbps is <= 0 or > 100_000) throw new FormatException("latencyMs: 0 to 10000, bandwidthMbps: more than 0");
        if (Jitter is < 0 or > 1) throw new FormatException("jitter: 0 to 1");
        if (TransactionsPerSecond is < 0 or > 100_000) throw new FormatException("transactionsPerSecond: 0 to 100000");
        Model();
        return this;
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

    private static TimeSpan ParseDuration(string text, string field)
    {
        var t = text.Trim();
        (string Suffix, double Ms)[] units = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)];
        foreach (var (suffix, ms) in units)
            if (t.EndsWith(suffix, StringComparison.Ordinal) && double.TryParse(t[..^suffix.Length], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) && v >= 0)
                return TimeSpan.FromMilliseconds(v * ms);
        throw new FormatException($"{field}: '{text}' is not a duration such as 500ms, 2s, 10m or 1h");
    }
}
