using System.Runtime.InteropServices;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;

namespace Chainlab.Node.Storage.Memory;

/// <summary>
/// Where the transactions of the blocks given to memory stores lie (block, height, position), and, for every such
/// block, which other blocks hold one of its transactions. It describes the contents of blocks, not a chain: which
/// of those blocks is canonical is each store's own list, so one index can serve every store of a simulation
/// (SharedBlocks), and a block is described once however many nodes store it. A store looks a transaction up
/// here and keeps the spot that is canonical for it; it refuses a commit by the conflicts of the arriving blocks,
/// one look-up per block rather than one per transaction. Safe for concurrent use.
/// </summary>
internal sealed class TransactionIndex
{
    internal readonly record struct Spot(Hash Block, ulong Height, int Index);

    /// <summary>What the index knows of one block: the blocks sharing a transaction with it, and whether it holds
    /// one transaction twice.</summary>
    internal sealed class Described
    {
        public HashSet<Hash>? Conflicts;
        public bool Repeats;
        /// <summary>Whether the block holds a file anchor (the file store's collection looks only at those blocks).</summary>
        public bool Anchors;
    }

    private readonly object _gate = new();
    private readonly Dictionary<Hash, Spot> _first = new();
    private readonly Dictionary<Hash, List<Spot>> _more = new();
    private readonly Dictionary<Hash, Described> _blocks = new();

    /// <summary>Describes a block (once; again is a no-op) and returns what is known of it.</summary>
    public Described Describe(Block block)
    {
        lock (_gate)
        {
            ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_blocks, block.Hash, out var known);
            if (known) return slot!;
            var described = slot = new Described();
            for (var i = 0; i < block.Transactions.Count; i++)
            {
                if (block.Transactions[i].Kind == TxKind.FileAnchor) described.Anchors = true;
                var tx = block.Transactions[i].Hash;
                var spot = new Spot(block.Hash, block.Height, i);
                ref var first = ref CollectionsMarshal.GetValueRefOrAddDefault(_first, tx, out var seen);
                if (!seen) { first = spot; continue; }
                Conflict(described, block.Hash, first.Block);
                if (_more.TryGetValue(tx, out var more))
                    foreach (var s in more) Conflict(described, block.Hash, s.Block);
                else _more[tx] = more = new List<Spot>(1);
                more.Add(spot);
            }
            return described;
        }
    }

    private void Conflict(Described described, Hash block, Hash other)
    {
        if (other == block) { described.Repeats = true; return; }
        (described.Conflicts ??= new()).Add(other);
        (_blocks[other].Conflicts ??= new()).Add(block);
    }

    /// <summary>Every spot of a transaction in the blocks described, canonical or not.</summary>
    public List<Spot> Spots(Hash tx)
    {
        lock (_gate)
        {
            var list = new List<Spot>(1);
            if (!_first.TryGetValue(tx, out var first)) return list;
            list.Add(first);
            if (_more.TryGetValue(tx, out var more)) list.AddRange(more);
            return list;
        }
    }

    /// <summary>The blocks sharing a transaction with this described block (a copy, safe to enumerate).</summary>
    public Hash[] ConflictsOf(Described described)
    {
        lock (_gate) return described.Conflicts is { } c ? c.ToArray() : [];
    }
}
