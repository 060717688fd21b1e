using Chainlab.Core.Crypto;

namespace Chainlab.Core.Merkle;

/// <summary>An inclusion proof: the leaf's index, the tree size and the sibling path bottom-up.</summary>
public sealed record MerkleProof(int Index, int LeafCount, IReadOnlyList<Hash> Path);
