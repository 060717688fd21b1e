using Chainlab.Core.Crypto;
using Chainlab.Core.Model;

namespace Chainlab.Core.Consensus.Poa;

/// <summary>
/// Proof of authority: authorities take slots in turn (slot mod n); the in-turn authority signs the
/// header with its Ed25519 key. Managed authority sets and silent-authority takeover build on this.
/// </summary>
public sealed class PoaEngine : IConsensusEngine
{
    private readonly byte[][] _authorities;
    private readonly SlotClock _clock;

    public PoaEngine(ChainSpec spec)
    {
        _authorities = spec.Consensus.Authorities.Select(Convert.FromHexString).ToArray();
        _clock = new SlotClock(spec.GenesisTimeMs, spec.BlockTimeMs);
    }

    public string Name => "poa";
    public IReadOnlyList<byte[]> Authorities => _authorities;

    public byte[] InTurn(ulong slot) => _authorities[(int)(slot % (ulong)_authorities.Length)];

    public bool IsEligible(BlockHeader parent, ulong slot, ReadOnlySpan<byte> producerKey) =>
        slot > _clock.SlotAt(parent.TimestampMs) && InTurn(slot).AsSpan().SequenceEqual(producerKey);

    public byte[] Seal(BlockHeader unsealed, KeyPair key) => key.Sign(unsealed.SealingMessage());

    public string? VerifySeal(BlockHeader header, BlockHeader parent)
    {
        if (!_clock.IsSlotStart(header.TimestampMs)) return "timestamp is not the start of a slot";
        var slot = _clock.SlotAt(header.TimestampMs);
        if (header.TimestampMs <= parent.TimestampMs) return "timestamp is not after the parent's";
        if (!_authorities.Any(a => a.AsSpan().SequenceEqual(header.Producer))) return "producer is not an authority";
        if (!InTurn(slot).AsSpan().SequenceEqual(header.Producer)) return $"producer is not the in-turn authority for slot {slot}";
        if (header.Seal.Length != Ed25519.SignatureSize) return $"seal must be a {Ed25519.SignatureSize}-byte signature";
        if (!Ed25519.Verify(header.Producer, header.SealingMessage(), header.Seal)) return "seal signature is invalid";
        return null;
    }

    /// <summary>In-turn blocks weigh 2 and out-of-turn ones 1, so fork choice prefers the branch sealed in turn.</summary>
    public ulong Weight(BlockHeader header, BlockHeader parent) =>
        InTurn(_clock.SlotAt(header.TimestampMs)).AsSpan().SequenceEqual(header.Producer) ? 2UL : 1UL;
}
