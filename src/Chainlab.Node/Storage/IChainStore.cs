using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.State;

namespace Chainlab.Node.Storage;

/// <summary>Where a transaction sits in the canonical chain, with its receipt.</summary>
public sealed record TxLocation(Hash BlockHash, ulong Height, int Index, Receipt Receipt);

/// <summary>Everything one block changes, committed atomically. TotalWeight is its branch weight for fork choice.</summary>
public sealed record BlockCommit(
    Block Block,
    IReadOnlyList<Receipt> Receipts,
    IReadOnlyDictionary<Address, Account> Changes,
    IReadOnlyDictionary<Address, Account> Undo,
    ulong TotalWeight);

/// <summary>A canonical block taken off the chain in a reorganisation, with the account values it replaced.</summary>
public sealed record BlockDisconnect(Block Block, IReadOnlyDictionary<Address, Account> Undo);

/// <summary>
/// The node's database. Each <see cref="Commit"/> is one database transaction: block, transactions
/// with receipts, account changes, undo data and the head pointer land together or not at all.
/// Reads may run concurrently with the single writer.
/// </summary>
public interface IChainStore : IBlockReader, IFileStore, IDisposable
{
    /// <summary>The genesis hash the store was created for, or null when it is empty.</summary>
    Hash? GenesisHash { get; }

    /// <summary>Initialises an empty store with the genesis block and its state.</summary>
    void InitGenesis(Block genesis, WorldState state);

    BlockHeader Head();
    IEnumerable<KeyValuePair<Address, Account>> LoadAccounts();

    /// <summary>
    /// One database transaction that takes blocks off the tip (newest first: their undo data restores the
    /// accounts, their transaction rows and canonical entries go) and then adds blocks on top. A plain new
    /// block is a commit with nothing to disconnect; a reorganisation is all-or-nothing like any block.
    /// </summary>
    void Commit(IReadOnlyList<BlockDisconnect> disconnect, IReadOnlyList<BlockCommit> connect);
    void Commit(BlockCommit commit) => Commit([], [commit]);

    /// <summary>The undo data stored for the canonical block at this height.</summary>
    IReadOnlyDictionary<Address, Account> Undo(ulong height);

    /// <summary>The branch weight of a stored block (canonical or not), or null when it is unknown.</summary>
    ulong? TotalWeight(Hash hash);

    /// <summary>One line naming the backend and where it keeps its data.</summary>
    string Describe { get; }
}
