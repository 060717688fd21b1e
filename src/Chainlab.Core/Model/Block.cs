using Chainlab.Core.Encoding;
using Chainlab.Core.Merkle;

namespace Chainlab.Core.Model;

/// <summary>
/// A block: header, transactions and file references (content IDs anchored by the block).
/// Canonical layout: header bytes | tx count u32 | each tx as bytes | file ref count u32 | each ref as bytes.
/// </summary>
public sealed record Block(BlockHeader Header, IReadOnlyList<Transaction> Transactions, IReadOnlyList<byte[]> FileRefs)
{
    public Crypto.Hash Hash => Header.Hash;
    public ulong Height => Header.Height;

    public byte[] Encode()
    {
        var header = Header.Encode();
        var w = new CanonicalWriter(4 + header.Length + 4 + Transactions.Sum(t => 4 + t.Raw.Length) + 4 + FileRefs.Sum(f => 4 + f.Length));
        w.Bytes(header);
        w.U32((uint)Transactions.Count);
        foreach (var tx in Transactions) w.Bytes(tx.Raw);
        w.U32((uint)FileRefs.Count);
        foreach (var f in FileRefs) w.Bytes(f);
        return w.ToArray();
    }

    /// <summary>Decodes and checks the structure against the header (counts and roots).</summary>
    public static Block Decode(ReadOnlySpan<byte> data)
    {
        if (data.Length > Limits.MaxBlockBytes) throw new DecodeException("block is larger than the limit");
        var r = new CanonicalReader(data);
        var header = BlockHeader.Decode(r.Bytes(Limits.MaxHeaderBytes, "header"));
        var n = r.Count(Limits.MaxBlockTransactions, 4 + Limits.MinTransactionBytes, "transactions");
        var txs = new Transaction[n];
        for (var i = 0; i < n; i++) txs[i] = Transaction.Decode(r.Bytes(Limits.MaxTransactionBytes, "transaction"));
        var f = r.Count(Limits.MaxFileRefs, 4, "file refs");
        var files = new byte[f][];
        for (var i = 0; i < f; i++) files[i] = r.Bytes(Limits.MaxFileRefBytes, "file ref").ToArray();
        r.EnsureEnd("block");
        return new Block(header, txs, files);
    }

    // The root of the transactions, once computed, with the list it was computed from (a copy made with `with` and
    // other transactions computes its own). One reference, written whole, so threads see all of it or nothing.
    private sealed record RootOf(IReadOnlyList<Transaction> Transactions, Crypto.Hash Root);
    private RootOf? _txRoot;

    /// <summary>
    /// The Merkle root computed from this block's transactions (what the header's TxRoot claims is checked against
    /// it), once per block object: the simulator's nodes share one decoded copy, so a thousand of them compute it
    /// once. A block's transaction list must not change after the block is built (decoding makes arrays; production
    /// never touches its list again).
    /// </summary>
    public Crypto.Hash ComputedTxRoot()
    {
        if (Volatile.Read(ref _txRoot) is { } known && ReferenceEquals(known.Transactions, Transactions)) return known.Root;
        var root = ComputeTxRoot(Transactions);
        Volatile.Write(ref _txRoot, new RootOf(Transactions, root));
        return root;
    }

    // Equality as before the memo: the header, the transactions and the file references (the memo is no part of it).
    public bool Equals(Block? other) => other is not null && (ReferenceEquals(this, other) ||
        (Header.Equals(other.Header) && EqualityComparer<IReadOnlyList<Transaction>>.Default.Equals(Transactions, other.Transactions) &&
         EqualityComparer<IReadOnlyList<byte[]>>.Default.Equals(FileRefs, other.FileRefs)));

    public override int GetHashCode() => HashCode.Combine(Header, Transactions, FileRefs);

    public static Crypto.Hash ComputeTxRoot(IReadOnlyList<Transaction> txs)
    {
        var leaves = System.Buffers.ArrayPool<Crypto.Hash>.Shared.Rent(txs.Count);
        try
        {
            for (var i = 0; i < txs.Count; i++) leaves[i] = txs[i].Hash;
            return MerkleTree.Root(leaves.AsSpan(0, txs.Count));
        }
        finally { System.Buffers.ArrayPool<Crypto.Hash>.Shared.Return(leaves); }
    }

    public static Crypto.Hash ComputeFilesRoot(IReadOnlyList<byte[]> refs)
    {
        var leaves = new Crypto.Hash[refs.Count];
        for (var i = 0; i < leaves.Length; i++) leaves[i] = Crypto.Hash.Sha256(refs[i]);
        return MerkleTree.Root(leaves);
    }
}
