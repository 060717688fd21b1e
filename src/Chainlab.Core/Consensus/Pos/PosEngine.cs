using System.Buffers.Binary;
using System.Numerics;
using Chainlab.Core.Crypto;
using Chainlab.Core.Encoding;
using Chainlab.Core.Model;
using Chainlab.Core.State;

namespace Chainlab.Core.Consensus.Pos;

/// <summary>
/// Proof of stake with a private VRF lottery. Time is cut into slots (one block time) and epochs of
/// <c>epochSlots</c> slots. At the first block of an epoch the record takes a snapshot of the active stakes
/// and derives the epoch randomness R from the running mix of VRF outputs. In slot s, validator i with
/// snapshot stake S_i out of a total S computes (pi, beta) = VRF(sk_i, "chainlab/pos/slot" ‖ R ‖ s) and
/// may produce when
/// <code>
///   top64(beta) &lt; floor(2^64 · f · S_i / S)        f = activeSlotsPpm / 10^6
/// </code>
/// so its chance per slot is f · S_i / S: the expected number of winners per slot is f, a validator's
/// share of wins equals its stake share, and empty slots and several winners both happen. Seal = claimed
/// stake u64 ‖ VRF proof (80) ‖ Ed25519 signature over the header and both. A block weighs its producer's
/// stake, so fork choice follows the branch with the most stake behind it. Each block's beta is mixed into
/// the record: mix' = SHA-256(mix ‖ beta).
/// </summary>
public sealed class PosEngine(ChainSpec spec) : IConsensusEngine
{
    public const int PrefixSize = 8 + Vrf.ProofSize;
    private readonly SlotClock _clock = new(spec.GenesisTimeMs, spec.BlockTimeMs);

    public string Name => "pos";
    public ulong TickMs => spec.BlockTimeMs;

    public ulong EpochOf(ulong slot) => slot / spec.Consensus.EpochSlots;

    /// <summary>Stake and unstake with bonding and unbonding, and equivocation evidence.</summary>
    public IReadOnlyList<Execution.ITransactionRules> TransactionRules { get; } = [new PosStakeRules(), new PosUnstakeRules(), new EvidenceRules()];

    public void InitGenesis(WorldState state)
    {
        var seed = Hash.Sha256([.. "chainlab/pos/genesis"u8, .. System.Text.Encoding.UTF8.GetBytes(spec.ChainId)]).ToArray();
        var rec = new StakeRecord { Epoch = 0, Mix = seed, Randomness = seed };
        foreach (var v in spec.Consensus.Validators.Where(v => v.Stake > 0))
        {
            var key = Convert.FromHexString(v.Key);
            rec.Validators.Add(new ValidatorEntry { Key = key, Active = v.Stake });
            rec.Snapshot.Add((key, v.Stake));
            var addr = Address.FromPublicKey(key);
            var acc = state.Get(addr);
            state.Put(addr, acc with { Stake = acc.Stake + v.Stake });
        }
        state.Put(SystemAccounts.Validators, new Account(0, 0, 0, rec.Encode()));
    }

    public static byte[] Alpha(ReadOnlySpan<byte> randomness, ulong slot)
    {
        var w = new CanonicalWriter(64);
        w.Fixed("chainlab/pos/slot"u8);
        w.Fixed(randomness);
        w.U64(slot);
        return w.ToArray();
    }

    /// <summary>floor(2^64 · f · stake / total), f = activePpm / 10^6.</summary>
    public static ulong Threshold(ulong stake, ulong total, ulong activePpm)
    {
        if (total == 0 || stake == 0) return 0;
        var t = (BigInteger.One << 64) * activePpm * stake / ((BigInteger)1_000_000 * total);
        return t > ulong.MaxValue ? ulong.MaxValue : (ulong)t;
    }

    public static bool Wins(ReadOnlySpan<byte> beta, ulong threshold) => BinaryPrimitives.ReadUInt64BigEndian(beta) < threshold;

    /// <summary>The record as it stands for a slot: advanced to the slot's epoch when the state is still in an earlier one.</summary>
    public StakeRecord ViewFor(IAccountReader state, ulong slot) => StakeRecord.Read(state).AdvanceTo(EpochOf(slot));

    public Claim? TryClaim(BlockHeader parent, IAccountReader parentState, ulong nowMs, KeyPair key)
    {
        var slot = _clock.SlotAt(nowMs);
        if (slot <= _clock.SlotAt(parent.TimestampMs)) return null;
        var rec = ViewFor(parentState, slot);
        var stake = rec.SnapshotStake(key.PublicKey);
        if (stake == 0) return null;
        var proof = Vrf.Prove(key.Seed, Alpha(rec.Randomness, slot));
        if (!Wins(Vrf.ProofToHash(proof)!, Threshold(stake, rec.SnapshotTotal, spec.Consensus.ActiveSlotsPpm))) return null;
        var prefix = new byte[PrefixSize];
        BinaryPrimitives.WriteUInt64BigEndian(prefix, stake);
        proof.CopyTo(prefix, 8);
        return new Claim(_clock.StartOf(slot), prefix);
    }

    public byte[]? Seal(BlockHeader draft, KeyPair key, CancellationToken ct) => SignedSeal.Sign(draft, key);

