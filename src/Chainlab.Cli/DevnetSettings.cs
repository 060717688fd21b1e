using System.Text.Json;

namespace Chainlab.Cli;

/// <summary>Choices made when a devnet was created that later runs must keep (devnet.json).</summary>
public sealed record DevnetSettings
{
    /// <summary>
    /// The PostgreSQL connection string, kept in keys/postgres (mode 0600) and never in devnet.json, which
    /// anyone may read; devnet.json files written before that still hold it and are moved on the next save.
    /// </summary>
    public string? Postgres { get; init; }
    public int Nodes { get; init; } = 1;
    /// <summary>The consensus engine the devnet was created with.</summary>
    public string Consensus { get; init; } = "poa";

    /// <summary>Misbehaviours by node number for this run (`devnet up --malicious 3=invalid-tx`); not kept in devnet.json.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyDictionary<int, IReadOnlyList<string>> Malicious { get; init; } = new Dictionary<int, IReadOnlyList<string>>();

    /// <summary>Defences switched off on the honest nodes for this run (scenario tests only); not kept in devnet.json.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<string> DisabledDefences { get; init; } = [];

    /// <summary>
    /// PoW: each miner's share of the hash power in per cent (node 1 first, summing to 100), or null for miners
    /// that go as fast as their core lets them. With shares, node n mines at most share × <see cref="HashBudget"/>
    /// / 100 hashes per second (--mine-rate) and the chain starts at the difficulty that budget meets in one
    /// block time, so the shares hold however busy the machine is.
    /// </summary>
    public IReadOnlyList<int>? HashPower { get; init; }

    /// <summary>The hashes per second all the miners of a devnet with hash power shares try together: a small part of one core.</summary>
    public const long HashBudget = 200_000;

    /// <summary>The --mine-rate of node n, or null when the devnet does not share out hash power.</summary>
    public long? MineRate(int n) => HashPower is { } shares && n <= shares.Count ? Math.Max(1, shares[n - 1] * HashBudget / 100) : null;

    /// <summary>What is wrong with a list of hash power shares for a devnet of this engine and size, or null.</summary>
    public static string? HashPowerProblem(IReadOnlyList<int>? shares, string consensus, int nodes)
    {
        if (shares is null) return null;
        if (consensus != "pow") return "hash power is for proof of work (pow)";
        if (shares.Count != nodes) return $"give one share per node: {nodes}, not {shares.Count}";
        if (shares.Any(s => s is < 1 or > 99)) return "each share is a per cent, 1..99";
        if (shares.Sum() != 100) return $"the shares must add up to 100, not {shares.Sum()}";
        return null;
    }

    /// <summary>PoA: nodes 1 to this many are authorities (node 1 is also the admin); the others follow.</summary>
    public int Authorities { get; init; } = 1;

    /// <summary>What node n does: in PoA nodes 1..Authorities are authorities (one by default); in PoS every node validates, in PoW every node mines.</summary>
    public string Role(int n) => Consensus switch { "pos" => "validator", "pow" => "miner", _ => n <= Math.Max(1, Authorities) ? "authority" : "follower" };

    /// <summary>Key file of node n's producer key, or null for a follower.</summary>
    public string? KeyFile(string root, int n) =>
        n == 1 ? Path.Combine(root, "keys", "node.json") : Consensus == "poa" && n > Authorities ? null : Path.Combine(root, "keys", $"node{n}.json");
    /// <summary>API port of node 1; node i listens on ApiPort + i - 1.</summary>
    public int ApiPort { get; init; } = 7700;
    /// <summary>Peer port of node 1; node i listens on P2PPort + i - 1.</summary>
    public int P2PPort { get; init; } = 30300;
    /// <summary>Distinguishes this devnet's PostgreSQL schemas from other devnets' in the same database.</summary>
    public string Id { get; init; } = Guid.NewGuid().ToString("n")[..8];

    /// <summary>The PostgreSQL schema that holds node n of this devnet.</summary>
    public string NodeSchema(int n) => $"chainlab_{Id}_node{n}";

    /// <summary>The schema holding node n's copy in snapshot 'name'.</summary>
    public string SnapshotSchema(string name, int n) => $"chainlab_{Id}_snap_{name}_node{n}";

    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private static string PostgresFile(string root) => Path.Combine(root, "keys", "postgres");

    public const string FileName = "devnet.json";

    /// <summary>Does this folder look like a devnet (its chain spec, and its settings or its node key)? Only such a folder is ever deleted.</summary>
    public static bool IsDevnet(string root) =>
        File.Exists(Path.Combine(root, Chainlab.Node.Hosting.NodeCore.SpecFileName))
        && (File.Exists(Path.Combine(root, FileName)) || File.Exists(Path.Combine(root, "keys", "node.json")));

    public static DevnetSettings Load(string root)
    {
        var path = Path.Combine(root, FileName);
        if (!File.Exists(path)) return new DevnetSettings();
        DevnetSettings settings;
        try { settings = JsonSerializer.Deserialize<DevnetSettings>(File.ReadAllText(path), Options) ?? new DevnetSettings(); }
        catch (JsonException e) { throw new CliException($"{path} is damaged: {e.Message}", ExitCodes.BadInput); }
        if (settings.Postgres is null && File.Exists(PostgresFile(root)))
            settings = settings with { Postgres = File.ReadAllText(PostgresFile(root)) };
        return settings;
    }

    public void Save(string root)
    {
        Directory.CreateDirectory(root);
        var secret = PostgresFile(root);
        if (File.Exists(secret)) File.Delete(secret);
        if (Postgres is { } pg)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(secret)!);
            PrivateFile.CreateNew(secret, pg);
        }
        File.WriteAllText(Path.Combine(root, FileName), JsonSerializer.Serialize(this with { Postgres = null }, Options));
    }
}
