using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.State;
using Chainlab.Node.Storage;

namespace Chainlab.Node.Chain;

/// <summary>What the API and the network may read of the chain: committed state only, from any thread.</summary>
public interface IChainReader
{
    ChainSpec Spec { get; }
    Hash GenesisHash { get; }
    /// <summary>The committed head with its frozen state.</summary>
    CommittedHead Committed { get; }
    BlockHeader Head { get; }
    /// <summary>Stored blocks and transactions.</summary>
    IBlockReader Blocks { get; }
    /// <summary>Is this block the head, canonical at that height, or kept on a side branch?</summary>
    bool IsKnown(in Hash hash, ulong height);
    string EngineName { get; }
    /// <summary>A height a peer claims, capped at what any chain can have reached by now (see IConsensusEngine.MaxHeightAt).</summary>
    ulong CapClaim(ulong claimed);
    /// <summary>The consensus engine's view of the committed head.</summary>
    object ConsensusInfo();
    long CommittedTransactions { get; }
    ulong HeadWeight { get; }
    int SideBlocks { get; }
    (long Count, ulong LastDepth, ulong Deepest) Reorgs { get; }
    /// <summary>Producers seen signing two validly sealed headers for one slot, since start.</summary>
    long Equivocations { get; }
    /// <summary>The height of the last finalised checkpoint, or null on a chain without finality.</summary>
    ulong? FinalizedHeight { get; }
    /// <summary>An account with its proof against the head's state root, all from one committed head.</summary>
    Task<(Account Account, StateProof Proof, BlockHeader Head)> ProveAccountAsync(Address address);
}
