using Chainlab.Core.Crypto;
using Chainlab.Core.Model;

namespace Chainlab.Node.Storage;

/// <summary>Reading stored blocks and transactions: the part of the store that the API and peers may use.</summary>
public interface IBlockReader
{
    Block? BlockByHeight(ulong height);
    /// <summary>The canonical bytes of the block at this height, as stored.</summary>
    byte[]? RawBlockByHeight(ulong height);
    /// <summary>Canonical block bytes from a height onwards, in order, stopping at maxBytes in total.</summary>
    IReadOnlyList<byte[]> RawBlocks(ulong fromHeight, int count, long maxBytes);
    Block? BlockByHash(Hash hash);
    BlockHeader? HeaderByHeight(ulong height);
    IReadOnlyList<BlockHeader> Headers(ulong fromHeight, int count);
    TxLocation? Transaction(Hash hash);
    /// <summary>Events a contract emitted in canonical blocks from a height on, oldest first, skipping the first <paramref name="offset"/>.</summary>
    IReadOnlyList<StoredEvent> ContractEvents(Address contract, ulong fromHeight, int limit, int offset = 0);
}

/// <summary>A contract event where it happened: block height, transaction, position among the transaction's events.</summary>
public sealed record StoredEvent(ulong Height, Hash TxHash, int Index, Address Contract, string Name, byte[] Value);
