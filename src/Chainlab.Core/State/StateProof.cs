using Chainlab.Core.Crypto;

namespace Chainlab.Core.State;

/// <summary>Path from the state root to a key: siblings root-first, and the leaf found at the end, if any.</summary>
public sealed record StateProof(IReadOnlyList<Hash> Siblings, Hash? LeafKey, Hash? LeafValue);
