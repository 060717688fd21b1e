using System.Text.Json;
using System.Text.Json.Serialization;
using Chainlab.Core.Crypto;
using Chainlab.Core.Encoding;
using Chainlab.Core.State;

namespace Chainlab.Core.Model;

/// <summary>
/// Everything that defines a chain. Stored as JSON; the genesis block commits to the canonical
/// bytes of the spec, so two nodes with different specs have different genesis hashes.
/// </summary>
public sealed record ChainSpec
{
    public required string ChainId { get; init; }
    public ulong GenesisTimeMs { get; init; }
    public ulong BlockTimeMs { get; init; } = 2000;
    public required ConsensusSpec Consensus { get; init; }
    public ulong BlockReward { get; init; }
    public ulong MinFee { get; init; } = 1;
    public FeePolicy FeePolicy { get; init; } = FeePolicy.Producer;
    public int MaxBlockTransactions { get; init; } = 50_000;
    public ulong InclusionDelay { get; init; }
    /// <summary>Initial balances by address text.</summary>
    public Dictionary<string, ulong> Alloc { get; init; } = new();

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Parses and validates a spec; the exception message names the problem.</summary>
    public static ChainSpec FromJson(string json)
    {
        ChainSpec? spec;
        try { spec = JsonSerializer.Deserialize<ChainSpec>(json, Json); }
        catch (JsonException e) { throw new FormatException($"chain spec is not valid: {e.Message}"); }
        if (spec is null) throw new FormatException("chain spec is empty");
        spec.Validate();
        return spec;
    }

    public void Validate()
    {
        if (string.IsNullOrEmpty(ChainId) || System.Text.Encoding.UTF8.GetByteCount(ChainId) > Limits.MaxChainIdBytes)
            throw new FormatException($"chainId must be 1..{Limits.MaxChainIdBytes} bytes");
        if (BlockTimeMs is < 50 or > 3_600_000) throw new FormatException("blockTimeMs must be between 50 and 3600000");
        if (MaxBlockTransactions is < 1 or > Limits.MaxBlockTransactions)
            throw new FormatException($"maxBlockTransactions must be between 1 and {Limits.MaxBlockTransactions}");
        Consensus.Validate();
        ulong total = 0;
        foreach (var (addr, bal) in Alloc)
        {
            if (!Address.TryParse(addr, out _, out var err)) throw new FormatException($"alloc: {err}");
            total += bal;
            if (total < bal) throw new FormatException("alloc balances overflow a u64");
        }
    }

    /// <summary>The canonical bytes the genesis block commits to.</summary>
    public byte[] CanonicalBytes()
    {
        var w = new CanonicalWriter();
        w.Text("chainlab/spec/v1");
        w.Text(ChainId);
        w.U64(GenesisTimeMs);
        w.U64(BlockTimeMs);
        w.Text(Consensus.Engine);
        w.U32((uint)Consensus.Authorities.Count);
        foreach (var a in Consensus.Authorities) w.Text(a);
        w.Text(Consensus.Admin ?? "");
        w.U64(BlockReward);
        w.U64(MinFee);
        w.U8((byte)FeePolicy);
        w.U32((uint)MaxBlockTransactions);
        w.U64(InclusionDelay);
        var alloc = Alloc.Select(kv => (Address.Parse(kv.Key), kv.Value)).OrderBy(x => x.Item1).ToList();
        w.U32((uint)alloc.Count);
        foreach (var (a, v) in alloc) { w.Address(a); w.U64(v); }
        return w.ToArray();
    }

    /// <summary>The genesis state: allocations applied to an empty world.</summary>
    public WorldState GenesisState()
    {
        var s = new WorldState();
        foreach (var (addr, bal) in Alloc) s.Put(Address.Parse(addr), new Account(bal, 0, 0));
        return s;
    }

    /// <summary>The genesis block: height 0, no parent, seal = SHA-256 of the canonical spec.</summary>
    public Block GenesisBlock()
    {
        var header = new BlockHeader(0, Hash.Zero, GenesisTimeMs, new byte[32], Hash.Zero, GenesisState().Root,
            Hash.Zero, 0, Hash.Sha256(CanonicalBytes()).ToArray());
        return new Block(header, [], []);
    }
}

/// <summary>Consensus settings in the chain spec.</summary>
public sealed record ConsensusSpec
{
    /// <summary>"poa" today; "pow" and "pos" come with their engines.</summary>
    public string Engine { get; init; } = "poa";
    /// <summary>Authority public keys (hex) in turn order.</summary>
    public List<string> Authorities { get; init; } = new();
    /// <summary>Admin public key (hex) that will manage authorities.</summary>
    public string? Admin { get; init; }

    public void Validate()
    {
        if (Engine != "poa") throw new FormatException($"consensus engine '{Engine}' is not available (supported: poa)");
        if (Authorities.Count == 0) throw new FormatException("poa needs at least one authority");
        foreach (var a in Authorities.Append(Admin ?? new string('0', 64)))
            if (a.Length != 64 || !a.All(Uri.IsHexDigit)) throw new FormatException($"'{a}' is not a 32-byte hex public key");
    }
}
