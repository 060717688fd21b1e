using System.Collections.Concurrent;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;

namespace Chainlab.Node.Storage.Memory;

/// <summary>
/// Blocks, and where their transactions landed, held once for many memory stores in one process: the simulator runs
/// thousands of nodes of one chain, and without this each would keep its own decoded copy and its own bytes of every
/// block. A store that stores a block another store already holds keeps that copy (blocks are immutable; the
/// hash names the bytes). A location is shared only when it equals the one already held, so a node whose execution
/// differed keeps its own. A real node never uses it.
/// </summary>
public sealed class SharedBlocks
{
    private readonly ConcurrentDictionary<Hash, (Block Block, byte[] Raw)> _blocks = new();
    private readonly ConcurrentDictionary<(Hash Tx, Hash Block), TxLocation> _locations = new();

    /// <summary>Blocks held.</summary>
    public int Count => _blocks.Count;

    internal (Block Block, byte[] Raw) Block(Block block) => _blocks.GetOrAdd(block.Hash, static (_, b) => (b, b.Encode()), block);

    internal TxLocation Location(TxLocation location)
    {
        var held = _locations.GetOrAdd((location.Receipt.TxHash, location.BlockHash), location);
        return ReferenceEquals(held, location) || held.Equals(location) ? held : location;
    }
}
