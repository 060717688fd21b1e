using Chainlab.Cli.Devnets;
using Chainlab.Cli.Commands;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Chainlab.Cli.Scenarios;

/// <summary>
/// A scenario file (YAML): the network, the load, timed faults, malicious nodes and the invariants to check.
/// docs/scenarios.md describes every field; scenarios/ holds the library.
/// </summary>
public sealed class Scenario
{
    public string Name { get; set; } = "";
    public string About { get; set; } = "";
    public NetworkPart Network { get; set; } = new();
    public LoadPart Load { get; set; } = new();
    /// <summary>How long load and faults run.</summary>
    public string Duration { get; set; } = "30s";
    /// <summary>Time after the load stops for the network to settle before the final checks.</summary>
    public string Settle { get; set; } = "10s";
    public List<MaliciousPart> Malicious { get; set; } = new();
    public List<FaultPart> Faults { get; set; } = new();
    public List<InvariantPart> Invariants { get; set; } = new();
    /// <summary>Switches a defence off on every honest node, so tests can prove that a check catches its absence.</summary>
    public TestOnlyPart? TestOnly { get; set; }

    public sealed class NetworkPart
    {
        public int Nodes { get; set; } = 4;
        public string Consensus { get; set; } = "poa";
        /// <summary>poa: nodes 1..N are authorities (default 1).</summary>
        public int Authorities { get; set; } = 1;
        public string BlockTime { get; set; } = "1s";
        /// <summary>sqlite (default) or postgres (needs `scenario run --db-postgres`).</summary>
        public string Backend { get; set; } = "sqlite";
        /// <summary>pow: each miner's share of the hash power in per cent, node 1 first (DevnetSettings.HashPower).</summary>
        public List<int>? HashPower { get; set; }
        /// <summary>pos, poa: switch finality on (a checkpoint every 8 blocks).</summary>
        public bool Finality { get; set; }
    }

    public sealed class LoadPart
    {
        /// <summary>Transactions per second submitted to the honest nodes in turn.</summary>
        public double Rate { get; set; } = 10;
        /// <summary>transfer (the only mix so far).</summary>
        public string Mix { get; set; } = "transfer";
    }

    public sealed class MaliciousPart
    {
        public int Node { get; set; }
        public List<string> Behaviours { get; set; } = new();
    }

    public sealed class FaultPart
    {
        public string At { get; set; } = "0s";
        public string Action { get; set; } = "";
        public List<int>? Nodes { get; set; }
        public List<List<int>>? Groups { get; set; }
        public List<int>? Bridge { get; set; }
        public string? Delay { get; set; }
        public string? Jitter { get; set; }
        public double Loss { get; set; }
        /// <summary>skew: e.g. 30s, or -30s.</summary>
        public string? By { get; set; }
        /// <summary>misbehave: the misbehaviours the nodes restart with (none: honest again).</summary>
        public List<string>? Behaviours { get; set; }
    }

    public sealed class InvariantPart
    {
        public string Check { get; set; } = "";
        public int Depth { get; set; } = 2;
        public string? Within { get; set; }
        public string? MaxGap { get; set; }
        /// <summary>malicious-banned: the honest nodes that must ban (default: every honest node linked to a malicious one).
        /// An attack that only lies when asked (sync poisoning) reaches only the nodes that ask.</summary>
        public List<int>? By { get; set; }
        /// <summary>A check that finds nothing to test fails the run (otherwise it is reported as not exercised and the run may pass).</summary>
        public bool MustExercise { get; set; }
    }

    public sealed class TestOnlyPart
    {
        public List<string> DisableDefence { get; set; } = new();
    }

    public TimeSpan DurationSpan => Span(Duration, "duration");
    public TimeSpan SettleSpan => Span(Settle, "settle");
    public ulong BlockTimeMs => Global.ParseDurationMs(Network.BlockTime, "network.blockTime");

    internal static TimeSpan Span(string text, string what) => TimeSpan.FromMilliseconds(Global.ParseDurationMs(text, what));

    /// <summary>The fault as the devnet applies it.</summary>
    public static FaultCommand Command(FaultPart f)
    {
        var skew = f.By is { } b ? Global.ParseSignedDurationMs(b, "by") : 0;
        return new FaultCommand(f.Action, f.Nodes, f.Groups?.Select(g => (IReadOnlyList<int>)g).ToList(), f.Bridge,
            f.Delay is { } d ? Global.ParseDurationMs(d, "delay") : 0, f.Jitter is { } j ? Global.ParseDurationMs(j, "jitter") : 0, f.Loss, skew, f.Behaviours);
    }

