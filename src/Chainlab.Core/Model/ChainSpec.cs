using System.Text.Json;
using System.Text.Json.Serialization;
using Chainlab.Core.Crypto;
using Chainlab.Core.Encoding;

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
    /// <summary>Smart contract limits and prices (deploy and invoke transactions).</summary>
    public ContractSpec Contracts { get; init; } = new();
    /// <summary>Initial balances by address text.</summary>
    public Dictionary<string, ulong> Alloc { get; init; } = new();
    /// <summary>Finality (decisions 0007 and 0008): voters vote on checkpoints; null, as in every spec written before, for none.</summary>
    public FinalitySpec? Finality { get; init; }

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
        Consensus.Validate(BlockTimeMs);
        Contracts.Validate();
        Finality?.Validate(Consensus);
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
        Consensus.Write(w);
        w.U64(BlockReward);
        w.U64(MinFee);
        w.U8((byte)FeePolicy);
        w.U32((uint)MaxBlockTransactions);
        w.U64(InclusionDelay);
        Contracts.Write(w);
        var alloc = Alloc.Select(kv => (Address.Parse(kv.Key), kv.Value)).OrderBy(x => x.Item1).ToList();
        w.U32((uint)alloc.Count);
        foreach (var (a, v) in alloc) { w.Address(a); w.U64(v); }
        // Only a spec that switches finality on writes its group, so every spec without it keeps its genesis hash.
        if (Finality is { } f) { w.Text("finality"); w.U64(f.CheckpointInterval); w.U64(f.VoteDepth); }
        return w.ToArray();
    }
}

/// <summary>Consensus settings in the chain spec. Each engine reads its own group of fields.</summary>
public sealed record ConsensusSpec
{
    public static readonly string[] Engines = ["poa", "pos", "pow"];

    /// <summary>"poa", "pos" or "pow".</summary>
    public string Engine { get; init; } = "poa";

    // ---- proof of authority
    /// <summary>Initial authority public keys (hex) in turn order.</summary>
    public List<string> Authorities { get; init; } = new();
    /// <summary>Admin public key (hex): signs authority changes.</summary>
    public string? Admin { get; init; }
    /// <summary>Blocks between an authority change's inclusion and its effect.</summary>
    public ulong ActivationDelay { get; init; } = 3;
    /// <summary>How long into a slot the next authority in order waits before it takes over a silent one (0 = the block time divided by the number of authorities).</summary>
    public ulong TakeoverMs { get; init; }

    // ---- proof of work
    /// <summary>Expected hashes per block at the start (target = 2^64 / difficulty on the top 64 bits of the hash).</summary>
    public ulong InitialDifficulty { get; init; } = 50_000;
    /// <summary>Blocks per difficulty window.</summary>
    public ulong RetargetInterval { get; init; } = 10;

    // ---- proof of stake
    /// <summary>Genesis validators: public key (hex) and bonded stake.</summary>
    public List<GenesisValidator> Validators { get; init; } = new();
    public ulong EpochSlots { get; init; } = 16;
    /// <summary>Expected share of slots with a winner, in millionths (f in the lottery formula).</summary>
    public ulong ActiveSlotsPpm { get; init; } = 600_000;
    /// <summary>A stake counts in the lottery from this many epochs after the epoch it was bonded in.</summary>
    public ulong BondingEpochs { get; init; } = 1;
    /// <summary>Blocks before unstaked coins return to the balance (they can still be slashed until then).</summary>
    public ulong UnbondingBlocks { get; init; } = 20;
    /// <summary>Share of an equivocating validator's stake that is slashed, in millionths.</summary>
    public ulong SlashPpm { get; init; } = 500_000;
    /// <summary>Share of the slashed amount paid to whoever submitted the evidence, in millionths (the rest is burnt).</summary>
    public ulong ReporterPpm { get; init; } = 100_000;

    public void Validate(ulong blockTimeMs)
    {
        if (!Engines.Contains(Engine)) throw new FormatException($"consensus engine '{Engine}' is not available (supported: {string.Join(", ", Engines)})");
        foreach (var a in Authorities.Append(Admin ?? new string('0', 64)).Concat(Validators.Select(v => v.Key)))
            if (a is null || a.Length != 64 || !a.All(Uri.IsHexDigit)) throw new FormatException($"'{a}' is not a 32-byte hex public key");
        switch (Engine)
        {
            case "poa":
                if (Authorities.Count == 0) throw new FormatException("poa needs at least one authority");
                if (Authorities.Distinct(StringComparer.OrdinalIgnoreCase).Count() != Authorities.Count) throw new FormatException("an authority is listed twice");
                if (TakeoverMs > 0 && TakeoverMs * (ulong)(Authorities.Count - 1) >= blockTimeMs)
                    throw new FormatException("takeoverMs times (authorities - 1) must be below the block time");
                break;
            case "pow":
                if (InitialDifficulty == 0) throw new FormatException("initialDifficulty must be positive");
                if (RetargetInterval < 2) throw new FormatException("retargetInterval must be at least 2");
                break;
            case "pos":
                if (Validators.Count == 0 || Validators.All(v => v.Stake == 0)) throw new FormatException("pos needs at least one genesis validator with stake");
                if (Validators.Select(v => v.Key.ToLowerInvariant()).Distinct().Count() != Validators.Count) throw new FormatException("a validator is listed twice");
                if (EpochSlots == 0) throw new FormatException("epochSlots must be positive");
                if (ActiveSlotsPpm is 0 or > 1_000_000) throw new FormatException("activeSlotsPpm must be in 1..1000000");
                if (SlashPpm > 1_000_000 || ReporterPpm > 1_000_000) throw new FormatException("slashPpm and reporterPpm are at most 1000000");
                break;
        }
    }

