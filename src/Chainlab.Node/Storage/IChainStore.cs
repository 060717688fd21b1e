using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.State;

namespace Chainlab.Node.Storage;

/// <summary>Where a transaction sits in the canonical chain, with its receipt.</summary>
public sealed record TxLocation(Hash BlockHash, ulong Height, int Index, Receipt Receipt);

/// <summary>Everything one block changes, committed atomically.</summary>
public sealed record BlockCommit(
    Block Block,
    IReadOnlyList<Receipt> Receipts,
    IReadOnlyDictionary<Address, Account> Changes,
    IReadOnlyDictionary<Address, Account> Undo);

/// <summary>
/// The node's database. Each <see cref="Commit"/> is one database transaction: block, transactions
/// with receipts, account changes, undo data and the head pointer land together or not at all.
/// Reads may run concurrently with the single writer.
/// </summary>
public interface IChainStore : IDisposable
{
    /// <summary>The genesis hash the store was created for, or null when it is empty.</summary>
    Hash? GenesisHash { get; }

    /// <summary>Initialises an empty store with the genesis block and its state.</summary>
    void InitGenesis(Block genesis, WorldState state);

    BlockHeader Head();
    IEnumerable<KeyValuePair<Address, Account>> LoadAccounts();
    void Commit(BlockCommit commit);

    Block? BlockByHeight(ulong height);
    /// <summary>The canonical bytes of the block at this height, as stored.</summary>
    byte[]? RawBlockByHeight(ulong height);
    /// <summary>Canonical block bytes from a height onwards, in order, stopping at maxBytes in total.</summary>
    IReadOnlyList<byte[]> RawBlocks(ulong fromHeight, int count, long maxBytes);
    /// <summary>One line naming the backend and where it keeps its data.</summary>
    string Describe { get; }
    Block? BlockByHash(Hash hash);
    BlockHeader? HeaderByHeight(ulong height);
    IReadOnlyList<BlockHeader> Headers(ulong fromHeight, int count);
    TxLocation? Transaction(Hash hash);
}
