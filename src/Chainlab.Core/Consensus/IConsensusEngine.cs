using Chainlab.Core.Crypto;
using Chainlab.Core.Model;

namespace Chainlab.Core.Consensus;

/// <summary>
/// What a consensus engine decides: who may produce on a parent at a slot, how a header is sealed,
/// whether a seal is valid, and how much a block weighs in fork choice.
/// </summary>
public interface IConsensusEngine
{
    string Name { get; }

    /// <summary>May the holder of producerKey seal a child of parent in this slot?</summary>
    bool IsEligible(BlockHeader parent, ulong slot, ReadOnlySpan<byte> producerKey);

    /// <summary>Seals a header whose Seal field is still empty.</summary>
    byte[] Seal(BlockHeader unsealed, KeyPair key);

    /// <summary>Checks the header's seal and producer against its parent; null when valid, else the reason.</summary>
    string? VerifySeal(BlockHeader header, BlockHeader parent);

    /// <summary>
    /// The block's contribution to its branch weight; fork choice follows the heaviest branch (ties go to
    /// the lower tip hash, so every node picks the same one). Called only for headers whose seal is valid.
    /// </summary>
    ulong Weight(BlockHeader header, BlockHeader parent);
}