    public void Write(CanonicalWriter w)
    {
        w.Text(Engine);
        w.U32((uint)Authorities.Count);
        foreach (var a in Authorities) w.Text(a);
        w.Text(Admin ?? "");
        if (Engine == "poa") { w.U64(ActivationDelay); w.U64(TakeoverMs); }
        if (Engine == "pow") { w.U64(InitialDifficulty); w.U64(RetargetInterval); }
        if (Engine == "pos")
        {
            w.U32((uint)Validators.Count);
            foreach (var v in Validators) { w.Text(v.Key.ToLowerInvariant()); w.U64(v.Stake); }
            w.U64(EpochSlots); w.U64(ActiveSlotsPpm); w.U64(BondingEpochs); w.U64(UnbondingBlocks); w.U64(SlashPpm); w.U64(ReporterPpm);
        }
    }
}

/// <summary>
/// Finality, switched on by the spec (decision 0008): the proof-of-stake validators or proof-of-authority
/// authorities vote on checkpoints, the blocks at every multiple of the checkpoint interval, in fee-free vote
/// transactions; a checkpoint voted for by more than two thirds of the weight from a justified one is justified,
/// and a justified checkpoint followed by a justified next one is final (docs/consensus.md, "Finality").
/// </summary>
public sealed record FinalitySpec
{
    /// <summary>The checkpoint interval of a proof-of-authority chain whose finality group names none.</summary>
    public const ulong DefaultPoaInterval = 16;

    /// <summary>Blocks between checkpoints; 0 for the engine's: epochSlots in proof of stake, 16 in proof of authority.</summary>
    public ulong CheckpointInterval { get; init; }
    /// <summary>How many blocks a voter's head must be past a checkpoint before it votes for it.</summary>
    public ulong VoteDepth { get; init; } = 2;

    public void Validate(ConsensusSpec consensus)
    {
        if (consensus.Engine == "pow") throw new FormatException("finality is for proof of stake and proof of authority: proof of work has no voters");
        if (CheckpointInterval is 1 or > 100_000) throw new FormatException("finality.checkpointInterval must be 0 (the engine's) or 2..100000");
        var interval = CheckpointInterval > 0 ? CheckpointInterval : consensus.Engine == "pos" ? consensus.EpochSlots : DefaultPoaInterval;
        if (VoteDepth >= interval) throw new FormatException($"finality.voteDepth must be below the checkpoint interval ({interval})");
    }
}

/// <summary>A validator in the genesis of a proof-of-stake chain.</summary>
public sealed record GenesisValidator(string Key, ulong Stake);

/// <summary>Smart contract settings: every limit that decides a contract's outcome is here, so all nodes agree.</summary>
public sealed record ContractSpec
{
    public bool Enabled { get; init; } = true;
    /// <summary>Coins per unit of gas. A contract transaction's fee field is its gas limit times this.</summary>
    public ulong GasPrice { get; init; } = 1;
    /// <summary>The highest gas limit one transaction (or view call) may set.</summary>
    public ulong MaxGas { get; init; } = 20_000_000;
    /// <summary>The most gas the contract transactions of one block may claim together (the sum of their gas limits).</summary>
    public ulong BlockGas { get; init; } = 200_000_000;
    /// <summary>Memory one transaction's contract frames may hold together, in bytes.</summary>
    public long MemoryBytes { get; init; } = 16 * 1024 * 1024;
    /// <summary>How deep contracts may call each other (the transaction's own call is depth 1).</summary>
    public int CallDepth { get; init; } = 8;
    /// <summary>Largest contract source, in bytes.</summary>
    public int CodeBytes { get; init; } = 48 * 1024;
    /// <summary>Largest encoded value in storage, in a return value or in an event.</summary>
    public int ValueBytes { get; init; } = 16 * 1024;
    /// <summary>Most events one transaction may emit.</summary>
    public int Events { get; init; } = 64;

    public void Validate()
    {
        if (GasPrice == 0) throw new FormatException("contracts.gasPrice must be positive");
        if (MaxGas is < 100_000 or > 1_000_000_000) throw new FormatException("contracts.maxGas must be between 100000 and 1000000000");
        if (MaxGas > ulong.MaxValue / GasPrice) throw new FormatException("contracts.maxGas times contracts.gasPrice must fit in 64 bits");
        if (BlockGas < MaxGas || BlockGas > 100_000_000_000) throw new FormatException("contracts.blockGas must be at least contracts.maxGas and at most 100000000000");
        if (MemoryBytes is < 256 * 1024 or > 1024L * 1024 * 1024) throw new FormatException("contracts.memoryBytes must be between 262144 and 1073741824");
        if (CallDepth is < 1 or > 16) throw new FormatException("contracts.callDepth must be between 1 and 16");
        if (CodeBytes is < 256 or > Limits.MaxPayloadBytes - 1024) throw new FormatException($"contracts.codeBytes must be between 256 and {Limits.MaxPayloadBytes - 1024}");
        if (ValueBytes is < 64 or > 64 * 1024) throw new FormatException("contracts.valueBytes must be between 64 and 65536");
        if (Events is < 0 or > 1024) throw new FormatException("contracts.events must be between 0 and 1024");
    }

    public void Write(CanonicalWriter w)
    {
        w.U8(Enabled ? (byte)1 : (byte)0);
        w.U64(GasPrice); w.U64(MaxGas); w.U64(BlockGas); w.U64((ulong)MemoryBytes);
        w.U32((uint)CallDepth); w.U32((uint)CodeBytes); w.U32((uint)ValueBytes); w.U32((uint)Events);
    }
}
