using System.Collections.Concurrent;
using Chainlab.Core.Crypto;
using Chainlab.Core.Encoding;
using Chainlab.Core.Model;

namespace Chainlab.Node.Storage.Memory;

/// <summary>
/// Blocks, where their transactions lie and their receipts, held once for many memory stores in one process: the simulator runs
/// thousands of nodes of one chain, and without this each would keep its own decoded copy and its own bytes of every
/// block. A store that stores a block another store already holds keeps that copy (blocks are immutable; the
/// hash names the bytes). Receipts are shared only when they equal the ones already held, so a node whose execution
/// differed keeps its own. A real node never uses it.
/// </summary>
public sealed class SharedBlocks
{
    private readonly ConcurrentDictionary<Hash, (Block Block, byte[] Raw)> _blocks = new();
    private readonly ConcurrentDictionary<Hash, IReadOnlyList<Chainlab.Core.Model.Receipt>> _receipts = new();

    /// <summary>Where the transactions of every block held lie, described once for all the stores.</summary>
    internal TransactionIndex Index { get; } = new();

    /// <summary>Blocks held.</summary>
    public int Count => _blocks.Count;

    /// <summary>Blocks decoded by handing back a held copy (see Decode).</summary>
    public long Reused => Interlocked.Read(ref _reused);

    private long _reused;

    /// <summary>
    /// Decodes a block's bytes as Block.Decode does, and when a store already holds a block with the same bytes
    /// (stored blocks were checked by the node that stored them; the whole of the bytes is compared, not the
    /// hash alone), hands back that decoded copy instead of building another: a thousand simulated nodes decode
    /// each block once. Bytes no store holds yet, or that differ anywhere, are decoded (and refused) as usual.
    /// </summary>
    public Block Decode(byte[] raw)
    {
        if (Held(raw) is { } held)
        {
            Interlocked.Increment(ref _reused);
            return held.Block;
        }
        return Chainlab.Core.Model.Block.Decode(raw);
    }

    /// <summary>
    /// The array to keep a received block's bytes in: the one a store holds when the bytes are the same to the last
    /// byte (a thousand simulated nodes receiving a block keep one array, not a thousand copies), else a copy.
    /// </summary>
    public byte[] Bytes(ReadOnlySpan<byte> raw) => Held(raw) is { } held ? held.Raw : raw.ToArray();

    private (Block Block, byte[] Raw)? Held(ReadOnlySpan<byte> raw) =>
        HeaderHash(raw) is { } hash && _blocks.TryGetValue(hash, out var held) && held.Raw.AsSpan().SequenceEqual(raw) ? held : null;

    // The hash of the header that leads a block's bytes (u32 length, header), or null where they do not start with one.
    private static Hash? HeaderHash(ReadOnlySpan<byte> raw)
    {
        try
        {
            var r = new CanonicalReader(raw);
            return BlockHeader.Decode(r.Bytes(Limits.MaxHeaderBytes, "header")).Hash;
        }
        catch (DecodeException) { return null; }
    }

    internal (Block Block, byte[] Raw) Block(Block block) => _blocks.GetOrAdd(block.Hash, static (_, b) => (b, b.Encode()), block);

    /// <summary>The receipts a store keeps for a block, or null when none keeps any yet (NodeOptions.KnownReceipts).</summary>
    public IReadOnlyList<Chainlab.Core.Model.Receipt>? ReceiptsOf(Hash block) => _receipts.TryGetValue(block, out var held) ? held : null;

    /// <summary>
    /// The receipts a store keeps for a block: the list another store keeps for it when every receipt is equal,
    /// otherwise a copy of its own (a node whose execution differed keeps its own outcome).
    /// </summary>
    internal IReadOnlyList<Chainlab.Core.Model.Receipt> Receipts(Hash block, IReadOnlyList<Chainlab.Core.Model.Receipt> receipts)
    {
        var held = _receipts.GetOrAdd(block, static (_, r) => r.ToArray(), receipts);
        if (held.Count != receipts.Count) return receipts.ToArray();
        for (var i = 0; i < held.Count; i++)
            if (!ReferenceEquals(held[i], receipts[i]) && !held[i].Equals(receipts[i])) return receipts.ToArray();
        return held;
    }
}