    /// <summary>Reads and checks a scenario file; every mistake is a CliException naming the field.</summary>
    public static Scenario Read(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new CliException($"cannot read {path}: {e.Message}", ExitCodes.BadInput); }
        if (text.Length > 1024 * 1024) throw new CliException($"{path}: a scenario file is at most 1 MiB", ExitCodes.BadInput);
        Scenario s;
        try
        {
            s = new DeserializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).Build().Deserialize<Scenario>(text)
                ?? throw new CliException($"{path} is empty", ExitCodes.BadInput);
        }
        catch (YamlException e)
        {
            var inner = e.InnerException?.Message is { } m ? $": {m}" : "";
            // "Property 'x' not found on type 'Chainlab.Cli.Scenarios.Scenario+NetworkPart'" names our classes: say it in the file's words.
            var said = System.Text.RegularExpressions.Regex.Replace(e.Message + inner, @"Property '([^']+)' not found on type '[^']+'\.?", "unknown field '$1'");
            throw new CliException($"{path}: line {e.Start.Line}, column {e.Start.Column}: {said}", ExitCodes.BadInput);
        }
        if (string.IsNullOrWhiteSpace(s.Name)) s.Name = Path.GetFileNameWithoutExtension(path);
        s.Validate(path);
        return s;
    }

    private void Validate(string path)
    {
        CliException Bad(string what) => new($"{path}: {what}", ExitCodes.BadInput);
        if (!System.Text.RegularExpressions.Regex.IsMatch(Name, "^[a-z0-9][a-z0-9-]{0,63}$")) throw Bad("name must be lower-case letters, digits and dashes");
        if (Network.Nodes is < 1 or > 16) throw Bad("network.nodes must be 1..16");
        if (!Chainlab.Core.Model.ConsensusSpec.Engines.Contains(Network.Consensus)) throw Bad($"network.consensus must be one of {string.Join(", ", Chainlab.Core.Model.ConsensusSpec.Engines)}");
        if (Network.Backend is not ("sqlite" or "postgres")) throw Bad("network.backend must be sqlite or postgres");
        if (Network.Authorities < 1 || Network.Authorities > Network.Nodes) throw Bad($"network.authorities must be 1..{Network.Nodes} (the number of nodes)");
        if (Network.Authorities > 1 && Network.Consensus != "poa") throw Bad("network.authorities is for consensus poa");
        if (BlockTimeMs < 100) throw Bad("network.blockTime must be at least 100ms");
        if (Network.Finality && Network.Consensus == "pow") throw Bad("network.finality is for pos and poa: proof of work has no voters");
        if (DevnetSettings.HashPowerProblem(Network.HashPower, Network.Consensus, Network.Nodes) is { } hp) throw Bad($"network.hashPower: {hp}");
        if (Load.Rate is < 0 or > 2000) throw Bad("load.rate must be 0..2000 transactions per second");
        if (Load.Mix != "transfer") throw Bad("load.mix must be transfer");
        if (DurationSpan < TimeSpan.FromSeconds(1) || DurationSpan > TimeSpan.FromHours(2)) throw Bad("duration must be 1s..2h");
        if (SettleSpan > TimeSpan.FromMinutes(10)) throw Bad("settle must be at most 10m");
        foreach (var m in Malicious)
        {
            if (m.Node < 1 || m.Node > Network.Nodes) throw Bad($"malicious: no node {m.Node} (1..{Network.Nodes})");
            try { Chainlab.Node.Adversary.Misbehaviours.Parse(m.Behaviours); }
            catch (ArgumentException e) { throw Bad($"malicious node {m.Node}: {e.Message}"); }
        }
        if (Malicious.Select(m => m.Node).Distinct().Count() == Network.Nodes) throw Bad("at least one node must be honest");
        foreach (var f in Faults)
        {
            if (Span(f.At, "at") > DurationSpan) throw Bad($"fault at {f.At} is after the end ({Duration})");
            DevnetFaults.Validate(Command(f), Network.Nodes);
        }
        foreach (var i in Invariants)
        {
            if (!Checks.Known.Contains(i.Check)) throw Bad($"unknown invariant '{i.Check}' ({string.Join(", ", Checks.Known)})");
            if (i.Depth is < 0 or > 1000) throw Bad($"{i.Check}: depth must be 0..1000");
            if (i.Within is { } w) Span(w, $"{i.Check}.within");
            if (i.MaxGap is { } g) Span(g, $"{i.Check}.maxGap");
            foreach (var n in i.By ?? [])
                if (n < 1 || n > Network.Nodes || Malicious.Any(m => m.Node == n)) throw Bad($"{i.Check}.by: node {n} is not an honest node of this scenario");
        }
        foreach (var d in TestOnly?.DisableDefence ?? [])
            if (!Chainlab.Node.Hosting.Defences.Names.Contains(d)) throw Bad($"testOnly.disableDefence: unknown defence '{d}' ({string.Join(", ", Chainlab.Node.Hosting.Defences.Names)})");
    }
}
