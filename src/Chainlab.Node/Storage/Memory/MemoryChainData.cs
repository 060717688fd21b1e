using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.State;

namespace Chainlab.Node.Storage.Memory;

/// <summary>
/// What a <see cref="MemoryChainStore"/> keeps: the in-process equivalent of a database file. It outlives
/// the store that opened it, so a test or a simulation can close a node and open it again on the same data.
/// </summary>
public sealed class MemoryChainData
{
    internal sealed record StoredBlock(Block Block, byte[] Raw, ulong TotalWeight);

    internal readonly object Gate = new();
    internal readonly Dictionary<Hash, StoredBlock> Blocks = new();
    internal readonly List<Hash> Canonical = new();
    /// <summary>The receipts of each canonical block, by height (beside Canonical).</summary>
    internal readonly List<IReadOnlyList<Receipt>> Receipts = new();
    /// <summary>The heights of the canonical blocks that hold a file anchor, lowest first.</summary>
    internal readonly List<int> AnchorHeights = new();
    internal readonly Dictionary<Address, Account> Accounts = new();
    internal readonly Dictionary<ulong, Dictionary<Address, Account>> Undo = new();
    internal readonly Dictionary<Chainlab.Core.Files.Cid, (byte[] Data, long AddedMs)> FileBlocks = new();
    internal readonly Dictionary<Chainlab.Core.Files.Cid, StoredFile> Files = new();
    internal readonly Dictionary<Chainlab.Core.Files.Cid, HashSet<Chainlab.Core.Files.Cid>> FileRefs = new();
    internal Hash? Genesis;

    /// <summary>Blocks shared with other stores of this process (the simulator); null: this data keeps its own.</summary>
    public SharedBlocks? Shared { get; init; }

    private TransactionIndex? _index;

    /// <summary>Where the transactions of the blocks given to this data lie: the shared index, or its own.</summary>
    internal TransactionIndex Index => Shared?.Index ?? (_index ??= new TransactionIndex());

    /// <summary>The receipts to keep for a block: an equal list another store of the simulation keeps, or a copy.</summary>
    internal IReadOnlyList<Receipt> Keep(Hash block, IReadOnlyList<Receipt> receipts) =>
        Shared?.Receipts(block, receipts) ?? receipts.ToArray();

    /// <summary>The canonical spot of a transaction, or null.</summary>
    internal TxLocation? Transaction(Hash tx)
    {
        foreach (var s in Index.Spots(tx))
            if (s.Height < (ulong)Canonical.Count && Canonical[(int)s.Height] == s.Block)
                return new TxLocation(s.Block, s.Height, s.Index, Receipts[(int)s.Height][s.Index]);
        return null;
    }

    /// <summary>Whether a block is on this data's canonical chain.</summary>
    internal bool IsCanonical(Hash block) =>
        Blocks.TryGetValue(block, out var b) && b.Block.Height < (ulong)Canonical.Count && Canonical[(int)b.Block.Height] == block;

    internal StoredBlock Store(Block block, ulong totalWeight)
    {
        if (Shared is null) return new StoredBlock(block, block.Encode(), totalWeight);
        var (b, raw) = Shared.Block(block);
        return new StoredBlock(b, raw, totalWeight);
    }
    internal bool Open;

    /// <summary>The schema version the data was last written with (a test may raise it, as a newer binary would).</summary>
    public int SchemaVersion { get; set; }
}