    /// <summary>One block per slot at most, and a block may be one slot early (the import tolerance).</summary>
    public ulong? MaxHeightAt(ulong nowMs) => _clock.SlotAt(nowMs + spec.BlockTimeMs);

    public string? VerifySeal(BlockHeader header, BlockHeader parent)
    {
        if (!_clock.IsSlotStart(header.TimestampMs)) return "timestamp is not the start of a slot";
        if (_clock.SlotAt(header.TimestampMs) <= _clock.SlotAt(parent.TimestampMs)) return "slot is not after the parent's";
        return SignedSeal.Verify(header, PrefixSize);
    }

    public string? VerifyProducer(BlockHeader header, BlockHeader parent, IAccountReader parentState)
    {
        var slot = _clock.SlotAt(header.TimestampMs);
        var rec = ViewFor(parentState, slot);
        var stake = rec.SnapshotStake(header.Producer);
        if (stake == 0) return $"producer is not a validator in epoch {rec.Epoch}";
        var claimed = BinaryPrimitives.ReadUInt64BigEndian(header.Seal);
        if (claimed != stake) return $"seal claims stake {claimed}, the producer has {stake} in epoch {rec.Epoch}";
        var beta = Vrf.Verify(header.Producer, header.Seal.AsSpan(8, Vrf.ProofSize), Alpha(rec.Randomness, slot));
        if (beta is null) return $"VRF proof is not valid for slot {slot}";
        if (!Wins(beta, Threshold(stake, rec.SnapshotTotal, spec.Consensus.ActiveSlotsPpm))) return $"VRF output does not win slot {slot}";
        return null;
    }

    public ulong Weight(BlockHeader header, BlockHeader parent) =>
        header.Seal.Length >= 8 ? Math.Max(1UL, BinaryPrimitives.ReadUInt64BigEndian(header.Seal)) : 1UL;

    /// <summary>A block in a later epoch first moves the record there: bonds due become active, the snapshot and randomness are renewed.</summary>
    public void BeginBlock(StateOverlay state, BlockHeader header)
    {
        var epoch = EpochOf(_clock.SlotAt(header.TimestampMs));
        var rec = StakeRecord.Read(state);
        if (epoch > rec.Epoch) rec.AdvanceTo(epoch).Write(state);
    }

    public void EndBlock(StateOverlay state, BlockHeader header)
    {
        var rec = StakeRecord.Read(state);
        if (Vrf.ProofToHash(header.Seal.AsSpan(8, Vrf.ProofSize)) is { } beta)
            rec.Mix = Hash.Sha256([.. rec.Mix, .. beta]).ToArray();
        foreach (var v in rec.Validators)
        {
            ulong released = 0;
            foreach (var u in v.Unbonding.Where(u => u.ReleaseHeight <= header.Height)) released += u.Amount;
            if (released == 0) continue;
            v.Unbonding.RemoveAll(u => u.ReleaseHeight <= header.Height);
            var addr = Address.FromPublicKey(v.Key);
            var acc = state.Get(addr);
            state.Set(addr, acc with { Balance = acc.Balance + released });
        }
        rec.Validators.RemoveAll(v => v.Total == 0);
        rec.Write(state);
    }

    public object Describe(BlockHeader head, IAccountReader state, ulong nowMs)
    {
        var slot = Math.Max(_clock.SlotAt(nowMs), _clock.SlotAt(head.TimestampMs) + 1);
        var rec = ViewFor(state, slot);
        var total = rec.SnapshotTotal;
        return new
        {
            epoch = rec.Epoch,
            slot,
            epochSlots = spec.Consensus.EpochSlots,
            randomness = Convert.ToHexStringLower(rec.Randomness),
            totalStake = total,
            validators = rec.Validators.Select(v => new
            {
                key = Convert.ToHexStringLower(v.Key),
                address = Address.FromPublicKey(v.Key).ToString(),
                epochStake = rec.SnapshotStake(v.Key),
                active = v.Active,
                bonding = v.Bonding.Select(b => new { amount = b.Amount, fromEpoch = b.Epoch }).ToList(),
                unbonding = v.Unbonding.Select(u => new { amount = u.Amount, releaseHeight = u.ReleaseHeight }).ToList(),
                winChancePerSlot = total == 0 ? 0 : spec.Consensus.ActiveSlotsPpm / 1e6 * rec.SnapshotStake(v.Key) / total,
            }).ToList(),
            slashed = rec.Slashed.Select(s => new { key = Convert.ToHexStringLower(s.Key), slot = s.Slot }).ToList(),
        };
    }

    // ---- stake, unstake and evidence transactions

    public static byte[] EvidencePayload(BlockHeader a, BlockHeader b)
    {
        var w = new CanonicalWriter();
        w.Bytes(a.Encode());
        w.Bytes(b.Encode());
        return w.ToArray();
    }

    internal static (BlockHeader A, BlockHeader B)? ParseEvidence(byte[] payload, out string error)
    {
        try
        {
            var r = new CanonicalReader(payload);
            var a = BlockHeader.Decode(r.Bytes(Limits.MaxHeaderBytes, "first header"));
            var b = BlockHeader.Decode(r.Bytes(Limits.MaxHeaderBytes, "second header"));
            r.EnsureEnd("evidence");
            error = "";
            return (a, b);
        }
        catch (DecodeException e) { error = "evidence does not decode: " + e.Message; return null; }
    }
}
